package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
)

// RelayStore is the part of the store the relays read and mark.
type RelayStore interface {
	UnfinishedInboxRefs(ctx context.Context, before time.Time, afterID int64, limit int) ([]store.InboxRef, error)
	UnfinishedOutbox(ctx context.Context, before time.Time, afterID int64, limit int) ([]store.OutboxTask, error)
	FailInbox(ctx context.Context, id int64, reason string) error
	FailOutbox(ctx context.Context, id int64, reason string) error
}

// TaskInspector is the part of asynq.Inspector the relays ask.
type TaskInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
}

// Relay finds rows whose task is not finished long after it should have
// been, and asks asynq about each: a task Redis never got or lost is
// enqueued again; a task asynq archived is a dead letter, so its row is
// marked failed and shown to operators, never re-enqueued blindly; any other
// task is still on its way and left alone.
type Relay struct {
	store      RelayStore
	dispatcher *Dispatcher
	inspector  TaskInspector
	after      time.Duration
	now        func() time.Time
	log        *slog.Logger
}

// NewRelay returns a relay that looks at rows older than after.
func NewRelay(s RelayStore, d *Dispatcher, insp TaskInspector, after time.Duration, log *slog.Logger) *Relay {
	return &Relay{store: s, dispatcher: d, inspector: insp, after: after, now: time.Now, log: log}
}

// RelayStats counts what one pass of the relays did.
type RelayStats struct {
	Enqueued int // tasks that were missing from Redis and are enqueued again
	Failed   int // rows whose task asynq archived, now marked failed
	InFlight int // rows whose task asynq still holds
}

const relayPage = 200

// RunOnce makes one pass over the inbox and the outbox.
func (r *Relay) RunOnce(ctx context.Context) (RelayStats, error) {
	var st RelayStats
	before := r.now().Add(-r.after)
	for after := int64(0); ; {
		refs, err := r.store.UnfinishedInboxRefs(ctx, before, after, relayPage)
		if err != nil {
			return st, err
		}
		for _, ref := range refs {
			id := ref.ID
			task := NewDeliveryTask(id, &Subject{Shop: ref.Domain, Topic: ref.Topic})
			err := r.relay(ctx, &st, task, deliveryOptions(id), QueueIntake, TaskID(TableInbox, id),
				func(reason string) error { return r.store.FailInbox(ctx, id, reason) })
			if err != nil {
				return st, err
			}
			after = id
		}
		if len(refs) < relayPage {
			break
		}
	}
	for after := int64(0); ; {
		tasks, err := r.store.UnfinishedOutbox(ctx, before, after, relayPage)
		if err != nil {
			return st, err
		}
		for _, t := range tasks {
			task, opts := outboxTask(t)
			err := r.relay(ctx, &st, task, opts, t.Queue, TaskID(TableOutbox, t.ID),
				func(reason string) error { return r.store.FailOutbox(ctx, t.ID, reason) })
			if err != nil {
				return st, err
			}
			after = t.ID
		}
		if len(tasks) < relayPage {
			break
		}
	}
	if st.Enqueued > 0 || st.Failed > 0 {
		r.log.Warn("relay recovered tasks", "enqueued", st.Enqueued, "failed", st.Failed, "in_flight", st.InFlight)
	}
	return st, nil
}

func (r *Relay) relay(ctx context.Context, st *RelayStats, task *asynq.Task, opts []asynq.Option,
	queue, taskID string, fail func(reason string) error) error {
	ectx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	_, err := r.dispatcher.client.EnqueueContext(ectx, task, opts...)
	switch {
	case err == nil:
		st.Enqueued++
		r.log.Info("relay enqueued a lost task", "task_id", taskID, "type", task.Type())
		return nil
	case !errors.Is(err, asynq.ErrTaskIDConflict):
		return fmt.Errorf("relay %s: %w", taskID, err)
	}
	info, err := r.inspector.GetTaskInfo(queue, taskID)
	if errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound) {
		// The conflict says the task exists (a client that enqueued before
		// Redis lost its queue list never lists the queue again, so the
		// inspector may not find it), or it finished in between: either way
		// it needs nothing now, and the next pass sees which.
		st.InFlight++
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect %s: %w", taskID, err)
	}
	if info.State != asynq.TaskStateArchived {
		st.InFlight++
		return nil
	}
	reason := fmt.Sprintf("archived by asynq after %d retries: %s", info.Retried, info.LastErr)
	if err := fail(reason); err != nil {
		return err
	}
	st.Failed++
	r.log.Error("task is a dead letter", "task_id", taskID, "type", task.Type(), "reason", reason)
	return nil
}

// Handler is the asynq handler of TypeRelay.
func (r *Relay) Handler() asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, _ *asynq.Task) error {
		_, err := r.RunOnce(ctx)
		return err
	})
}
