package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/hibiken/asynq"
)

// Periodic is a task enqueued once per period across all `work` replicas.
type Periodic struct {
	Type  string
	Queue string
	Every time.Duration
}

// Scheduler enqueues periodic tasks. asynq's own Scheduler has no leader
// election (every replica would enqueue every period), so each period's task
// gets a TaskID naming its period, kept by asynq for a while after it
// completes: the first replica to enqueue it wins and the rest conflict.
type Scheduler struct {
	client  Enqueuer
	entries []Periodic
	log     *slog.Logger
}

// NewScheduler returns a scheduler for entries.
func NewScheduler(client Enqueuer, log *slog.Logger, entries ...Periodic) *Scheduler {
	return &Scheduler{client: client, entries: entries, log: log}
}

// PeriodicTasks lists backorderd's periodic tasks.
func PeriodicTasks(relayEvery, fullCheckEvery, noticeWindow, reorderEvery time.Duration) []Periodic {
	return []Periodic{
		{Type: TypeRelay, Queue: QueuePeriodic, Every: relayEvery},
		{Type: TypeFullCheck, Queue: QueuePeriodic, Every: fullCheckEvery},
		{Type: TypePeriodicMessages, Queue: QueuePeriodic, Every: noticeWindow},
		{Type: TypeSupply, Queue: QueuePeriodic, Every: reorderEvery},
	}
}

// Run enqueues each entry at every multiple of its period until ctx ends.
func (s *Scheduler) Run(ctx context.Context) {
	done := make(chan struct{})
	for _, e := range s.entries {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				next := time.Now().Truncate(e.Every).Add(e.Every)
				select {
				case <-ctx.Done():
					return
				case <-time.After(time.Until(next)):
				}
				if err := s.Enqueue(ctx, e, next); err != nil {
					s.log.Warn("periodic task not enqueued", "type", e.Type, "period", next, "err", err)
				}
			}
		}()
	}
	for range s.entries {
		<-done
	}
}

// periodicMaxRetry is how often a failed periodic task is tried again
// within its deadline (two periods); what is still missed then, the next
// period's run catches up where it can (the notices do).
const periodicMaxRetry = 3

// PeriodicArgs say which period a periodic task stands for, so that a run
// that starts late, or is retried, still does that period's work.
type PeriodicArgs struct {
	// Period is when the period's run was due (unix seconds): the end of
	// the window it stands for.
	Period int64 `json:"period"`
}

// NewPeriodicTask is the task of taskType for the period due at period.
func NewPeriodicTask(taskType string, period time.Time) *asynq.Task {
	payload, _ := json.Marshal(PeriodicArgs{Period: period.Unix()}) // one int64 always encodes
	return asynq.NewTask(taskType, payload)
}

// periodOf is the period a periodic task stands for, or now for a task
// without one (run by hand).
func periodOf(t *asynq.Task, now time.Time) time.Time {
	var args PeriodicArgs
	if err := json.Unmarshal(t.Payload(), &args); err != nil || args.Period == 0 {
		return now
	}
	return time.Unix(args.Period, 0).UTC()
}

// Enqueue enqueues e's task for the period due at period; a replica that
// already enqueued it is success.
func (s *Scheduler) Enqueue(ctx context.Context, e Periodic, period time.Time) error {
	id := "periodic:" + e.Type + ":" + strconv.FormatInt(period.Unix(), 10)
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	_, err := s.client.EnqueueContext(ctx, NewPeriodicTask(e.Type, period),
		asynq.TaskID(id), asynq.Queue(e.Queue), asynq.MaxRetry(periodicMaxRetry),
		asynq.Timeout(e.Every), asynq.Deadline(period.Add(2*e.Every)), asynq.Retention(2*e.Every))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}
