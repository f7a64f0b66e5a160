package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
)

// TaskLog is the worker's middleware that logs one line per task run: its
// type, id, queue, duration, outcome, and what it is about (the ids its
// payload carries and its subject: shop domain, item, SKU, orders, email
// kind, purchase order) — never anything else of the payload (a spooled
// delivery carries a whole body). A task done logs at info ("task done"),
// a failure at error ("task failed", archived when asynq retries it no
// more), a task that only waits its turn (a row's other writer, a batch
// that holds its delivery, a refused SendGrid account, which the mailer
// logs once per change) at debug ("task deferred").
func TaskLog(log *slog.Logger) asynq.MiddlewareFunc {
	return func(next asynq.Handler) asynq.Handler {
		return asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
			start := time.Now()
			defer func() {
				if p := recover(); p != nil {
					err = fmt.Errorf("panic: %v", p)
					logTask(ctx, log, t, start, err)
					panic(p)
				}
				logTask(ctx, log, t, start, err)
			}()
			return next.ProcessTask(ctx, t)
		})
	}
}

func logTask(ctx context.Context, log *slog.Logger, t *asynq.Task, start time.Time, err error) {
	level, msg := slog.LevelInfo, "task done"
	switch {
	case err != nil && !isFailure(err):
		level, msg = slog.LevelDebug, "task deferred"
	case err != nil:
		level, msg = slog.LevelError, "task failed"
	}
	if !log.Enabled(ctx, level) {
		return
	}
	id, _ := asynq.GetTaskID(ctx)
	queue, _ := asynq.GetQueueName(ctx)
	attrs := []any{"type", t.Type(), "task_id", id, "queue", queue,
		"duration_ms", float64(time.Since(start).Microseconds()) / 1000}
	attrs = append(attrs, taskFacts(t.Payload())...)
	if err != nil {
		retried, _ := asynq.GetRetryCount(ctx)
		maxRetry, _ := asynq.GetMaxRetry(ctx)
		attrs = append(attrs, "retried", retried, "max_retry", maxRetry,
			"archived", retried >= maxRetry || errors.Is(err, asynq.SkipRetry), "err", err.Error())
	}
	log.Log(ctx, level, msg, attrs...)
}

// loggedPayload is what of a payload a task's log line carries: ids and
// the subject, by name, so that nothing else ever reaches the log.
type loggedPayload struct {
	ID      int64    `json:"id"`
	ShopID  int64    `json:"shop_id"`
	ItemID  string   `json:"item_id"`
	EmailID int64    `json:"email_id"`
	POID    int64    `json:"po_id"`
	InboxID int64    `json:"inbox_id"`
	Period  int64    `json:"period"`
	Topic   string   `json:"topic"`
	Shop    string   `json:"shop"`
	Kind    string   `json:"kind"`
	Of      string   `json:"of"`
	Subject *Subject `json:"subject"`
}

// taskFacts are a payload's ids and subject as log attributes; a payload
// that is no JSON object gives none.
func taskFacts(payload []byte) []any {
	var p loggedPayload
	if json.Unmarshal(payload, &p) != nil {
		return nil
	}
	s := p.Subject
	if s == nil {
		s = &Subject{}
	}
	var attrs []any
	add := func(key string, v any, set bool) {
		if set {
			attrs = append(attrs, key, v)
		}
	}
	add("row_id", p.ID, p.ID != 0)
	add("shop_id", p.ShopID, p.ShopID != 0)
	add("shop", s.Shop+p.Shop, s.Shop != "" || p.Shop != "")
	add("topic", s.Topic+p.Topic, s.Topic != "" || p.Topic != "")
	add("item_id", s.Item+p.ItemID, s.Item != "" || p.ItemID != "")
	add("sku", s.SKU, s.SKU != "")
	add("order_ids", s.Orders, len(s.Orders) > 0)
	add("order_count", s.OrderCount, s.OrderCount > 0)
	add("email_kind", s.Email, s.Email != "")
	add("email_id", p.EmailID, p.EmailID != 0)
	add("po_id", p.POID+s.PO, p.POID != 0 || s.PO != 0)
	add("inbox_id", p.InboxID, p.InboxID != 0)
	add("write_kind", p.Kind, p.Kind != "")
	add("write_of", p.Of, p.Of != "")
	add("period", time.Unix(p.Period, 0).UTC().Format(time.RFC3339), p.Period != 0)
	return attrs
}
