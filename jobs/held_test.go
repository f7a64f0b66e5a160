package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// fromRecorder is a fake SendGrid that accepts every message and records
// the from address of each.
type fromRecorder struct {
	mu    sync.Mutex
	froms []string
}

func (f *fromRecorder) start(t *testing.T) *sendgrid.Client {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			From struct {
				Email string `json:"email"`
			} `json:"from"`
		}
		b, _ := io.ReadAll(r.Body)
		_ = json.Unmarshal(b, &body)
		f.mu.Lock()
		f.froms = append(f.froms, body.From.Email)
		f.mu.Unlock()
		w.Header().Set("X-Message-Id", "msg")
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(srv.Close)
	return sendgrid.New("SG.test", srv.URL, 2*time.Second)
}

// withoutSender takes the shop's sender away.
func (m mailEnv) setFrom(t *testing.T, from string) {
	ctx := context.Background()
	shop, err := m.s.Shop(ctx, m.shopID)
	if err != nil {
		t.Fatal(err)
	}
	shop.FromEmail = from
	if _, err := m.s.UpdateShop(ctx, shop); err != nil {
		t.Fatal(err)
	}
}

// release re-queues the shop's held mail as setting a sender does, and
// returns the send tasks it wrote.
func (m mailEnv) release(t *testing.T, now time.Time) []store.OutboxTask {
	ctx := context.Background()
	before, err := m.s.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	err = m.s.InTx(ctx, func(tx *store.Tx) error {
		_, err := jobs.ReleaseHeld(ctx, tx, m.shopID, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	after, err := m.s.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	return after[len(before):]
}

func TestMailWithoutASenderIsHeldAndGoesOnceTheSenderIsSet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := newMailEnv(t, s)
		m.setFrom(t, "")
		f := &fromRecorder{}
		sg := f.start(t)
		emailID, task := m.queue(t, "k")
		if err := m.send(sg, task); err != nil {
			t.Fatal(err)
		}
		if e := m.email(t, emailID); e.Status != store.EmailHeld || !strings.Contains(e.Reason, "--from") {
			t.Fatalf("email without a sender = %+v, want held, saying how to set one", e)
		}
		m.setFrom(t, "shop@example.com")
		tasks := m.release(t, time.Now())
		if len(tasks) != 1 {
			t.Fatalf("send tasks after the sender was set = %d, want 1", len(tasks))
		}
		if err := m.send(sg, tasks[0].ID); err != nil {
			t.Fatal(err)
		}
		if e := m.email(t, emailID); e.Status != store.EmailSent || len(f.froms) != 1 || f.froms[0] != "shop@example.com" {
			t.Fatalf("held email = %+v, sent from %v; want sent once from shop@example.com", e, f.froms)
		}
		if again := m.release(t, time.Now()); len(again) != 0 {
			t.Fatalf("a second release wrote %d tasks, want none", len(again))
		}
	})
}

func TestAConfirmationHeldOverSevenDaysIsDroppedWithItsReason(t *testing.T) {
	m := newMailEnv(t, storetest.New(t, store.SQLite))
	m.setFrom(t, "")
	emailID, task := m.queue(t, "k")
	if err := m.send(nil, task); err != nil { // no provider: not_sent, not held
		t.Fatal(err)
	}
	f := &fromRecorder{}
	sg := f.start(t)
	heldID, heldTask := m.queue(t, "k2")
	if err := m.send(sg, heldTask); err != nil {
		t.Fatal(err)
	}
	m.setFrom(t, "shop@example.com")
	if tasks := m.release(t, time.Now().AddDate(0, 0, 8)); len(tasks) != 0 {
		t.Fatalf("an 8-day-old confirmation was queued again (%d tasks)", len(tasks))
	}
	e := m.email(t, heldID)
	if e.Status != store.EmailDropped || !strings.Contains(e.Reason, "7 days") {
		t.Fatalf("8-day-old held confirmation = %+v, want dropped with the reason", e)
	}
	if e := m.email(t, emailID); e.Status != store.EmailNotSent {
		t.Fatalf("an email that was not held changed: %+v", e)
	}
}
