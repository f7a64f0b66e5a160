package groupcommit_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store/groupcommit"
)

// held is a write that holds its first batch until released, doubles every
// item, and notes every batch.
type held struct {
	release chan struct{}
	holding atomic.Bool
	waiting atomic.Int64
	mu      sync.Mutex
	batches [][]int
	panicOn int // an item whose batch panics
}

func (h *held) write(items []int) ([]int, error) {
	h.mu.Lock()
	h.batches = append(h.batches, append([]int(nil), items...))
	h.mu.Unlock()
	if h.holding.CompareAndSwap(false, true) {
		<-h.release
	}
	out := make([]int, len(items))
	for i, it := range items {
		if it == h.panicOn {
			panic("write failed")
		}
		out[i] = 2 * it
	}
	return out, nil
}

// queueBehindFirst does 0 alone, then items while 0's write holds, and
// waits until all of them queue.
func queueBehindFirst(t *testing.T, q *groupcommit.Queue[int, int], h *held, items []int) (results, first chan string) {
	t.Helper()
	first, results = make(chan string, 1), make(chan string, len(items))
	do := func(it int, to chan string) {
		defer func() {
			if p := recover(); p != nil {
				to <- fmt.Sprint(it, ":panic")
			}
		}()
		r, err := q.Do(it)
		to <- fmt.Sprint(it, ":", r, ":", errors.Is(err, groupcommit.ErrAbandoned))
	}
	go do(0, first)
	for end := time.Now().Add(time.Minute); !h.holding.Load(); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the first write never started")
		}
	}
	for _, it := range items {
		go do(it, results)
	}
	for end := time.Now().Add(time.Minute); h.waiting.Load() != int64(len(items)); time.Sleep(time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d queued, want %d", h.waiting.Load(), len(items))
		}
	}
	close(h.release)
	return results, first
}

func TestQueuedItemsAreWrittenInBatchesOfAtMostMaxBatchEachWithItsOwnResult(t *testing.T) {
	h := &held{release: make(chan struct{}), panicOn: -1}
	var sizes []int
	var mu sync.Mutex
	q := groupcommit.New(groupcommit.Config{MaxBatch: 2, Flushes: 1,
		Batch:   func(n int) { mu.Lock(); sizes = append(sizes, n); mu.Unlock() },
		Waiting: func(n int) { h.waiting.Store(int64(n)) }}, h.write)
	results, first := queueBehindFirst(t, q, h, []int{1, 2, 3, 4, 5})
	if got := <-first; got != "0:0:false" {
		t.Errorf("first = %s", got)
	}
	got := map[string]bool{}
	for range 5 {
		got[<-results] = true
	}
	for it := 1; it <= 5; it++ {
		if want := fmt.Sprint(it, ":", 2*it, ":false"); !got[want] {
			t.Errorf("results = %v, want %s", got, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(sizes) != "[1 2 2 1]" {
		t.Errorf("batch sizes = %v, want [1 2 2 1]: what queued, two at a time", sizes)
	}
}

func TestAWriteThatPanicsAbandonsItsBatchAndTheQueueGoesOn(t *testing.T) {
	h := &held{release: make(chan struct{}), panicOn: 2}
	q := groupcommit.New(groupcommit.Config{MaxBatch: 2, Flushes: 1,
		Waiting: func(n int) { h.waiting.Store(int64(n)) }}, h.write)
	results, first := queueBehindFirst(t, q, h, []int{1, 2, 3, 4})
	<-first
	got := map[string]bool{}
	for range 4 {
		got[<-results] = true
	}
	// The batch holding 2 panics: its leader (the first of it) sees the
	// panic, the others in it are abandoned; every other batch is written.
	h.mu.Lock()
	want := map[string]bool{}
	for _, b := range h.batches[1:] {
		for i, it := range b {
			switch {
			case !slices.Contains(b, 2):
				want[fmt.Sprint(it, ":", 2*it, ":false")] = true
			case i == 0:
				want[fmt.Sprint(it, ":panic")] = true
			default:
				want[fmt.Sprint(it, ":0:true")] = true
			}
		}
	}
	h.mu.Unlock()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("results = %v, want %v", got, want)
	}
	if r, err := q.Do(7); r != 14 || err != nil {
		t.Errorf("after the panic: %d, %v; want 14", r, err)
	}
}
