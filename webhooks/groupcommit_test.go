package webhooks_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
	"github.com/backorderd/backorderd/webhooks"
)

// oneWriteAtATime lets one inbox write run at a time, with a minute's
// budget, so that a test that holds the first write finds every later
// delivery queued behind it, whatever the machine's load.
var oneWriteAtATime = webhooks.Batching{MaxBatch: 128, Flushes: 1, Budget: time.Minute}

// gatedRecorder holds the first write until released, and notes the size
// of every write.
type gatedRecorder struct {
	next    webhooks.Recorder
	release chan struct{}
	mu      sync.Mutex
	sizes   []int
}

func newGatedRecorder(next webhooks.Recorder) *gatedRecorder {
	return &gatedRecorder{next: next, release: make(chan struct{})}
}

func (g *gatedRecorder) RecordDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Recorded, error) {
	g.mu.Lock()
	first := len(g.sizes) == 0
	g.sizes = append(g.sizes, len(ds))
	g.mu.Unlock()
	if first {
		<-g.release
	}
	return g.next.RecordDeliveries(ctx, ds)
}

func (g *gatedRecorder) writes() []int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]int(nil), g.sizes...)
}

// queued waits until n deliveries wait for the next write.
func (h *harness) queued(t *testing.T, n int) {
	t.Helper()
	for end := time.Now().Add(time.Minute); ; time.Sleep(5 * time.Millisecond) {
		mfs, err := h.registry.Gather()
		if err != nil {
			t.Fatal(err)
		}
		got := -1.0
		for _, mf := range mfs {
			if mf.GetName() == "backorderd_webhook_waiting" {
				got = mf.GetMetric()[0].GetGauge().GetValue()
			}
		}
		if got == float64(n) {
			return
		}
		if time.Now().After(end) {
			t.Fatalf("%v deliveries queued after a minute, want %d", got, n)
		}
	}
}

// postAll posts the order fixture once per event id, all at once, and
// returns the answers' status codes by event id.
func (h *harness) postAll(t *testing.T, ids []string) map[string]int {
	t.Helper()
	headers, body := fixture(t, "shopify/orders-create")
	codes := make([]int, len(ids))
	var wg sync.WaitGroup
	for i, id := range ids {
		hd := headers.Clone()
		hd.Set("X-Shopify-Event-Id", id)
		wg.Go(func() { codes[i] = h.post(hd, body).Code })
	}
	wg.Wait()
	out := map[string]int{}
	for i, id := range ids {
		if prev, ok := out[id]; ok && prev != codes[i] {
			t.Errorf("event %s answered %d and %d", id, prev, codes[i])
		}
		out[id] = codes[i]
	}
	return out
}

func TestDeliveriesThatArriveDuringAWriteAreWrittenTogetherEachWithItsOwnOutcome(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		gate := newGatedRecorder(s)
		h := newHarness(t, s, withRecorder(gate), withBatching(oneWriteAtATime))
		first := make(chan map[string]int)
		go func() { first <- h.postAll(t, []string{"evt-first"}) }()
		// The first write holds; 20 deliveries arrive meanwhile: 16 new,
		// one of them three times more, and the first once more.
		var ids []string
		for i := range 16 {
			ids = append(ids, fmt.Sprint("evt-", i))
		}
		ids = append(ids, "evt-3", "evt-3", "evt-3", "evt-first")
		later := make(chan map[string]int)
		go func() { later <- h.postAll(t, ids) }()
		h.queued(t, len(ids))
		close(gate.release)
		codes := <-later
		for id, code := range <-first {
			codes[id] = code
		}
		for id, code := range codes {
			if code != http.StatusOK {
				t.Errorf("%s answered %d, want 200", id, code)
			}
		}
		if got := gate.writes(); len(got) != 2 || got[0] != 1 || got[1] != len(ids) {
			t.Fatalf("writes = %v, want [1 %d]: the deliveries that queued are one write", got, len(ids))
		}
		if n := h.inboxCount(t); n != 17 {
			t.Fatalf("inbox rows = %d, want 17 (each event once)", n)
		}
		if a, d := h.counter(t, "shopify", "accepted"), h.counter(t, "shopify", "duplicate"); a != 17 || d != 4 {
			t.Errorf("accepted %v, duplicate %v; want 17 and 4", a, d)
		}
		es, _ := s.ListInbox(context.Background(), store.InboxFilter{Limit: 100})
		dups := 0
		for _, e := range es {
			dups += e.Duplicates
			if _, err := h.insp.GetTaskInfo(jobs.QueueIntake, jobs.TaskID(jobs.TableInbox, e.ID)); err != nil {
				t.Errorf("row %d has no task: %v", e.ID, err)
			}
		}
		if pending, _ := h.insp.ListPendingTasks(jobs.QueueIntake); len(pending) != 17 || dups != 4 {
			t.Errorf("tasks = %d, duplicates counted = %d; want 17 and 4", len(pending), dups)
		}
	})
}

