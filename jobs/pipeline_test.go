package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store/groupcommit"
)

// holdFirstScript holds the first script call until released, and notes
// the size of every pipeline of script calls.
type holdFirstScript struct {
	release chan struct{}
	held    atomic.Bool
	mu      sync.Mutex
	pipes   []int
}

func (h *holdFirstScript) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h *holdFirstScript) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if strings.HasPrefix(cmd.Name(), "eval") && h.held.CompareAndSwap(false, true) {
			<-h.release
		}
		return next(ctx, cmd)
	}
}

func (h *holdFirstScript) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		h.mu.Lock()
		if cmds[0].Name() == "evalsha" { // not a new connection's setup
			h.pipes = append(h.pipes, len(cmds))
		}
		h.mu.Unlock()
		return next(ctx, cmds)
	}
}

func TestEnqueuesMadeDuringAPipelineGoTogetherInTheNextEachWithItsOwnAnswer(t *testing.T) {
	rc, _ := jobstest.Redis(t, redisDB)
	ctx := context.Background()
	// Scripts not loaded yet: every call's NOSCRIPT falls back to its own
	// EVAL, which loads it.
	if err := rc.ScriptFlush(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	hook := &holdFirstScript{release: make(chan struct{})}
	rc.(*redis.Client).AddHook(hook)
	var waiting atomic.Int64
	client := asynq.NewClientFromRedisClient(PipelineScripts(rc, groupcommit.Config{
		MaxBatch: 128, Flushes: 1, Waiting: func(n int) { waiting.Store(int64(n)) }}))
	enqueue := func(id string) error {
		_, err := client.EnqueueContext(ctx, asynq.NewTask("test:pipelined", nil), asynq.TaskID(id), asynq.Queue("pipelined"))
		return err
	}
	first := make(chan error)
	go func() { first <- enqueue("t-first") }()
	ids := []string{"t-1", "t-2", "t-3", "t-4", "t-5", "t-6", "t-7", "t-first"}
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	for end := time.Now().Add(time.Minute); !hook.held.Load(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatal("the first enqueue never reached Redis")
		}
	}
	for i, id := range ids {
		wg.Go(func() { errs[i] = enqueue(id) })
	}
	for end := time.Now().Add(time.Minute); waiting.Load() != int64(len(ids)); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("%d enqueues queued after a minute, want %d", waiting.Load(), len(ids))
		}
	}
	close(hook.release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		want := ids[i] == "t-first" // already there: its own answer
		if got := errors.Is(err, asynq.ErrTaskIDConflict); got != want || (!want && err != nil) {
			t.Errorf("enqueue %s = %v, want conflict %v", ids[i], err, want)
		}
	}
	hook.mu.Lock()
	pipes := fmt.Sprint(hook.pipes)
	hook.mu.Unlock()
	if pipes != fmt.Sprint([]int{len(ids)}) {
		t.Errorf("pipelines = %s, want one of %d", pipes, len(ids))
	}
	pending, err := asynq.NewInspectorFromRedisClient(rc).ListPendingTasks("pipelined")
	if err != nil || len(pending) != 8 {
		t.Fatalf("pending = %d, %v; want 8 tasks", len(pending), err)
	}
}
