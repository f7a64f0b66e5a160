package webhooks

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

// flakySource is a shop table that can be taken down.
type flakySource struct {
	mu    sync.Mutex
	shops map[string]store.Shop
	down  bool
	reads int
}

func (f *flakySource) ShopByDomain(_ context.Context, _ store.Platform, domain string) (store.Shop, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
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
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return nil, errors.New("connection refused")
	}
	var all []store.Shop
	for _, s := range f.shops {
		all = append(all, s)
	}
	return all, nil
}

func (f *flakySource) set(down bool) {
	f.mu.Lock()
	f.down = down
	f.mu.Unlock()
}

func (f *flakySource) readCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.reads
}

func TestShopCacheServesSecretsWhileTheDatabaseIsDown(t *testing.T) {
	src := &flakySource{shops: map[string]store.Shop{
		"a.myshopify.com": {ID: 1, Platform: store.Shopify, Domain: "a.myshopify.com", WebhookSecret: "s"},
	}}
	d := NewShops(src, time.Minute)
	var mu sync.Mutex
	now := time.Now()
	d.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ctx := context.Background()
	if err := d.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Lookup(ctx, store.Shopify, "A.myshopify.com"); err != nil || src.readCount() != 0 {
		t.Fatalf("warm lookup = %v after %d reads; want a hit with no read", err, src.readCount())
	}
	src.set(true)
	mu.Lock()
	now = now.Add(time.Hour) // stale
	mu.Unlock()
	shop, err := d.Lookup(ctx, store.Shopify, "a.myshopify.com")
	if err != nil || shop.ID != 1 {
		t.Fatalf("stale lookup with the database down = %+v, %v; want the cached shop", shop, err)
	}
	if _, err := d.Lookup(ctx, store.Shopify, "b.myshopify.com"); err == nil || errors.Is(err, errUnknownShop) {
		t.Fatalf("uncached lookup with the database down = %v; want a database error, not unknown shop", err)
	}
	src.set(false)
	if _, err := d.Lookup(ctx, store.Shopify, "b.myshopify.com"); !errors.Is(err, errUnknownShop) {
		t.Fatalf("unknown shop = %v, want errUnknownShop", err)
	}
	reads := src.readCount()
	if _, err := d.Lookup(ctx, store.Shopify, "b.myshopify.com"); !errors.Is(err, errUnknownShop) || src.readCount() != reads {
		t.Fatalf("second unknown lookup read the database again (%d reads)", src.readCount()-reads)
	}
}

func TestShopCacheRefreshesAStaleShopInTheBackground(t *testing.T) {
	src := &flakySource{shops: map[string]store.Shop{
		"a.myshopify.com": {ID: 1, Platform: store.Shopify, Domain: "a.myshopify.com", WebhookSecret: "old"},
	}}
	d := NewShops(src, 0) // every entry stale at once
	ctx := context.Background()
	if s, err := d.Lookup(ctx, store.Shopify, "a.myshopify.com"); err != nil || s.WebhookSecret != "old" {
		t.Fatalf("first lookup = %+v, %v", s, err)
	}
	src.mu.Lock()
	src.shops["a.myshopify.com"] = store.Shop{ID: 1, Platform: store.Shopify, Domain: "a.myshopify.com", WebhookSecret: "new"}
	src.mu.Unlock()
	deadline := time.Now().Add(5 * time.Second)
	for {
		s, err := d.Lookup(ctx, store.Shopify, "a.myshopify.com")
		if err != nil {
			t.Fatal(err)
		}
		if s.WebhookSecret == "new" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the cached shop never picked up the rotated secret")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
