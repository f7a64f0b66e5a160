// Package groupcommit turns many callers' writes into few: callers that
// arrive while a write is in progress queue, and the next write takes all of
// them at once (one multi-row insert, one pipeline), each caller getting its
// own result. There is no timer — a lone caller is written at once, and
// batches grow with the load — and no goroutine of its own: every write
// runs on a caller's goroutine (a leader/follower queue, as in LevelDB's
// write path), so a server that waits for its requests on shutdown waits for
// every queued write too.
package groupcommit

import (
	"errors"
	"fmt"
	"sync"
)

// ErrAbandoned is the result of a caller whose write ended without an
// answer for it (the write function panicked or answered too few).
var ErrAbandoned = errors.New("group commit: the write ended without an answer")

// Config bounds a Queue.
type Config struct {
	// MaxBatch bounds the items of one write (at least 1).
	MaxBatch int
	// Flushes bounds the writes in progress at once (at least 1). While
	// that many are, arriving items queue.
	Flushes int
	// Batch, when set, is told the size of every write.
	Batch func(n int)
	// Waiting, when set, is told the length of the queue whenever it
	// changes.
	Waiting func(n int)
}

// Queue writes items in groups with a write function that answers each.
type Queue[T, R any] struct {
	cfg   Config
	write func(items []T) ([]R, error)

	mu     sync.Mutex
	queue  []*waiter[T, R]
	active int // writes in progress; while below cfg.Flushes the queue is empty
}

// waiter is one item waiting for its write.
type waiter[T, R any] struct {
	item T
	// lead receives the batch this caller is to write, led by itself, or
	// nil once res and err hold its result.
	lead chan []*waiter[T, R]
	res  R
	err  error
}

// New returns a queue that writes with write, which gets a batch and
// returns one result per item, in order, or an error for the whole batch.
func New[T, R any](cfg Config, write func(items []T) ([]R, error)) *Queue[T, R] {
	cfg.MaxBatch, cfg.Flushes = max(cfg.MaxBatch, 1), max(cfg.Flushes, 1)
	return &Queue[T, R]{cfg: cfg, write: write}
}

// Do writes item, together with whatever else is waiting, and returns its
// result.
func (q *Queue[T, R]) Do(item T) (R, error) {
	w := &waiter[T, R]{item: item, lead: make(chan []*waiter[T, R], 1)}
	q.mu.Lock()
	q.queue = append(q.queue, w)
	var batch []*waiter[T, R]
	if q.active < q.cfg.Flushes {
		q.active++
		batch = q.take()
	}
	q.waiting()
	q.mu.Unlock()
	if batch == nil {
		if batch = <-w.lead; batch == nil {
			return w.res, w.err
		}
	}
	q.run(batch)
	return w.res, w.err
}

// take removes the next batch from the queue; q.mu is held.
func (q *Queue[T, R]) take() []*waiter[T, R] {
	n := min(len(q.queue), q.cfg.MaxBatch)
	batch := make([]*waiter[T, R], n)
	copy(batch, q.queue)
	q.queue = append(q.queue[:0], q.queue[n:]...)
	return batch
}

func (q *Queue[T, R]) waiting() {
	if q.cfg.Waiting != nil {
		q.cfg.Waiting(len(q.queue))
	}
}

// run writes batch, answers its callers, and hands what queued meanwhile to
// the first in line, or frees its slot — even if write panics, so that no
// caller waits forever.
func (q *Queue[T, R]) run(batch []*waiter[T, R]) {
	items := make([]T, len(batch))
	for i, w := range batch {
		items[i], w.err = w.item, ErrAbandoned
	}
	defer func() {
		for _, w := range batch {
			w.lead <- nil // the leader's own is never read
		}
		q.mu.Lock()
		if len(q.queue) == 0 {
			q.active--
			q.mu.Unlock()
			return
		}
		next := q.take()
		q.waiting()
		q.mu.Unlock()
		next[0].lead <- next
	}()
	if q.cfg.Batch != nil {
		q.cfg.Batch(len(batch))
	}
	res, err := q.write(items)
	if err == nil && len(res) != len(batch) {
		err = fmt.Errorf("%w: %d results for %d items", ErrAbandoned, len(res), len(batch))
	}
	for i, w := range batch {
		if err != nil {
			w.err = err
		} else {
			w.res, w.err = res[i], nil
		}
	}
}
