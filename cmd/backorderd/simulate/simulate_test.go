package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSameSeedAndRunIDGenerateTheSameScenario(t *testing.T) {
	o := Options{Orders: 200, Items: 7, Short: 0.3, Duplicates: 0.5, OutOfOrder: 0.2, Drop: 0.05,
		Cancel: 0.1, Refund: 0.1, Edit: 0.1, Restock: true, Seed: 42, RunID: "determinism",
		Start: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	a, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(a.out) != len(b.out) {
		t.Fatalf("got %d and %d deliveries", len(a.out), len(b.out))
	}
	for i := range a.out {
		da, db := a.out[i], b.out[i]
		if da.topic != db.topic || !bytes.Equal(da.body, db.body) || da.eventID != db.eventID ||
			da.after != db.after || da.dropped != db.dropped || !da.at.Equal(db.at) {
			t.Fatalf("delivery %d differs:\n%s %s\n%s %s", i, da.topic, da.body, db.topic, db.body)
		}
	}
	for ph := range a.plans {
		if !slices.Equal(a.plans[ph].order, b.plans[ph].order) {
			t.Errorf("%s: the sending orders differ", phaseNames[ph])
		}
	}

	o.Seed = 43
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.out) == len(a.out) && slices.EqualFunc(a.out, c.out, func(x, y delivery) bool { return bytes.Equal(x.body, y.body) }) {
		t.Error("another seed generated the same deliveries")
	}
	o.Seed, o.RunID = 42, "another run"
	d, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	if a.items[0].id == d.items[0].id || a.out[len(a.out)-1].eventID == d.out[len(d.out)-1].eventID {
		t.Errorf("another run id reused ids: item %s, event %s", d.items[0].id, d.out[len(d.out)-1].eventID)
	}
}

func TestScenarioSharesAreWhatWasAskedFor(t *testing.T) {
	s, err := New(Options{Orders: 1000, Items: 20, Short: 0.3, Duplicates: 1, Drop: 0.1, Seed: 7, RunID: "shares"})
	if err != nil {
		t.Fatal(err)
	}
	demand, stock := 0, 0
	for _, o := range newShopFor(t, s).orders {
		for _, l := range o.lines {
			demand += l.quantity
		}
	}
	for _, it := range s.items {
		stock += it.stock
	}
	if short := 1 - float64(stock)/float64(demand); short < 0.28 || short > 0.32 {
		t.Errorf("got %.3f of the units short (stock %d, demand %d), want 0.3", short, stock, demand)
	}
	sale := s.plans[phaseSale].order
	distinct := len(slices.Compact(slices.Sorted(slices.Values(sale))))
	if len(sale) != 2*distinct {
		t.Errorf("got %d sends of %d deliveries, want every delivery twice", len(sale), distinct)
	}
	dropped := 0
	for _, d := range s.out {
		if d.dropped {
			dropped++
		}
	}
	if want := (distinct + dropped) / 10; dropped < want-1 || dropped > want+1 {
		t.Errorf("got %d dropped of %d, want a tenth", dropped, distinct+dropped)
	}
}

// newShopFor regenerates the store's side of s (the scenario keeps only
// its items and deliveries).
func newShopFor(t *testing.T, s *Scenario) *shop {
	t.Helper()
	sh := newShop(s.opts)
	sh.generate()
	return sh
}

func TestSenderRetriesA503UntilAnswered(t *testing.T) {
	f, target := newFakeInstance(t, true)
	s, err := New(Options{Orders: 20, Items: 3, Short: 0, Seed: 1, RunID: "retries"})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int64
	rep, err := s.Run(context.Background(), target, RunOptions{Connections: 4, SettleTimeout: 30 * time.Second,
		OnSent: func(sent, total int) { calls.Add(1) }})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != rep.Deliveries || rep.Retries != rep.Deliveries || rep.Status[503] != rep.Deliveries || rep.Status[200] != rep.Deliveries {
		t.Errorf("got %d sent of %d, %d retries, statuses %v; want each delivery refused once, then answered", rep.Sent,
			rep.Deliveries, rep.Retries, rep.Status)
	}
	if int(calls.Load()) != rep.Deliveries || f.badSigned != 0 {
		t.Errorf("got OnSent %d times and %d deliveries badly signed, want %d and 0", calls.Load(), f.badSigned, rep.Deliveries)
	}
	if !rep.OK() {
		t.Errorf("nothing short, nothing expected, yet: %v", rep.Mismatches)
	}
}

