// Package jobs holds backorderd's asynq tasks: their type names and queues,
// the dispatcher that enqueues rows of the inbox and the outbox after their
// transaction commits, one handler per task type, the relays that recover
// tasks Redis never got or lost, and the periodic scheduler.
//
// The database is the record of what must happen and asynq is how it gets
// done fast: every task is a row first (inbox:<id> or outbox:<id>), its task
// carries only that id, and its handler marks the row finished in the same
// transaction as its effect, so a task that runs twice has one effect.
package jobs

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/hibiken/asynq"
)

// Queues, with the weights the worker serves them by: deliveries first,
// follow-up work next, periodic housekeeping after, and the writes to the
// stores and their polling (QueueStore) last.
const (
	QueueIntake   = "intake"
	QueueDefault  = "default"
	QueuePeriodic = "periodic"
)

// Queues maps each queue to its priority weight.
func Queues() map[string]int {
	return map[string]int{QueueIntake: 12, QueueDefault: 6, QueuePeriodic: 2, QueueStore: 1}
}

// Task types.
const (
	// TypeDelivery applies one inbox row: a verified webhook delivery.
	TypeDelivery = "intake:delivery"
	// TypeRelay runs the relays once (periodic).
	TypeRelay = "periodic:relay"
)

// Tables whose rows are tasks; a row's TaskID is "<table>:<id>".
const (
	TableInbox  = "inbox"
	TableOutbox = "outbox"
)

// RowPayload is the payload of every row task: the row's id, which its
// handler reads the row by, and what the row is about, for people reading
// the monitor (handlers ignore it).
type RowPayload struct {
	ID      int64    `json:"id"`
	Subject *Subject `json:"subject,omitempty"`
}

// TaskID is the asynq TaskID of a row: namespaced by its table so that an
// inbox row and an outbox row with the same id never collide.
func TaskID(table string, id int64) string {
	return table + ":" + strconv.FormatInt(id, 10)
}

// NewDeliveryTask is the task that applies inbox row id, about subject
// (nil: unknown, as for a row the relay enqueues again).
func NewDeliveryTask(id int64, subject *Subject) *asynq.Task {
	return newRowTask(TypeDelivery, id, subject)
}

func newRowTask(taskType string, id int64, subject *Subject) *asynq.Task {
	payload, _ := json.Marshal(RowPayload{ID: id, Subject: subject}) // ids and strings always encode
	return asynq.NewTask(taskType, payload)
}

// decodeRow reads a row task's payload; a payload that cannot decode will
// never decode, so it is not retried.
func decodeRow(t *asynq.Task) (int64, error) {
	var p RowPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ID <= 0 {
		return 0, fmt.Errorf("decode %s payload %q: %w", t.Type(), t.Payload(), asynq.SkipRetry)
	}
	return p.ID, nil
}
