package store

import (
	"context"
	"fmt"
	"time"
)

// Outbox statuses.
const (
	OutboxPending = "pending" // written; its task has not finished
	OutboxDone    = "done"    // its effect is committed
	OutboxFailed  = "failed"  // its task was archived by asynq: a dead letter
)

// OutboxTask is a task a state change calls for, recorded in the same
// transaction as that change.
type OutboxTask struct {
	ID       int64  `db:"id"`
	TaskType string `db:"task_type"`
	Queue    string `db:"queue"`
	// Payload holds ids, never personal data.
	Payload   []byte     `db:"payload"`
	Status    string     `db:"status"`
	Reason    string     `db:"reason"`
	RunAt     time.Time  `db:"run_at"`
	CreatedAt time.Time  `db:"created_at"`
	DoneAt    *time.Time `db:"done_at"`
}

const outboxColumns = `id, task_type, queue, payload, status, reason, run_at, created_at, done_at`

// AddOutbox records a task in the transaction and returns it with its id.
// A zero RunAt means now.
func (tx *Tx) AddOutbox(ctx context.Context, t OutboxTask) (OutboxTask, error) {
	const q = `INSERT INTO outbox (task_type, queue, payload, status, run_at, created_at)
	VALUES (?, ?, ?, 'pending', ?, ?)
	RETURNING id`
	t.CreatedAt = tx.store.nowUTC()
	if t.RunAt.IsZero() {
		t.RunAt = t.CreatedAt
	}
	t.RunAt = t.RunAt.UTC()
	t.Status = OutboxPending
	if err := tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(q),
		t.TaskType, t.Queue, t.Payload, t.RunAt, t.CreatedAt).Scan(&t.ID); err != nil {
		return OutboxTask{}, fmt.Errorf("add outbox %s: %w", t.TaskType, translate(err))
	}
	return t, nil
}

// Outbox reads one outbox task.
func (s *Store) Outbox(ctx context.Context, id int64) (OutboxTask, error) {
	const q = `SELECT ` + outboxColumns + ` FROM outbox WHERE id = ?`
	var t OutboxTask
	if err := s.db.GetContext(ctx, &t, s.db.Rebind(q), id); err != nil {
		return OutboxTask{}, fmt.Errorf("outbox %d: %w", id, translate(err))
	}
	return t, nil
}

// ClaimOutbox reads task id and locks it for the rest of the transaction, so
// that two runs of it cannot both commit its effect.
func (tx *Tx) ClaimOutbox(ctx context.Context, id int64) (OutboxTask, error) {
	q := `SELECT ` + outboxColumns + ` FROM outbox WHERE id = ?` + tx.store.forUpdate()
	var t OutboxTask
	if err := tx.tx.GetContext(ctx, &t, tx.tx.Rebind(q), id); err != nil {
		return OutboxTask{}, fmt.Errorf("claim outbox %d: %w", id, translate(err))
	}
	return t, nil
}

// FinishOutbox marks the task done in the transaction that made its effect.
func (tx *Tx) FinishOutbox(ctx context.Context, id int64) error {
	const q = `UPDATE outbox SET status = 'done', reason = '', done_at = ? WHERE id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), tx.store.nowUTC(), id); err != nil {
		return fmt.Errorf("finish outbox %d: %w", id, translate(err))
	}
	return nil
}

// FailOutbox marks a task that asynq archived as failed: a dead letter for
// operators, never retried by the relay.
func (s *Store) FailOutbox(ctx context.Context, id int64, reason string) error {
	const q = `UPDATE outbox SET status = 'failed', reason = ? WHERE id = ? AND status = 'pending'`
	if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), reason, id); err != nil {
		return fmt.Errorf("fail outbox %d: %w", id, translate(err))
	}
	return nil
}

// UnfinishedOutbox lists pending tasks due before before, with ids above
// afterID, lowest first: the relay's work list.
func (s *Store) UnfinishedOutbox(ctx context.Context, before time.Time, afterID int64, limit int) ([]OutboxTask, error) {
	const q = `SELECT ` + outboxColumns + ` FROM outbox
	WHERE status = 'pending' AND run_at < ? AND id > ?
	ORDER BY id LIMIT ?`
	var ts []OutboxTask
	if err := s.db.SelectContext(ctx, &ts, s.db.Rebind(q), before.UTC(), afterID, limit); err != nil {
		return nil, fmt.Errorf("list unfinished outbox: %w", translate(err))
	}
	return ts, nil
}

// OutboxPending reports whether a task of taskType with exactly payload
// is still to run (its row pending): a message whose send task asynq
// archived has none.
func (tx *Tx) OutboxPending(ctx context.Context, taskType string, payload []byte) (bool, error) {
	const q = `SELECT COUNT(*) FROM outbox WHERE status = 'pending' AND task_type = ? AND payload = ?`
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.tx.Rebind(q), taskType, payload); err != nil {
		return false, fmt.Errorf("pending %s tasks: %w", taskType, translate(err))
	}
	return n > 0, nil
}
