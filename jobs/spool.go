package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
)

// TypeSpool carries a whole delivery that the database could not take when
// it arrived; its job records it in the inbox once the database is back.
// It is the one task that carries personal data, and it is deleted as soon
// as the inbox row exists.
const TypeSpool = "intake:spool"

// spoolMaxRetry keeps a spooled delivery for a day of retries at most
// spoolMaxDelay apart.
const (
	spoolMaxRetry = 24 * 60 * 2
	spoolMaxDelay = 30 * time.Second
)

type spoolPayload struct {
	ShopID     int64             `json:"shop_id"`
	Topic      string            `json:"topic"`
	DedupeKey  string            `json:"dedupe_key"`
	Headers    map[string]string `json:"headers"`
	Body       []byte            `json:"body"`
	ReceivedAt time.Time         `json:"received_at"`
}

// SpoolDelivery makes a delivery durable in Redis while the database is
// down. The same delivery spooled twice is one task.
func (d *Dispatcher) SpoolDelivery(ctx context.Context, del store.Delivery) error {
	payload, err := json.Marshal(spoolPayload(del))
	if err != nil {
		return fmt.Errorf("encode spooled delivery: %w", err)
	}
	key := sha256.Sum256([]byte(del.DedupeKey))
	id := "spool:" + strconv.FormatInt(del.ShopID, 10) + ":" + hex.EncodeToString(key[:16])
	return d.enqueue(ctx, asynq.NewTask(TypeSpool, payload),
		asynq.TaskID(id), asynq.Queue(QueueIntake), asynq.MaxRetry(spoolMaxRetry), asynq.Timeout(time.Minute))
}

// SpoolRecorder is what the spool job needs of the store.
type SpoolRecorder interface {
	RecordDelivery(ctx context.Context, d store.Delivery) (id int64, duplicate bool, err error)
}

// SpoolHandler records spooled deliveries in the inbox and enqueues their
// tasks; until the database answers it fails, and asynq retries it.
func (d *Dispatcher) SpoolHandler(s SpoolRecorder) asynq.Handler {
	return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		var p spoolPayload
		if err := json.Unmarshal(t.Payload(), &p); err != nil || p.ShopID == 0 {
			return fmt.Errorf("decode spooled delivery: %w", asynq.SkipRetry)
		}
		id, duplicate, err := s.RecordDelivery(ctx, store.Delivery(p))
		if err != nil {
			return err
		}
		if duplicate {
			return nil
		}
		// If this enqueue fails the row is there and the relay enqueues it.
		return d.EnqueueDeliveryOf(ctx, id, "", p.Topic)
	})
}
