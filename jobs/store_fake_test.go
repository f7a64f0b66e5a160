package jobs

// The fake store Admin API of the harness: an in-memory StoreClient per
// shop that records every call, answers with the errors a test queues,
// and reports the changes a test sets.

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
	"github.com/backorderd/backorderd/store"
)

// FakePublicURL is the PUBLIC_URL the harness connects shops with.
const FakePublicURL = "https://backorderd.example"

// StoreCall is one call a fake store client received: its method and the
// value it was given.
type StoreCall struct {
	ShopID int64
	Method string // SyncOrder, SetSelling, AddStock, CancelOrder, Changes, Resolve, Connect
	Arg    any    // storeapi.Order, storeapi.Item, storeapi.Receipt, storeapi.Cancel, time.Time, string
	Writes storeapi.OrderWrites
	Err    error // what the fake answered
	At     time.Time
}

// FakeStores hands out fake store clients.
type FakeStores struct {
	mu       sync.Mutex
	calls    []StoreCall
	fail     map[string][]error
	without  map[int64]bool
	changes  map[int64][]storeapi.Change
	resolved map[string]storeapi.Change
	connect  storeapi.ConnectReport
}

// NewFakeStores returns fakes that succeed at everything and report no
// changes.
func NewFakeStores() *FakeStores {
	return &FakeStores{fail: map[string][]error{}, without: map[int64]bool{}, changes: map[int64][]storeapi.Change{},
		resolved: map[string]storeapi.Change{}}
}

// Client is the shop's fake client; ErrNoStoreClient for a shop set
// Without.
func (f *FakeStores) Client(_ context.Context, shop store.Shop) (StoreClient, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.without[shop.ID] {
		return nil, fmt.Errorf("client of shop %d: %w", shop.ID, ErrNoStoreClient)
	}
	return fakeClient{f: f, shopID: shop.ID}, nil
}

// Without makes the shop's client ErrNoStoreClient.
func (f *FakeStores) Without(shopID int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.without[shopID] = true
}

// With gives the shop its client again.
func (f *FakeStores) With(shopID int64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.without, shopID)
}

// Fail makes the next calls of method answer errs, in turn.
func (f *FakeStores) Fail(method string, errs ...error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = append(f.fail[method], errs...)
}

// SetChanges sets what the shop's store reports as changed (each call of
// Changes reports those updated at or after since).
func (f *FakeStores) SetChanges(shopID int64, cs ...storeapi.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.changes[shopID] = cs
}

// SetResolved sets what Resolve finds of a stock key.
func (f *FakeStores) SetResolved(stockKey string, c storeapi.Change) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.resolved[stockKey] = c
}

// SetConnect sets the report Connect answers.
func (f *FakeStores) SetConnect(r storeapi.ConnectReport) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.connect = r
}

// Calls lists the calls of method ("": all) that succeeded (ok) or all.
func (f *FakeStores) Calls(method string, onlyOK bool) []StoreCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.DeleteFunc(slices.Clone(f.calls), func(c StoreCall) bool {
		return (method != "" && c.Method != method) || (onlyOK && c.Err != nil)
	})
}

// call records a call and answers the next error queued for its method.
func (f *FakeStores) call(c StoreCall) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.At = time.Now()
	if q := f.fail[c.Method]; len(q) > 0 {
		c.Err, f.fail[c.Method] = q[0], q[1:]
	}
	f.calls = append(f.calls, c)
	return c.Err
}

type fakeClient struct {
	f      *FakeStores
	shopID int64
}

func (c fakeClient) Connect(_ context.Context, callbackURL, secret string) (storeapi.ConnectReport, error) {
	if err := c.f.call(StoreCall{ShopID: c.shopID, Method: "Connect", Arg: [2]string{callbackURL, secret}}); err != nil {
		return storeapi.ConnectReport{}, err
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	return c.f.connect, nil
}

func (c fakeClient) SyncOrder(_ context.Context, o storeapi.Order, w storeapi.OrderWrites) error {
	return c.f.call(StoreCall{ShopID: c.shopID, Method: "SyncOrder", Arg: o, Writes: w})
}

func (c fakeClient) SetSelling(_ context.Context, it storeapi.Item) error {
	return c.f.call(StoreCall{ShopID: c.shopID, Method: "SetSelling", Arg: it})
}

func (c fakeClient) AddStock(_ context.Context, r storeapi.Receipt) error {
	return c.f.call(StoreCall{ShopID: c.shopID, Method: "AddStock", Arg: r})
}

func (c fakeClient) CancelOrder(_ context.Context, x storeapi.Cancel) error {
	return c.f.call(StoreCall{ShopID: c.shopID, Method: "CancelOrder", Arg: x})
}

func (c fakeClient) Changes(_ context.Context, since time.Time, fn func(storeapi.Change) error) error {
	if err := c.f.call(StoreCall{ShopID: c.shopID, Method: "Changes", Arg: since}); err != nil {
		return err
	}
	c.f.mu.Lock()
	cs := slices.Clone(c.f.changes[c.shopID])
	c.f.mu.Unlock()
	for _, ch := range cs {
		if ch.UpdatedAt.Before(since) {
			continue
		}
		if err := fn(ch); err != nil {
			return err
		}
	}
	return nil
}

func (c fakeClient) Resolve(_ context.Context, stockKey string) (storeapi.Change, error) {
	if err := c.f.call(StoreCall{ShopID: c.shopID, Method: "Resolve", Arg: stockKey}); err != nil {
		return storeapi.Change{}, err
	}
	c.f.mu.Lock()
	defer c.f.mu.Unlock()
	ch, ok := c.f.resolved[stockKey]
	if !ok {
		return storeapi.Change{}, &storeapi.Error{Op: "resolve", StatusCode: 404, Message: "no inventory item " + stockKey}
	}
	return ch, nil
}
