package webhooks

import (
	"context"
	"errors"
	"fmt"
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
	f.reads++
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
	warmed := src.readCount()
	if _, err := d.Lookup(ctx, store.Shopify, "A.myshopify.com"); err != nil || src.readCount() != warmed {
		t.Fatalf("warm lookup = %v after %d reads; want a hit with no read", err, src.readCount()-warmed)
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
	mu.Lock()
	now = now.Add(rescanEvery) // the failed read is not retried sooner
	mu.Unlock()
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

func TestFloodOfUnknownDomainsReadsTheDatabaseABoundedNumberOfTimes(t *testing.T) {
	src := &flakySource{shops: map[string]store.Shop{
		"a.myshopify.com": {ID: 1, Platform: store.Shopify, Domain: "a.myshopify.com", WebhookSecret: "s"},
	}}
	d := NewShops(src, time.Minute)
	now := time.Now()
	d.now = func() time.Time { return now }
	ctx := context.Background()
	const flood = 50000 // more domains than any cache would keep
	for i := range flood {
		if _, err := d.Lookup(ctx, store.Shopify, fmt.Sprintf("x%d.myshopify.com", i)); !errors.Is(err, errUnknownShop) {
			t.Fatalf("unknown domain %d: got %v, want errUnknownShop", i, err)
		}
	}
	if reads := src.readCount(); reads > 1 {
		t.Fatalf("database reads for %d unknown domains at once: got %d, want at most 1", flood, reads)
	}
	// A shop registered during the flood is found once the rescan interval
	// has passed, whatever the flood did meanwhile.
	src.mu.Lock()
	src.shops["new.myshopify.com"] = store.Shop{ID: 2, Platform: store.Shopify, Domain: "new.myshopify.com", WebhookSecret: "n"}
	src.mu.Unlock()
	now = now.Add(rescanEvery)
	for i := range flood {
		_, _ = d.Lookup(ctx, store.Shopify, fmt.Sprintf("y%d.myshopify.com", i))
	}
	if s, err := d.Lookup(ctx, store.Shopify, "new.myshopify.com"); err != nil || s.ID != 2 {
		t.Fatalf("new shop after %v: got %+v, %v; want it found", rescanEvery, s, err)
	}
	if reads := src.readCount(); reads > 2 {
		t.Fatalf("database reads for two floods a rescan apart: got %d, want at most 2", reads)
	}
	if _, err := d.Lookup(ctx, store.Shopify, "a.myshopify.com"); err != nil {
		t.Fatalf("registered shop: %v", err)
	}
}