func TestABatchTheDatabaseCannotTakeIsSpooledDeliveryByDelivery(t *testing.T) {
	gate := newGatedRecorder(downRecorder{})
	h := newHarness(t, storetest.New(t, store.SQLite), withRecorder(gate), withBatching(oneWriteAtATime))
	first := make(chan map[string]int)
	go func() { first <- h.postAll(t, []string{"evt-first"}) }()
	ids := []string{"evt-1", "evt-2", "evt-3", "evt-4", "evt-5", "evt-5"}
	later := make(chan map[string]int)
	go func() { later <- h.postAll(t, ids) }()
	h.queued(t, len(ids))
	close(gate.release)
	for id, code := range <-later {
		if code != http.StatusOK {
			t.Errorf("%s answered %d, want 200 spooled", id, code)
		}
	}
	<-first
	if got := gate.writes(); len(got) != 2 || got[1] != len(ids) {
		t.Fatalf("writes = %v, want the queued deliveries as one", got)
	}
	tasks, err := h.insp.ListPendingTasks(jobs.QueueIntake)
	if err != nil || len(tasks) != 6 {
		t.Fatalf("pending = %d, %v; want 6 spooled deliveries (evt-5 twice is one)", len(tasks), err)
	}
	for _, task := range tasks {
		if task.Type != jobs.TypeSpool {
			t.Errorf("task %s is %s, want %s", task.ID, task.Type, jobs.TypeSpool)
		}
	}
	if n := h.counter(t, "shopify", "spooled"); n != 7 {
		t.Errorf("spooled = %v, want 7", n)
	}
}

func TestShutdownAnswersEveryQueuedDeliveryAfterItsRowIsWritten(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	gate := newGatedRecorder(s)
	h := newHarness(t, s, withRecorder(gate), withBatching(oneWriteAtATime))
	srv := httptest.NewServer(h.handler)
	defer srv.Close()
	headers, body := fixture(t, "shopify/orders-create")
	const n = 12
	codes := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		hd := headers.Clone()
		hd.Set("X-Shopify-Event-Id", fmt.Sprint("evt-", i))
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/shopify", bytes.NewReader(body))
			req.Header = hd
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Errorf("delivery %d: %v", i, err)
				return
			}
			_ = resp.Body.Close()
			codes[i] = resp.StatusCode
		})
	}
	h.queued(t, n-1) // one write holds, the rest wait for it
	stopped := make(chan error)
	go func() { stopped <- srv.Config.Shutdown(context.Background()) }()
	close(gate.release)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, code := range codes {
		if code != http.StatusOK {
			t.Errorf("delivery %d answered %d, want 200", i, code)
		}
	}
	if got := h.inboxCount(t); got != n {
		t.Errorf("inbox rows after shutdown = %d, want %d: every delivery answered 200 is recorded", got, n)
	}
}
