package jobs

import (
	"context"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
)

// Operations are what an operator does by hand through the admin API:
// run recorded deliveries again, send a message again, release held mail,
// connect a shop. Each goes through the task a rule of backorderd's own
// would use, so it has the same effect and is as safe to repeat. The admin
// API's request log line records each action.
type Operations struct {
	store      OperationsStore
	dispatcher *Dispatcher
	inspector  ReplayInspector
	now        func() time.Time
}

// OperationsStore is the part of the store Operations uses.
type OperationsStore interface {
	TxStore
	ReplayCandidates(ctx context.Context, f store.ReplayFilter) ([]int64, error)
}

// ReplayInspector is the part of asynq.Inspector a replay uses to find a
// delivery's task that asynq still keeps (archived as a dead letter,
// completed) and run it again.
type ReplayInspector interface {
	GetTaskInfo(queue, id string) (*asynq.TaskInfo, error)
	RunTask(queue, id string) error
	DeleteTask(queue, id string) error
}

// NewOperations returns the operator's actions; tasks are enqueued through
// d, and asynq's own copy of a delivery's task is found with insp.
func NewOperations(s OperationsStore, d *Dispatcher, insp ReplayInspector) *Operations {
	return &Operations{store: s, dispatcher: d, inspector: insp, now: time.Now}
}

// ReleaseHeld sends the shop's held mail now that it has a sender, as
// ReleaseHeld does, with the send tasks enqueued once it commits.
func (o *Operations) ReleaseHeld(ctx context.Context, shopID int64) (Released, error) {
	var r Released
	err := o.dispatcher.InTx(ctx, o.store, func(tx *store.Tx, out *Outbox) error {
		var err error
		r, err = releaseHeld(ctx, tx, out, shopID, o.now())
		return err
	})
	return r, err
}

// Connect queues the connect task of a shop: its webhooks registered in
// its store with its credentials, as at an OAuth install.
func (o *Operations) Connect(ctx context.Context, shopID int64) error {
	return o.dispatcher.InTx(ctx, o.store, func(_ *store.Tx, out *Outbox) error {
		return QueueConnect(ctx, out, shopID)
	})
}
