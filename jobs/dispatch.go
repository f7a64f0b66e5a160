package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
)

// Retry budgets. A task that exhausts its budget is archived by asynq; the
// relay then marks its row failed for operators.
const (
	deliveryMaxRetry = 20
	outboxMaxRetry   = 20
	taskTimeout      = 5 * time.Minute
	enqueueTimeout   = 2 * time.Second
	// afterCommitBudget bounds the enqueues after one transaction when the
	// caller's deadline is later or absent: what is not enqueued by then
	// is the relay's.
	afterCommitBudget = 10 * time.Second
)

// Enqueuer is the part of asynq.Client the dispatcher uses.
type Enqueuer interface {
	EnqueueContext(ctx context.Context, task *asynq.Task, opts ...asynq.Option) (*asynq.TaskInfo, error)
}

// Dispatcher turns committed rows into asynq tasks.
type Dispatcher struct {
	client Enqueuer
	log    *slog.Logger
	// names caches the shop domains and SKUs of the tasks' subjects.
	names *names
}

// NewDispatcher returns a dispatcher that enqueues through client.
func NewDispatcher(client Enqueuer, log *slog.Logger) *Dispatcher {
	return &Dispatcher{client: client, log: log, names: &names{}}
}

// EnqueueDelivery enqueues the task of inbox row id. A task with its id that
// already exists is success. An error means the task is not in Redis now;
// the row is, and the relay will enqueue it.
func (d *Dispatcher) EnqueueDelivery(ctx context.Context, id int64) error {
	return d.enqueue(ctx, NewDeliveryTask(id, nil), deliveryOptions(id)...)
}

// EnqueueDeliveryOf is EnqueueDelivery for a delivery of shop (its domain)
// and topic, which the task's payload names for the monitor.
func (d *Dispatcher) EnqueueDeliveryOf(ctx context.Context, id int64, shop, topic string) error {
	return d.enqueue(ctx, NewDeliveryTask(id, &Subject{Shop: shop, Topic: topic}), deliveryOptions(id)...)
}

func deliveryOptions(id int64) []asynq.Option {
	return []asynq.Option{
		asynq.TaskID(TaskID(TableInbox, id)), asynq.Queue(QueueIntake),
		asynq.MaxRetry(deliveryMaxRetry), asynq.Timeout(taskTimeout),
	}
}

func outboxTask(t store.OutboxTask) (*asynq.Task, []asynq.Option) {
	opts := []asynq.Option{
		asynq.TaskID(TaskID(TableOutbox, t.ID)), asynq.Queue(t.Queue),
		asynq.MaxRetry(outboxMaxRetry), asynq.Timeout(taskTimeout),
	}
	if !t.RunAt.IsZero() {
		opts = append(opts, asynq.ProcessAt(t.RunAt))
	}
	return newRowTask(t.TaskType, t.ID, rowSubject(t)), opts
}

func (d *Dispatcher) enqueue(ctx context.Context, task *asynq.Task, opts ...asynq.Option) error {
	ctx, cancel := context.WithTimeout(ctx, enqueueTimeout)
	defer cancel()
	_, err := d.client.EnqueueContext(ctx, task, opts...)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue %s: %w", task.Type(), err)
	}
	return nil
}

// Outbox collects the tasks a transaction calls for, and what is to happen
// once it has committed.
type Outbox struct {
	tx    *store.Tx
	names *names // nil: every subject's names are looked up
	added []store.OutboxTask
	// writes are the store writes the transaction queued (store_writes
	// rows, not outbox rows: their task is enqueued after the commit, and
	// a lost one is requeued with the shop's next poll).
	writes []store.WriteBack
	// credentials caches, per shop, whether its store may be written to.
	credentials map[int64]bool
	// orders are the orders whose backorder lines or ETAs the transaction
	// changed, per shop: their store write is decided once, at its end.
	orders map[int64]map[string]bool
}

