package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
	// About says what the work is for, on the monitor's Schedulers page.
	About string
}

// Scheduler runs backorderd's periodic work through asynq's own scheduler,
// so that the monitor's Schedulers page lists it. asynq's scheduler has no
// leader election and enqueues the same task every time: every replica
// would run every period's work. So what it enqueues is a tick (the
// entry's task type, with no period in its payload), and the tick's handler
// enqueues the task of the period now due, with a TaskID naming that period
// and kept by asynq for a while after it completes: the first tick of a
// period wins and the rest conflict.
type Scheduler struct {
	client  Enqueuer
	entries []Periodic
	log     *slog.Logger
	// heartbeat is how often the monitor's list of entries is written
	// (zero: asynq's 10 s).
	heartbeat time.Duration
}

// NewScheduler returns a scheduler for entries, enqueuing through client.
func NewScheduler(client Enqueuer, log *slog.Logger, entries ...Periodic) *Scheduler {
	return &Scheduler{client: client, entries: entries, log: log}
}

// PeriodicTasks lists backorderd's periodic tasks.
func PeriodicTasks(relayEvery, fullCheckEvery, noticeWindow, reorderEvery time.Duration) []Periodic {
	return []Periodic{
		{Type: TypeRelay, Queue: QueuePeriodic, Every: relayEvery,
			About: "enqueue tasks Redis lost; mark archived ones failed"},
		{Type: TypeFullCheck, Queue: QueuePeriodic, Every: fullCheckEvery,
			About: "reconcile every item with open lines; count and correct drift"},
		{Type: TypePeriodicMessages, Queue: QueuePeriodic, Every: noticeWindow,
			About: "digests, updates and overdue notices of the window"},
		{Type: TypeSupply, Queue: QueuePeriodic, Every: reorderEvery,
			About: "reorder what is short; tell of overdue purchase orders"},
	}
}

// TickArgs are the payload of a tick: what the monitor shows of an entry.
// No period: the tick's handler decides which one is due.
type TickArgs struct {
	Every string `json:"every"`
	About string `json:"about,omitempty"`
}

// tickMaxRetry: a tick that fails is not tried again; the next one is.
const tickMaxRetry = 0

// Start registers the entries with an asynq scheduler on a Redis client of
// its own (asynq's scheduler closes its client when it stops, and says so
// as an error when the client is shared) and starts it; stop shuts it down
// (its entries leave the monitor). Each entry ticks
// every period from when the process started; a period whose ticks all
// came late (a worker busy for a whole period) is skipped, as a missed
// cron run is, and its work is done by the next one (the notices catch up).
func (s *Scheduler) Start(redisOpt asynq.RedisConnOpt) (stop func(), err error) {
	sched := asynq.NewScheduler(redisOpt, &asynq.SchedulerOpts{
		Logger:            asynqLogger{log: s.log.With("component", "asynq-scheduler")},
		LogLevel:          asynq.WarnLevel,
		HeartbeatInterval: s.heartbeat,
		PostEnqueueFunc: func(_ *asynq.TaskInfo, err error) {
			if err == nil || errors.Is(err, asynq.ErrDuplicateTask) {
				return // another replica's tick is still waiting to run
			}
			s.log.Warn("periodic tick not enqueued", "err", err)
		},
	})
	for _, e := range s.entries {
		if _, err := sched.Register(e.cronspec(), e.tick(), e.tickOptions()...); err != nil {
			return nil, fmt.Errorf("register %s: %w", e.Type, err)
		}
	}
	if err := sched.Start(); err != nil {
		return nil, fmt.Errorf("start scheduler: %w", err)
	}
	return sched.Shutdown, nil
}

// cronspec ticks every period. asynq's cron has whole seconds (and so do
// its tasks' timeouts and deadlines): config refuses an interval that is
// not whole seconds, and the rounding here is for callers that skip it.
func (e Periodic) cronspec() string {
	return "@every " + max(e.Every.Round(time.Second), time.Second).String()
}

func (e Periodic) tick() *asynq.Task {
	payload, _ := json.Marshal(TickArgs{Every: e.Every.String(), About: e.About}) // strings always encode
	return asynq.NewTask(e.Type, payload)
}

// tickOptions: one tick waits at a time per entry (Unique), so that a
// worker that is down does not come back to a pile of them.
func (e Periodic) tickOptions() []asynq.Option {
	return []asynq.Option{asynq.Queue(e.Queue), asynq.MaxRetry(tickMaxRetry), asynq.Timeout(enqueueTimeout * 2),
		asynq.Unique(max(e.Every, time.Second))}
}

// Ticks is the worker's middleware that answers the scheduler's ticks: a
// task of an entry's type whose payload names no period enqueues the task
// of the period due now (its start, now truncated to the period). Every
// other task goes on to its handler.
func (s *Scheduler) Ticks(now func() time.Time) asynq.MiddlewareFunc {
	byType := make(map[string]Periodic, len(s.entries))
	for _, e := range s.entries {
		byType[e.Type] = e
	}
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
			e, ok := byType[t.Type()]
			if !ok || hasPeriod(t) {
				return next.ProcessTask(ctx, t)
			}
			return s.Enqueue(ctx, e, now().Truncate(e.Every))
		})
	}
}

// hasPeriod says whether a periodic task names its period.
func hasPeriod(t *asynq.Task) bool {
	var args PeriodicArgs
	return json.Unmarshal(t.Payload(), &args) == nil && args.Period != 0
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
	// Due is Period in RFC 3339, for people reading the monitor.
	Due string `json:"due,omitempty"`
}

// NewPeriodicTask is the task of taskType for the period due at period.
func NewPeriodicTask(taskType string, period time.Time) *asynq.Task {
	payload, _ := json.Marshal(PeriodicArgs{Period: period.Unix(), Due: period.UTC().Format(time.RFC3339)}) // always encodes
	return asynq.NewTask(taskType, payload)
}

// periodOf is the period a periodic task stands for, or now for a task
// without one.
func periodOf(t *asynq.Task, now time.Time) time.Time {
	var args PeriodicArgs
	if err := json.Unmarshal(t.Payload(), &args); err != nil || args.Period == 0 {
		return now
	}
	return time.Unix(args.Period, 0).UTC()
}

// Enqueue enqueues e's task for the period due at period; a replica that
// already enqueued it is success. Its timeout is a second longer than the
// period: asynq counts a timeout from the whole second a task starts in
// (its deadline is now.Unix()+timeout), so Timeout(e.Every) gave a task
// started late in a second up to a second less than its period — a relay
// every second could be cut off at once and, retried past its deadline,
// archived. The deadline, two periods, still bounds it.
func (s *Scheduler) Enqueue(ctx context.Context, e Periodic, period time.Time) error {
	id := "periodic:" + e.Type + ":" + strconv.FormatInt(period.Unix(), 10)
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	_, err := s.client.EnqueueContext(ctx, NewPeriodicTask(e.Type, period),
		asynq.TaskID(id), asynq.Queue(e.Queue), asynq.MaxRetry(periodicMaxRetry),
		asynq.Timeout(e.Every+time.Second), asynq.Deadline(period.Add(2*e.Every)), asynq.Retention(2*e.Every))
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("enqueue %s for %s: %w", e.Type, period.UTC().Format(time.RFC3339), err)
	}
	return nil
}
