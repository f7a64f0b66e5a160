package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestEachTaskLogsOneJSONLineWithWhatItWasAboutAndNothingPersonal: a task
// that succeeds and one that fails each log one line, with type, task id,
// duration, outcome, shop and ids, and nothing else of the payload.
func TestEachTaskLogsOneJSONLineWithWhatItWasAboutAndNothingPersonal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		h := NewHarness(t, s)
		var logs lockedBuffer
		log := newJSONLog(&logs)
		shop := h.MailShop()
		emailID, sendID := h.QueueEmail(shop.ID, "confirm-1")
		const failing = "test:fails"
		// A payload with more than ids, as a spooled delivery's: none of
		// it but the ids and subject may reach the log.
		payload := []byte(`{"id":7,"shop_id":3,"subject":{"shop":"m.myshopify.com"},"body":"Wren Tanaka wren@example.net"}`)
		if _, err := h.Client.Enqueue(asynq.NewTask(failing, payload), asynq.Queue(QueueDefault), asynq.MaxRetry(0),
			asynq.TaskID("outbox:7")); err != nil {
			t.Fatal(err)
		}
		mux := NewMux(h.Handlers, log)
		mux.HandleFunc(failing, asynqHandlerFailing)
		srv := NewServer(h.Redis, WorkerConfig{Concurrency: 2, ShutdownTimeout: time.Second}, log)
		if err := srv.Start(mux); err != nil {
			t.Fatal(err)
		}
		h.WaitFor("both tasks logged", func() bool { return strings.Count(logs.String(), `"msg":"task `) >= 2 })
		srv.Shutdown()

		lines := map[string]map[string]any{}
		for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q is not JSON: %v", line, err)
			}
			if msg, _ := rec["msg"].(string); strings.HasPrefix(msg, "task ") {
				if _, dup := lines[rec["task_id"].(string)]; dup {
					t.Errorf("task %s logged twice", rec["task_id"])
				}
				lines[rec["task_id"].(string)] = rec
			}
			if strings.Contains(line, "wren") || strings.Contains(line, "Wren") {
				t.Errorf("log line names the customer: %s", line)
			}
		}
		want := map[string]map[string]any{
			TaskID(TableOutbox, sendID): {"level": "INFO", "msg": "task done", "type": TypeSendEmail, "queue": QueueDefault,
				"row_id": float64(sendID), "shop": "m.myshopify.com", "email_kind": "backordered",
				"order_ids": []any{"1"}},
			"outbox:7": {"level": "ERROR", "msg": "task failed", "type": failing, "row_id": float64(7), "shop_id": float64(3),
				"shop": "m.myshopify.com", "archived": true, "err": "the store said no"},
		}
		for id, fields := range want {
			rec, ok := lines[id]
			if !ok {
				t.Errorf("no log line for task %s in\n%s", id, logs.String())
				continue
			}
			for k, v := range fields {
				got, _ := json.Marshal(rec[k])
				w, _ := json.Marshal(v)
				if string(got) != string(w) {
					t.Errorf("task %s: %s = %s, want %s", id, k, got, w)
				}
			}
			if d, ok := rec["duration_ms"].(float64); !ok || d < 0 {
				t.Errorf("task %s: duration_ms = %v, want a duration", id, rec["duration_ms"])
			}
		}
		if e := h.Email(emailID); e.Status != store.EmailNotSent {
			t.Errorf("email status %s, want not_sent (no SendGrid key)", e.Status)
		}
		if got := h.MetricWith("backorderd_emails_total", "kind", "backordered", "status", store.EmailNotSent); got != 1 {
			t.Errorf("emails counted backordered, not_sent = %v, want 1", got)
		}
	})
}

func newJSONLog(w *lockedBuffer) *slog.Logger { return slog.New(slog.NewJSONHandler(w, nil)) }

func asynqHandlerFailing(context.Context, *asynq.Task) error { return errors.New("the store said no") }
