package jobs_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// lastSendTask is the newest pending outbox row: the send task a resend
// just queued.
func lastSendTask(t *testing.T, s *store.Store) int64 {
	t.Helper()
	tasks, err := s.UnfinishedOutbox(context.Background(), time.Now().Add(time.Hour), 0, 100)
	if err != nil || len(tasks) == 0 {
		t.Fatalf("send task: %v", err)
	}
	return tasks[len(tasks)-1].ID
}

func TestResentEmailIsANewMessageThatSendGridTellsApartAndTheOldKeepsItsHistory(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m := jobs.NewHarness(t, s, jobs.Offline())
		shop := m.MailShop()
		f := &jobs.FakeSendGrid{Replies: []int{http.StatusBadRequest, http.StatusAccepted}}
		sg := f.Start(t)
		oldID, task := m.QueueEmail(shop.ID, "backordered:1")
		if err := m.SendWith(sg, task); err != nil {
			t.Fatal(err)
		}
		old := m.Email(oldID)
		if old.Status != store.EmailFailed {
			t.Fatalf("first message = %s, want failed (SendGrid refused it)", old.Status)
		}
		ops := jobs.NewOperations(s, m.Dispatcher, nil)

		resent, err := ops.ResendEmail(ctx, oldID)
		if err != nil {
			t.Fatal(err)
		}
		if resent.ID == oldID || resent.ResendOf == nil || *resent.ResendOf != oldID || resent.DedupeKey == old.DedupeKey {
			t.Fatalf("resend = id %d, resend_of %v, key %q; want a new row referring to %d with a key of its own",
				resent.ID, resent.ResendOf, resent.DedupeKey, oldID)
		}
		// A second click while the first resend waits is refused.
		if _, err := ops.ResendEmail(ctx, oldID); !errors.Is(err, jobs.ErrConflict) {
			t.Fatalf("second resend while the first is pending = %v, want a conflict", err)
		}
		if err := m.SendWith(sg, lastSendTask(t, s)); err != nil {
			t.Fatal(err)
		}
		got := m.Email(resent.ID)
		if got.Status != store.EmailSent || got.Subject != old.Subject || got.ToEmail != old.ToEmail || got.TextBody != old.TextBody {
			t.Fatalf("resend = %+v, want the same message, sent", got)
		}
		if ids := f.EmailIDs(); !slices.Equal(ids, []string{strconv.FormatInt(oldID, 10), strconv.FormatInt(resent.ID, 10)}) {
			t.Fatalf("SendGrid saw email ids %v, want %d then %d", ids, oldID, resent.ID)
		}
		if after := m.Email(oldID); after.Status != store.EmailFailed || after.Attempts != old.Attempts || after.Reason != old.Reason {
			t.Fatalf("old message after the resend = %+v, want it as it was (%+v)", after, old)
		}
		// Sent, the resend may itself be sent again; the first has a
		// finished resend and may be resent once more, with a new key.
		again, err := ops.ResendEmail(ctx, oldID)
		if err != nil || again.DedupeKey == resent.DedupeKey {
			t.Fatalf("a later resend = %q, %v; want a key other than %q", again.DedupeKey, err, resent.DedupeKey)
		}
	})
}

func TestResendRefusesAMessageStillOnItsWayOrHeldOrErasedButNotOneWhoseTaskIsADeadLetter(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m := jobs.NewHarness(t, s, jobs.Offline())
		shop := m.MailShop()
		ops := jobs.NewOperations(s, m.Dispatcher, nil)
		add := func(key, status, to string) int64 {
			var id int64
			err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				id, _, err = tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "backordered", DedupeKey: key, OrderID: "1",
					ToEmail: to, Subject: "Your order #1", TextBody: "t", HTMLBody: "<p>h</p>", Status: status})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		for _, tc := range []struct {
			status, to string
			want       error
		}{
			{store.EmailHeld, "wren@example.net", jobs.ErrConflict},
			{store.EmailSent, "", jobs.ErrUnprocessable},
		} {
			id := add(tc.status+tc.to, tc.status, tc.to)
			if _, err := ops.ResendEmail(ctx, id); !errors.Is(err, tc.want) {
				t.Errorf("resend of a %s message to %q = %v, want %v", tc.status, tc.to, err, tc.want)
			}
		}
		// Pending with its send task to run: on its way. Once asynq has
		// archived that task (the relay marks its row failed), it is going
		// nowhere, and may be resent.
		id, task := m.QueueEmail(shop.ID, "queued")
		if _, err := ops.ResendEmail(ctx, id); !errors.Is(err, jobs.ErrConflict) {
			t.Errorf("resend of a message whose send task waits = %v, want a conflict", err)
		}
		if err := s.FailOutbox(ctx, task, "archived by asynq after 20 retries"); err != nil {
			t.Fatal(err)
		}
		if r, err := ops.ResendEmail(ctx, id); err != nil || r.ResendOf == nil || *r.ResendOf != id {
			t.Errorf("resend of a message whose send task is a dead letter = %+v, %v; want a resend", r, err)
		}
		if _, err := ops.ResendEmail(ctx, 999); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("resend of no message = %v, want not found", err)
		}
	})
}

func TestEightResendsOfOneMessageAtOnceWriteOneNewMessage(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		m := jobs.NewHarness(t, s, jobs.Offline())
		shop := m.MailShop()
		f := &jobs.FakeSendGrid{Replies: []int{http.StatusBadRequest}}
		sg := f.Start(t)
		oldID, task := m.QueueEmail(shop.ID, "backordered:1")
		if err := m.SendWith(sg, task); err != nil {
			t.Fatal(err)
		}
		ops := jobs.NewOperations(s, m.Dispatcher, nil)
		done, refused := atOnce(t, 8, func() error {
			_, err := ops.ResendEmail(ctx, oldID)
			return err
		})
		resends, err := s.ListEmails(ctx, store.EmailFilter{ResendOf: oldID, Limit: 10})
		if done != 1 || refused != 7 || err != nil || len(resends) != 1 {
			t.Fatalf("%d resends done, %d refused, %d written (%v); want 1, 7 and 1", done, refused, len(resends), err)
		}
	})
}
