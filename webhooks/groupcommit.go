package webhooks

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/groupcommit"
)

// Recorder is the part of the store the receiver writes to: deliveries that
// arrive together are recorded together, each with its own outcome.
type Recorder interface {
	RecordDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Recorded, error)
}

// Batching says how deliveries that arrive together are made durable
// together.
type Batching struct {
	// MaxBatch bounds the deliveries of one write (0: DefaultBatching's).
	MaxBatch int
	// Flushes bounds the writes in progress at once. While that many are,
	// arriving deliveries queue, and the next write takes all of them: no
	// timer, so a lone delivery is written at once and batches grow with
	// the load (0: DefaultBatching's).
	Flushes int
	// Budget bounds a delivery's time from its arrival until its write
	// starts: one still queued past it is spooled instead. A write may run
	// until the latest budget of its deliveries ends (0: recordTimeout).
	Budget time.Duration
}

// DefaultBatching is what `backorderd serve` uses: one write at a time,
// which on a loaded 2-core machine cost 423–466 µs of CPU per delivery in
// all (server, PostgreSQL, Redis) against 490–507 with two at a time, the
// batches being twice as large (docs/performance.md); SQLite has one
// writer anyway.
var DefaultBatching = Batching{MaxBatch: 128, Flushes: 1}

// errWaitedTooLong is what a delivery gets that waited for its write past
// its time budget: it is spooled instead.
var errWaitedTooLong = errors.New("record delivery: waited longer than its time budget for the database")

// pending is one delivery waiting for its write.
type pending struct {
	d        store.Delivery
	deadline time.Time
}

// groupCommit is the receiver's group commit (package groupcommit): the
// deliveries that arrive while an inbox write runs are written together in
// the next one. Every write runs on a request's goroutine, so an HTTP
// server's graceful shutdown, which waits for its requests, waits for every
// queued delivery to be written too.
type groupCommit struct {
	cfg   Batching
	queue *groupcommit.Queue[pending, store.Recorded]
}

func newGroupCommit(r Recorder, cfg Batching, m *Metrics) *groupCommit {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultBatching.MaxBatch
	}
	if cfg.Flushes <= 0 {
		cfg.Flushes = DefaultBatching.Flushes
	}
	if cfg.Budget <= 0 {
		cfg.Budget = recordTimeout
	}
	write := func(batch []pending) ([]store.Recorded, error) { return writeBatch(r, batch) }
	return &groupCommit{cfg: cfg, queue: groupcommit.New(groupcommit.Config{
		MaxBatch: cfg.MaxBatch, Flushes: cfg.Flushes,
		Batch:   func(n int) { m.batchSize.Observe(float64(n)) },
		Waiting: func(n int) { m.waiting.Set(float64(n)) },
	}, write)}
}

// record makes d durable, together with whatever else is waiting, by
// deadline, and says what became of it. The write does not end with the
// request: a client that hangs up still has its delivery recorded.
func (g *groupCommit) record(d store.Delivery, deadline time.Time) store.Recorded {
	rec, err := g.queue.Do(pending{d: d, deadline: deadline})
	if err != nil {
		return store.Recorded{Err: err}
	}
	return rec
}

// writeBatch records the deliveries of batch still within their budget, by
// the latest deadline among them: were it the earliest, a batch led by a
// delivery that had waited long would fail whole, and under load every
// batch would, each spooling deliveries that had time left. One that waited
// longest is then answered up to one budget late — recorded, not spooled.
func writeBatch(r Recorder, batch []pending) ([]store.Recorded, error) {
	out := make([]store.Recorded, len(batch))
	live := make([]int, 0, len(batch))
	ds := make([]store.Delivery, 0, len(batch))
	var deadline time.Time
	now := time.Now()
	for i, p := range batch {
		if !p.deadline.After(now) {
			out[i].Err = errWaitedTooLong
			continue
		}
		if p.deadline.After(deadline) {
			deadline = p.deadline
		}
		live, ds = append(live, i), append(ds, p.d)
	}
	if len(live) == 0 {
		return out, nil
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	recs, err := r.RecordDeliveries(ctx, ds)
	if err != nil {
		return nil, err
	}
	if len(recs) != len(ds) {
		return nil, fmt.Errorf("record deliveries: %d outcomes for %d deliveries", len(recs), len(ds))
	}
	for j, i := range live {
		out[i] = recs[j]
	}
	return out, nil
}