// Add records a task of taskType on queue, with args (ids only, never
// personal data) as its row's payload, to run at runAt (zero: now). It is
// enqueued once the transaction commits. Args with a subject have its
// shop's domain and item's SKU filled in; the task's payload carries it.
func (o *Outbox) Add(ctx context.Context, taskType, queue string, args any, runAt time.Time) (store.OutboxTask, error) {
	if s, ok := args.(subjected); ok {
		o.describe(ctx, s.subject())
	}
	payload, err := json.Marshal(args)
	if err != nil {
		return store.OutboxTask{}, fmt.Errorf("encode %s args: %w", taskType, err)
	}
	t, err := o.tx.AddOutbox(ctx, store.OutboxTask{TaskType: taskType, Queue: queue, Payload: payload, RunAt: runAt})
	if err != nil {
		return store.OutboxTask{}, err
	}
	o.added = append(o.added, t)
	return t, nil
}

// AfterCommit registers fn to run once the transaction has committed (see
// store.Tx.AfterCommit: the one mechanism), before the tasks are enqueued.
func (o *Outbox) AfterCommit(fn func()) {
	o.tx.AfterCommit(fn)
}

// TxStore is the part of the store a transaction with an outbox needs.
type TxStore interface {
	InTx(ctx context.Context, fn func(tx *store.Tx) error) error
}

// InTx runs fn in one transaction with an outbox, then runs the
// AfterCommit fns and enqueues the tasks fn added. The store may run fn
// more than once (a deadlock, a lost connection): each attempt starts with
// an empty outbox. A task that cannot be enqueued now is left to the relay:
// its row is committed, so it is not lost.
func (d *Dispatcher) InTx(ctx context.Context, s TxStore, fn func(tx *store.Tx, out *Outbox) error) error {
	var out Outbox
	err := s.InTx(ctx, func(tx *store.Tx) error {
		out = Outbox{tx: tx, names: d.names}
		if err := fn(tx, &out); err != nil {
			return err
		}
		return out.wantOrderWrites(ctx)
	})
	if err != nil {
		return err
	}
	d.enqueueCommitted(ctx, out.added)
	d.enqueueStoreWrites(ctx, out.writes)
	return nil
}

// enqueueCommitted enqueues committed tasks until the caller's deadline, or
// afterCommitBudget if that comes first. The work is committed, so a caller
// that was cancelled (a shutdown) still has its tasks enqueued meanwhile;
// the rest wait for the relay.
func (d *Dispatcher) enqueueCommitted(ctx context.Context, tasks []store.OutboxTask) {
	if len(tasks) == 0 {
		return
	}
	deadline := time.Now().Add(afterCommitBudget)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	ctx, cancel := context.WithDeadline(context.WithoutCancel(ctx), deadline)
	defer cancel()
	for i, t := range tasks {
		if ctx.Err() != nil {
			d.log.Warn("tasks left to the relay: the enqueue ran out of time", "tasks", len(tasks)-i,
				"first_task_id", TaskID(TableOutbox, t.ID))
			return
		}
		task, opts := outboxTask(t)
		if err := d.enqueue(ctx, task, opts...); err != nil {
			d.log.Warn("task left to the relay", "task_id", TaskID(TableOutbox, t.ID), "type", t.TaskType, "err", err)
		}
	}
}

// enqueueStoreWrites enqueues the committed store writes' tasks; one that
// cannot be enqueued now waits for the shop's next poll, which requeues
// its pending writes.
func (d *Dispatcher) enqueueStoreWrites(ctx context.Context, ws []store.WriteBack) {
	if len(ws) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), afterCommitBudget)
	defer cancel()
	for _, w := range ws {
		if err := d.EnqueueStoreWrite(ctx, w); err != nil {
			d.log.Warn("store write left to the next poll", "store_write_id", w.ID, "kind", w.Kind, "err", err)
		}
	}
}
