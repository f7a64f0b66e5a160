package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/integrations/shopify"
	"github.com/backorderd/backorderd/integrations/woocommerce"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// storeAPITimeout bounds one call to a store's Admin API: a job that
// waits longer is retried rather than holding a worker.
const storeAPITimeout = 30 * time.Second

// storeClients opens a shop's sealed credentials and builds its store's
// API client: Shopify's at SHOPIFY_API_BASE_URL or the shop's own domain,
// WooCommerce's at the store URL.
type storeClients struct {
	store       *store.Store
	sealer      *store.Sealer // nil without SECRETS_KEY: no shop has credentials
	hc          *http.Client
	shopifyBase string
}

func newStoreClients(cfg config.Config, st *store.Store, sealer *store.Sealer) *storeClients {
	// A redirect is answered, not followed: Go follows a POST's or PUT's as
	// a GET without its body, which would answer 200 and write nothing.
	hc := &http.Client{Timeout: storeAPITimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &storeClients{store: st, sealer: sealer, hc: hc, shopifyBase: cfg.ShopifyAPIBaseURL}
}

// Client is the shop's store client; jobs.ErrNoStoreClient when the shop
// has no credentials (it works on webhooks alone).
func (c *storeClients) Client(ctx context.Context, shop store.Shop) (jobs.StoreClient, error) {
	if c.sealer == nil {
		return nil, jobs.ErrNoStoreClient
	}
	creds, err := c.store.Credentials(ctx, c.sealer, shop.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, jobs.ErrNoStoreClient
	}
	if err != nil {
		return nil, err
	}
	switch shop.Platform {
	case store.Shopify:
		return shopify.NewClient(c.hc, shopify.InstallBase(c.shopifyBase, shop.Domain), creds.ShopifyToken), nil
	case store.WooCommerce:
		return woocommerce.NewClient(c.hc, shop.Domain, creds.WooKey, creds.WooSecret), nil
	}
	return nil, fmt.Errorf("shop %d: no store client for platform %q", shop.ID, shop.Platform)
}
