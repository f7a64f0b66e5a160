package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
)

// What a replay did with a delivery.
const (
	// ReplayQueued: its task is queued and will apply it as a new delivery.
	ReplayQueued = "queued"
	// ReplayAlreadyQueued: its task is waiting or running already.
	ReplayAlreadyQueued = "already_queued"
	// ReplayStillRejected: its body still cannot be decoded; it stays
	// rejected, with the decoder's reason, and nothing is queued.
	ReplayStillRejected = "still_rejected"
	// ReplayApplied: it was applied already; a replay would change
	// nothing, and nothing is queued.
	ReplayApplied = "applied"
)

// Replayed is what a replay did with one delivery.
type Replayed struct {
	ID     int64
	Result string // one of the Replay… results
	// Reason is why a delivery is still rejected.
	Reason string
}

// ReplayDelivery runs delivery id again through TypeDelivery, as its task
// ran it when it arrived. A failed delivery (its task archived by asynq)
// or a rejected one whose body now decodes is made accepted again and its
// task run; an accepted one has its task enqueued unless asynq holds it
// already. A processed delivery is not run: the handler would skip it, and
// its facts are applied. A rejected delivery whose body still cannot be
// decoded stays rejected with the reason. store.ErrNotFound when there is
// no delivery id.
func (o *Operations) ReplayDelivery(ctx context.Context, id int64) (Replayed, error) {
	var r Replayed
	err := o.store.InTx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = reopen(ctx, tx, id)
		return err
	})
	if err != nil || r.Result != "" {
		return r, err
	}
	// Committed first: the task skips a delivery that is not accepted or
	// failed. Should Redis be down now, the row is accepted and the relay
	// enqueues its task.
	if r.Result, err = o.requeue(ctx, id); err != nil {
		return r, err
	}
	return r, nil
}

// reopen makes delivery id accepted again if a replay is to run it, and
// says what it did otherwise (Result "" when it is to run).
func reopen(ctx context.Context, tx *store.Tx, id int64) (Replayed, error) {
	r := Replayed{ID: id}
	row, err := tx.ClaimInbox(ctx, id)
	if err != nil {
		return r, err
	}
	switch row.Status {
	case store.InboxProcessed:
		r.Result = ReplayApplied
		return r, nil
	case store.InboxAccepted:
		return r, nil
	case store.InboxRejected:
		shop, err := tx.Shop(ctx, row.ShopID)
		if err != nil {
			return r, err
		}
		d, err := decode(shop, row)
		if err != nil {
			return r, err
		}
		if d.outcome == outcomeRejected {
			// Left rejected, with the reason today's decoder gives.
			r.Result, r.Reason = ReplayStillRejected, d.reason
			if d.reason == row.Reason {
				return r, nil
			}
			return r, tx.FinishInbox(ctx, id, store.InboxRejected, d.reason)
		}
	}
	_, err = tx.ReopenInbox(ctx, id, fmt.Sprintf("replayed by an operator; it was %s: %s", row.Status, row.Reason))
	return r, err
}

// requeue enqueues delivery id's task, or runs again the copy asynq keeps
// of it: archived (a dead letter) or completed (kept for its retention).
func (o *Operations) requeue(ctx context.Context, id int64) (string, error) {
	taskID := TaskID(TableInbox, id)
	for range 2 {
		ectx, cancel := context.WithTimeout(ctx, enqueueTimeout)
		_, err := o.dispatcher.client.EnqueueContext(ectx, NewDeliveryTask(id), deliveryOptions(id)...)
		cancel()
		if err == nil {
			return ReplayQueued, nil
		}
		if !errors.Is(err, asynq.ErrTaskIDConflict) {
			return "", fmt.Errorf("enqueue %s: %w", taskID, err)
		}
		info, err := o.inspector.GetTaskInfo(QueueIntake, taskID)
		switch {
		case errors.Is(err, asynq.ErrTaskNotFound) || errors.Is(err, asynq.ErrQueueNotFound):
			continue // finished in between: enqueue it again
		case err != nil:
			return "", fmt.Errorf("inspect %s: %w", taskID, err)
		}
		switch info.State {
		case asynq.TaskStateArchived:
			if err := o.inspector.RunTask(QueueIntake, taskID); err != nil {
				return "", fmt.Errorf("run archived %s: %w", taskID, err)
			}
			return ReplayQueued, nil
		case asynq.TaskStateCompleted:
			if err := o.inspector.DeleteTask(QueueIntake, taskID); err != nil && !errors.Is(err, asynq.ErrTaskNotFound) {
				return "", fmt.Errorf("delete completed %s: %w", taskID, err)
			}
		default:
			return ReplayAlreadyQueued, nil
		}
	}
	return "", fmt.Errorf("enqueue %s: its task keeps coming back", taskID)
}

// ReplayLimit bounds how many deliveries one ReplayDeliveries call runs
// again; the rest of a range is the next call's (ReplaySummary.NextFromID).
const ReplayLimit = 1000

// ReplaySummary counts what ReplayDeliveries did.
type ReplaySummary struct {
	Matched       int
	Queued        int
	AlreadyQueued int
	// Applied counts deliveries applied meanwhile (by their own task):
	// nothing is queued for them.
	Applied int
	// StillRejected lists the rejected deliveries that still cannot be
	// decoded, with the reason.
	StillRejected []Replayed
	// NextFromID is the first id the filter selects beyond this call's
	// limit (0: none are left).
	NextFromID int64
}

// ReplayDeliveries runs again, lowest id first, up to f.Limit (at most
// ReplayLimit) of the failed and rejected deliveries f selects (both when
// f names no status), each as ReplayDelivery does. On an error, the summary counts what was done
// before it.
func (o *Operations) ReplayDeliveries(ctx context.Context, f store.ReplayFilter) (ReplaySummary, error) {
	var sum ReplaySummary
	if f.Limit < 1 || f.Limit > ReplayLimit {
		f.Limit = ReplayLimit
	}
	if len(f.Statuses) == 0 {
		f.Statuses = []string{store.InboxFailed, store.InboxRejected}
	}
	limit := f.Limit
	f.Limit++
	ids, err := o.store.ReplayCandidates(ctx, f)
	if err != nil {
		return sum, err
	}
	if len(ids) > limit {
		sum.NextFromID, ids = ids[limit], ids[:limit]
	}
	sum.Matched = len(ids)
	for _, id := range ids {
		r, err := o.ReplayDelivery(ctx, id)
		if err != nil {
			return sum, fmt.Errorf("replay delivery %d: %w", id, err)
		}
		switch r.Result {
		case ReplayQueued:
			sum.Queued++
		case ReplayAlreadyQueued:
			sum.AlreadyQueued++
		case ReplayApplied:
			sum.Applied++
		case ReplayStillRejected:
			sum.StillRejected = append(sum.StillRejected, r)
		}
	}
	return sum, nil
}
