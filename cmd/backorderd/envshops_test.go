package main

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// Processes started together with the same environment each register its
// shop: one adds it, the others find it, none stops (a flash-sale run of
// two serve and two work processes lost one to "duplicate" once the schema
// check no longer made them take turns).
func TestProcessesStartedTogetherRegisterTheEnvironmentsShopOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		cfg := config.Config{ShopifyShopDomain: "together.myshopify.com", ShopifyWebhookSecret: "together-secret"}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() { errs[i] = registerEnvShops(context.Background(), cfg, s, log) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("process %d: %v", i, err)
			}
		}
		shop, err := s.ShopByDomain(context.Background(), store.Shopify, cfg.ShopifyShopDomain)
		if err != nil || shop.WebhookSecret != cfg.ShopifyWebhookSecret {
			t.Fatalf("got %+v, %v; want the shop with its secret", shop, err)
		}
	})
}
