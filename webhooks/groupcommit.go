package webhooks

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/backorderd/backorderd/store"
)

// Recorder is the part of the store the receiver writes to: deliveries that
// arrive together are recorded together, each with its own outcome.
type Recorder interface {
	RecordDeliveries(ctx context.Context, ds []store.Delivery) ([]store.Recorded, error)
}

// Batching says how deliveries that arrive together are made durable
// together.
type Batching struct {
	// MaxBatch bounds the deliveries of one write.
	MaxBatch int
	// Flushes bounds the writes in progress at once. While that many are,
	// arriving deliveries queue, and the next write takes all of them: no
	// timer, so a lone delivery is written at once and batches grow with
	// the load.
	Flushes int
	// Budget bounds the time from a delivery's arrival until its write
	// ends, its wait in the queue included; past it the delivery is
	// spooled instead (0: recordTimeout).
	Budget time.Duration
}

// DefaultBatching is what `backorderd serve` uses.
var DefaultBatching = Batching{MaxBatch: 128, Flushes: 2}

// Errors a delivery gets when its batch did not record it.
var (
	errWaitedTooLong = errors.New("record delivery: waited longer than its time budget for the database")
	errNotRecorded   = errors.New("record delivery: its batch ended without an answer")
)

// groupCommit is the receiver's group commit: a leader/follower queue with
// no goroutine of its own. A delivery that finds a write slot free writes
// the queue itself (the leader); the others wait, and when a write ends its
// leader hands the deliveries queued meanwhile to the first of them, who
// writes them next. Every write runs on a request's goroutine, so an HTTP
// server's graceful shutdown, which waits for its requests, waits for every
// queued delivery to be written too.
type groupCommit struct {
	recorder Recorder
	cfg      Batching
	metrics  *Metrics

	mu     sync.Mutex
	queue  []*pending
	active int // writes in progress; while below cfg.Flushes the queue is empty
}

// pending is one delivery waiting for its write.
type pending struct {
	d        store.Delivery
	deadline time.Time
	// lead receives the batch this delivery is to write, led by itself,
	// or nil once rec holds its outcome.
	lead chan []*pending
	rec  store.Recorded
}

func newGroupCommit(r Recorder, cfg Batching, m *Metrics) *groupCommit {
	cfg.MaxBatch, cfg.Flushes = max(cfg.MaxBatch, 1), max(cfg.Flushes, 1)
	if cfg.Budget <= 0 {
		cfg.Budget = recordTimeout
	}
	return &groupCommit{recorder: r, cfg: cfg, metrics: m}
}

// record makes d durable, together with whatever else is waiting, by
// deadline, and says what became of it. The write does not end with the
// request: a client that hangs up still has its delivery recorded.
func (g *groupCommit) record(d store.Delivery, deadline time.Time) store.Recorded {
	p := &pending{d: d, deadline: deadline, lead: make(chan []*pending, 1)}
	g.mu.Lock()
	g.queue = append(g.queue, p)
	var batch []*pending
	if g.active < g.cfg.Flushes {
		g.active++
		batch = g.take()
	}
	g.metrics.waiting.Set(float64(len(g.queue)))
	g.mu.Unlock()
	if batch == nil {
		if batch = <-p.lead; batch == nil {
			return p.rec
		}
	}
	g.write(batch)
	return p.rec
}

// take removes the next batch from the queue; g.mu is held.
func (g *groupCommit) take() []*pending {
	n := min(len(g.queue), g.cfg.MaxBatch)
	batch := make([]*pending, n)
	copy(batch, g.queue)
	g.queue = append(g.queue[:0], g.queue[n:]...)
	return batch
}

// write records batch, answers its deliveries, and hands what queued
// meanwhile to the first in line — or frees its slot. It does so even if
// the recorder panics, so that no delivery waits forever.
func (g *groupCommit) write(batch []*pending) {
	for _, p := range batch {
		p.rec = store.Recorded{Err: errNotRecorded}
	}
	defer func() {
		for _, p := range batch {
			p.lead <- nil // the leader's own is never read
		}
		g.mu.Lock()
		if len(g.queue) == 0 {
			g.active--
			g.mu.Unlock()
			return
		}
		next := g.take()
		g.metrics.waiting.Set(float64(len(g.queue)))
		g.mu.Unlock()
		next[0].lead <- next
	}()
	live := make([]*pending, 0, len(batch))
	ds := make([]store.Delivery, 0, len(batch))
	deadline := time.Time{}
	now := time.Now()
	for _, p := range batch {
		if !p.deadline.After(now) {
			p.rec.Err = errWaitedTooLong
			continue
		}
		if deadline.IsZero() || p.deadline.Before(deadline) {
			deadline = p.deadline
		}
		live, ds = append(live, p), append(ds, p.d)
	}
	if len(live) == 0 {
		return
	}
	g.metrics.batchSize.Observe(float64(len(live)))
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	recs, err := g.recorder.RecordDeliveries(ctx, ds)
	for i, p := range live {
		switch {
		case err != nil:
			p.rec.Err = err
		case i < len(recs):
			p.rec = recs[i]
		}
	}
}