func TestAnOutcomeUnlikeTheOracleIsAMismatch(t *testing.T) {
	_, target := newFakeInstance(t, false)
	s, err := New(Options{Orders: 30, Items: 3, Short: 0.5, Seed: 1, RunID: "mismatch"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Run(context.Background(), target, RunOptions{SettleTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() {
		t.Fatal("an instance that recorded no backorder passed")
	}
	text := strings.Join(rep.Mismatches, "\n")
	for _, want := range []string{"got no backorder", "want its backordered confirmation email"} {
		if !strings.Contains(text, want) {
			t.Errorf("mismatches lack %q:\n%s", want, text)
		}
	}
	if rep.SaleSettled != -1 || rep.ConfirmationsQueued != -1 {
		t.Errorf("got settled %s, confirmations %s; want never (-1)", rep.SaleSettled, rep.ConfirmationsQueued)
	}
	var out bytes.Buffer
	rep.Print(&out)
	if !strings.Contains(out.String(), "MISMATCH") {
		t.Errorf("the summary does not say it failed:\n%s", out.String())
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("the report does not encode: %v", err)
	}
}

func TestEachWrongFieldOfABackorderIsAMismatch(t *testing.T) {
	waiting := lineState{orderID: "1", lineID: "2", open: 3, quantity: 3, waiting: 2, backordered: 2}
	covered := lineState{orderID: "1", lineID: "3", open: 1, quantity: 1}
	good := backorderView{ID: 9, LineID: "2", Waiting: 2, Status: "waiting"}
	confirmed := waiting
	confirmed.etaKind = "confirmed"
	tests := []struct {
		name string
		want lineState
		got  backorderView
		bad  bool
	}{
		{"as expected", waiting, good, false},
		{"never waited, none", covered, backorderView{}, false},
		{"missing", waiting, backorderView{}, true},
		{"one unit more waiting", waiting, backorderView{ID: 9, Waiting: 3, Status: "waiting"}, true},
		{"allocated though nothing came", waiting, backorderView{ID: 9, Waiting: 2, Allocated: 1, Status: "waiting"}, true},
		{"wrong status", waiting, backorderView{ID: 9, Waiting: 2, Status: "partially_allocated"}, true},
		{"a backorder for a line served from stock", covered, backorderView{ID: 9, Waiting: 1, Status: "waiting"}, true},
		{"ETA not modelled: any kind", waiting, backorderView{ID: 9, Waiting: 2, Status: "waiting", ETAKind: "unknown"}, false},
		{"ETA confirmed as expected", confirmed, backorderView{ID: 9, Waiting: 2, Status: "waiting", ETAKind: "confirmed"}, false},
		{"ETA an estimate though an order covers it", confirmed, backorderView{ID: 9, Waiting: 2, Status: "waiting", ETAKind: "estimate"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mm := appendLineMismatch(nil, tt.want, tt.got, "SKU-1")
			if (len(mm) > 0) != tt.bad {
				t.Errorf("got mismatches %q, want a mismatch: %v", mm, tt.bad)
			}
		})
	}
}

func TestSeveralURLsShareTheDeliveriesAndARetryGoesToTheNext(t *testing.T) {
	f, target := newFakeInstance(t, true)
	var hits [2]atomic.Int64
	var urls []string
	for i := range hits {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPost {
				hits[i].Add(1)
			}
			f.ServeHTTP(w, r)
		}))
		t.Cleanup(srv.Close)
		urls = append(urls, srv.URL)
	}
	target.URL = strings.Join(urls, ", ")
	s, err := New(Options{Orders: 20, Items: 3, Short: 0, Seed: 1, RunID: "urls"})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := s.Run(context.Background(), target, RunOptions{Connections: 4, SettleTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	// Each delivery is refused once, then answered: two attempts, one at
	// each instance.
	if !rep.OK() || rep.Sent != rep.Deliveries {
		t.Fatalf("got %d of %d sent, mismatches %v", rep.Sent, rep.Deliveries, rep.Mismatches)
	}
	if hits[0].Load() != int64(rep.Deliveries) || hits[1].Load() != int64(rep.Deliveries) {
		t.Errorf("got %d and %d posts to the two instances, want %d each", hits[0].Load(), hits[1].Load(), rep.Deliveries)
	}
}
