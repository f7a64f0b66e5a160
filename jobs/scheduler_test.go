package jobs

import (
	"context"
	"encoding/json"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// TestSchedulerTicksRunEachPeriodOnceAcrossReplicasAndShowOnTheMonitor runs
// three replicas' asynq schedulers and one worker for a few seconds: every
// second is one period, each period's work runs once, and each replica's
// entry is listed where the monitor's Schedulers page reads it, with a
// readable payload.
func TestSchedulerTicksRunEachPeriodOnceAcrossReplicasAndShowOnTheMonitor(t *testing.T) {
	h := NewHarness(t, nil)
	const taskType = "periodic:test-tick"
	entry := Periodic{Type: taskType, Queue: QueuePeriodic, Every: time.Second, About: "a test's work"}
	var mu sync.Mutex
	runs := map[int64]int{}
	mux := asynq.NewServeMux()
	mux.HandleFunc(taskType, func(_ context.Context, t *asynq.Task) error {
		var args PeriodicArgs
		if err := json.Unmarshal(t.Payload(), &args); err != nil || args.Period == 0 {
			return asynq.SkipRetry
		}
		mu.Lock()
		runs[args.Period]++
		mu.Unlock()
		return nil
	})
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	ro := h.Redis.(*redis.Client).Options()
	redisOpt := asynq.RedisClientOpt{Addr: ro.Addr, DB: ro.DB, Username: ro.Username, Password: ro.Password}
	var stops []func()
	for range 3 {
		s := NewScheduler(h.Client, log, entry)
		s.heartbeat = 500 * time.Millisecond
		if len(stops) == 0 {
			mux.Use(s.Ticks(time.Now))
		}
		stop, err := s.Start(redisOpt)
		if err != nil {
			t.Fatal(err)
		}
		stops = append(stops, stop)
	}
	srv := NewServer(h.Redis, WorkerConfig{Concurrency: 4, ShutdownTimeout: time.Second}, h.Log)
	if err := srv.Start(mux); err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()

	h.WaitFor("the monitor lists three replicas' entries", func() bool {
		es, err := h.Inspector.SchedulerEntries()
		if err != nil || len(es) != 3 {
			return false
		}
		for _, e := range es {
			var tick TickArgs
			if e.Task.Type() != taskType || json.Unmarshal(e.Task.Payload(), &tick) != nil || tick.Every != "1s" || tick.About == "" {
				t.Errorf("entry %s %s, want %s with a readable payload", e.Task.Type(), e.Task.Payload(), taskType)
			}
		}
		return true
	})
	h.WaitFor("three periods run", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(runs) >= 3
	})
	for _, stop := range stops {
		stop()
	}
	mu.Lock()
	defer mu.Unlock()
	for period, n := range runs {
		if n != 1 {
			t.Errorf("period %s ran %d times, want once", time.Unix(period, 0).UTC(), n)
		}
	}
	if es, _ := h.Inspector.SchedulerEntries(); len(es) != 0 {
		t.Errorf("%d entries left on the monitor after the schedulers stopped", len(es))
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) || strings.Contains(logs.String(), `"level":"WARN"`) {
		t.Errorf("the schedulers ran and stopped with complaints:\n%s", logs.String())
	}
}

// TestAPeriodicTaskHasItsWholePeriodToRunByAsynqsReckoning: asynq gives a
// task min(the whole second it starts in + its timeout, its deadline), in
// whole seconds. A periodic task that starts at the very end of its
// period's first second still has its period to run.
func TestAPeriodicTaskHasItsWholePeriodToRunByAsynqsReckoning(t *testing.T) {
	h := NewHarness(t, nil)
	s := NewScheduler(h.Client, h.Log)
	for _, every := range []time.Duration{time.Second, 30 * time.Second} {
		e := Periodic{Type: "periodic:test-timeout", Queue: QueuePeriodic, Every: every}
		period := time.Now().Truncate(every).Add(every) // a period to come: its deadline is ahead
		if err := s.Enqueue(context.Background(), e, period); err != nil {
			t.Fatal(err)
		}
		info, err := h.Inspector.GetTaskInfo(QueuePeriodic, "periodic:"+e.Type+":"+strconv.FormatInt(period.Unix(), 10))
		if err != nil {
			t.Fatal(err)
		}
		start := period.Add(time.Second - time.Millisecond)
		deadline := time.Unix(min(start.Unix()+int64(info.Timeout/time.Second), info.Deadline.Unix()), 0)
		if left := deadline.Sub(start); left < every-time.Millisecond {
			t.Errorf("every %s: a task started %s into its period has %s to run, want its period", every, start.Sub(period), left)
		}
		if _, err := h.Inspector.DeleteAllPendingTasks(QueuePeriodic); err != nil {
			t.Fatal(err)
		}
	}
}
