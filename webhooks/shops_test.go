package webhooks

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

// flakySource is a shop table that can be taken down.
type flakySource struct {
	shops map[string]store.Shop
	down  bool
	reads int
}

func (f *flakySource) ShopByDomain(_ context.Context, _ store.Platform, domain string) (store.Shop, error) {
	f.reads++
	if f.down {
		return store.Shop{}, errors.New("connection refused")
	}
	s, ok := f.shops[domain]
	if !ok {
		return store.Shop{}, store.ErrNotFound
	}
	return s, nil
}

func (f *flakySource) Shops(context.Context) ([]store.Shop, error) {
	if f.down {
		return nil, errors.New("connection refused")
	}
	var all []store.Shop
	for _, s := range f.shops {
		all = append(all, s)
	}
	return all, nil
}

func TestShopCacheServesSecretsWhileTheDatabaseIsDown(t *testing.T) {
	src := &flakySource{shops: map[string]store.Shop{
		"a.myshopify.com": {ID: 1, Platform: store.Shopify, Domain: "a.myshopify.com", WebhookSecret: "s"},
	}}
	d := NewShops(src, time.Minute)
	now := time.Now()
	d.now = func() time.Time { return now }
	if err := d.Warm(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lookup(context.Background(), store.Shopify, "A.myshopify.com"); err != nil || src.reads != 0 {
		t.Fatalf("warm lookup = %v after %d reads; want a hit with no read", err, src.reads)
	}
	src.down = true
	now = now.Add(time.Hour) // stale
	shop, err := d.Lookup(context.Background(), store.Shopify, "a.myshopify.com")
	if err != nil || shop.ID != 1 {
		t.Fatalf("stale lookup with the database down = %+v, %v; want the cached shop", shop, err)
	}
	if _, err := d.Lookup(context.Background(), store.Shopify, "b.myshopify.com"); err == nil || errors.Is(err, errUnknownShop) {
		t.Fatalf("uncached lookup with the database down = %v; want a database error, not unknown shop", err)
	}
	src.down = false
	if _, err := d.Lookup(context.Background(), store.Shopify, "b.myshopify.com"); !errors.Is(err, errUnknownShop) {
		t.Fatalf("unknown shop = %v, want errUnknownShop", err)
	}
	reads := src.reads
	if _, err := d.Lookup(context.Background(), store.Shopify, "b.myshopify.com"); !errors.Is(err, errUnknownShop) || src.reads != reads {
		t.Fatalf("second unknown lookup read the database again (%d reads)", src.reads-reads)
	}
}
