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
//
// Only registered shops are cached, so memory is bounded by the shops table
// whatever domains a caller invents. A domain that is not cached is looked up
// in a fresh read of the whole table, made at most once per rescan interval:
// a flood of unknown domains costs the database one read per interval, not
// one per domain, and a shop registered meanwhile is found within the
// interval.
type Shops struct {
	src    ShopSource
	ttl    time.Duration
	rescan time.Duration
	now    func() time.Time

	mu         sync.RWMutex
	entries    map[shopKey]shopEntry // registered shops only
	refreshing map[shopKey]bool

	scan       sync.Mutex // one table read at a time
	scannedAt  time.Time  // when the table was last read, or tried
	scanFailed error      // why the last try failed; nil once a read succeeds
}

type shopKey struct {
	platform store.Platform
	domain   string
}

type shopEntry struct {
	shop    store.Shop
	fetched time.Time
}

// rescanEvery is how often, at most, an uncached domain makes the directory
// read the shops table again: how long a newly registered shop may be
// refused, and what a flood of unknown domains costs the database.
const rescanEvery = time.Second

// NewShops returns a directory that re-reads a cached shop after ttl, and
// the table for an uncached domain at most every second (every ttl when
// that is shorter).
func NewShops(src ShopSource, ttl time.Duration) *Shops {
	return &Shops{src: src, ttl: ttl, rescan: min(ttl, rescanEvery), now: time.Now,
		entries: map[shopKey]shopEntry{}, refreshing: map[shopKey]bool{}}
}

// Warm loads every shop, so that their secrets are at hand if the database
// goes down later.
func (d *Shops) Warm(ctx context.Context) error {
	d.scan.Lock()
	defer d.scan.Unlock()
	return d.readAll(ctx)
}

// readAll replaces the cache with the shops table; the caller holds scan.
func (d *Shops) readAll(ctx context.Context) error {
	now := d.now()
	d.scannedAt = now
	shops, err := d.src.Shops(ctx)
	if err != nil {
		d.scanFailed = fmt.Errorf("warm shop cache: %w", err)
		return d.scanFailed
	}
	d.scanFailed = nil
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, s := range shops {
		d.entries[shopKey{s.Platform, s.Domain}] = shopEntry{shop: s, fetched: now}
	}
	return nil
}

// lookupTimeout bounds a shop read on the request path.
const lookupTimeout = time.Second

// Lookup finds the shop of platform at domain: errUnknownShop when there is
// none. A known shop is served from the cache, re-read in the background
// once its entry is older than the TTL (so a slow or down database never
// delays a delivery from a known shop); an uncached domain is looked up in
// the table as last read, read again if that is older than the rescan
// interval.
func (d *Shops) Lookup(ctx context.Context, platform store.Platform, domain string) (store.Shop, error) {
	key := shopKey{platform, store.NormalizeDomain(platform, domain)}
	if shop, ok := d.cached(ctx, key); ok {
		return shop, nil
	}
	d.scan.Lock()
	defer d.scan.Unlock()
	// Another lookup may have read the table while this one waited.
	if shop, ok := d.cached(ctx, key); ok {
		return shop, nil
	}
	if d.now().Sub(d.scannedAt) >= d.rescan {
		ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		defer cancel()
		_ = d.readAll(ctx) // kept in scanFailed
		if shop, ok := d.cached(ctx, key); ok {
			return shop, nil
		}
	}
	if d.scanFailed != nil {
		return store.Shop{}, fmt.Errorf("look up shop %s: %w", key.domain, d.scanFailed)
	}
	return store.Shop{}, errUnknownShop
}

// cached returns a cached shop, starting its background refresh when its
// entry is stale.
func (d *Shops) cached(ctx context.Context, key shopKey) (store.Shop, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.entries[key]
	if ok && d.now().Sub(e.fetched) >= d.ttl && !d.refreshing[key] {
		d.refreshing[key] = true
		// The refresh outlives the request that noticed the entry is stale.
		go d.refresh(context.WithoutCancel(ctx), key)
	}
	return e.shop, ok
}

// refresh re-reads one cached shop: a shop deleted since is dropped, and on
// a database failure the cached entry keeps serving.
func (d *Shops) refresh(ctx context.Context, key shopKey) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	shop, err := d.src.ShopByDomain(ctx, key.platform, key.domain)
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.refreshing, key)
	switch {
	case err == nil:
		d.entries[key] = shopEntry{shop: shop, fetched: d.now()}
	case errors.Is(err, store.ErrNotFound):
		delete(d.entries, key)
	}
}
