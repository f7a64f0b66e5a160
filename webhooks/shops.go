package webhooks

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/backorderd/backorderd/store"
)

// ShopSource is the part of the store the shop directory reads.
type ShopSource interface {
	ShopByDomain(ctx context.Context, platform store.Platform, domain string) (store.Shop, error)
	Shops(ctx context.Context) ([]store.Shop, error)
}

// errUnknownShop is a delivery from a shop nobody registered.
var errUnknownShop = errors.New("unknown shop")

// Shops caches shops and their secrets in memory, so that signatures can be
// verified while the database is down, and so that a flood of deliveries does
// not read the same shop row for each one.
type Shops struct {
	src ShopSource
	ttl time.Duration
	now func() time.Time

	mu         sync.RWMutex
	entries    map[shopKey]shopEntry
	refreshing map[shopKey]bool
}

type shopKey struct {
	platform store.Platform
	domain   string
}

type shopEntry struct {
	shop    store.Shop
	known   bool
	fetched time.Time
}

// NewShops returns a directory that re-reads a shop after ttl.
func NewShops(src ShopSource, ttl time.Duration) *Shops {
	return &Shops{src: src, ttl: ttl, now: time.Now, entries: map[shopKey]shopEntry{}, refreshing: map[shopKey]bool{}}
}

// Warm loads every shop, so that their secrets are at hand if the database
// goes down later.
func (d *Shops) Warm(ctx context.Context) error {
	shops, err := d.src.Shops(ctx)
	if err != nil {
		return fmt.Errorf("warm shop cache: %w", err)
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range shops {
		d.entries[shopKey{s.Platform, s.Domain}] = shopEntry{shop: s, known: true, fetched: now}
	}
	return nil
}

// lookupTimeout bounds a shop read on the request path.
const lookupTimeout = time.Second

// Lookup finds the shop of platform at domain: errUnknownShop when there is
// none. A known shop is served from the cache, re-read in the background
// once its entry is older than the TTL (so a slow or down database never
// delays a delivery from a known shop); an unknown or uncached one is read
// now.
func (d *Shops) Lookup(ctx context.Context, platform store.Platform, domain string) (store.Shop, error) {
	domain = store.NormalizeDomain(platform, domain)
	key := shopKey{platform, domain}
	d.mu.Lock()
	e, cached := d.entries[key]
	stale := !cached || d.now().Sub(e.fetched) >= d.ttl
	if cached && e.known && stale && !d.refreshing[key] {
		d.refreshing[key] = true
		// The refresh outlives the request that noticed the entry is stale.
		go d.refresh(context.WithoutCancel(ctx), key)
	}
	d.mu.Unlock()
	if cached && (e.known || !stale) {
		return e.result()
	}
	return d.read(ctx, key, e, cached)
}

// refresh re-reads one cached shop.
func (d *Shops) refresh(ctx context.Context, key shopKey) {
	d.mu.RLock()
	e := d.entries[key]
	d.mu.RUnlock()
	_, _ = d.read(ctx, key, e, true) // on failure the cached entry keeps serving
	d.mu.Lock()
	delete(d.refreshing, key)
	d.mu.Unlock()
}

// read reads a shop from the database and caches what it finds; when the
// database fails, a cached entry is returned instead.
func (d *Shops) read(ctx context.Context, key shopKey, e shopEntry, cached bool) (store.Shop, error) {
	platform, domain := key.platform, key.domain
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	shop, err := d.src.ShopByDomain(ctx, platform, domain)
	switch {
	case err == nil:
		e = shopEntry{shop: shop, known: true, fetched: d.now()}
	case errors.Is(err, store.ErrNotFound):
		e = shopEntry{known: false, fetched: d.now()}
		if d.size() >= maxUnknownShops {
			return e.result() // unknown domains are free to invent: do not let them fill memory
		}
	case cached:
		return e.result() // stale beats nothing while the database is down
	default:
		return store.Shop{}, fmt.Errorf("look up shop %s: %w", domain, err)
	}
	d.mu.Lock()
	d.entries[key] = e
	d.mu.Unlock()
	return e.result()
}

// maxUnknownShops bounds the cache of domains found unregistered.
const maxUnknownShops = 10000

func (d *Shops) size() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.entries)
}

func (e shopEntry) result() (store.Shop, error) {
	if !e.known {
		return store.Shop{}, errUnknownShop
	}
	return e.shop, nil
}
