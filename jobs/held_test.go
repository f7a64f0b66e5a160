package jobs_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestMailWithoutASenderIsHeldAndGoesOnceTheSenderIsSet(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		m := jobs.NewHarness(t, s, jobs.Offline())
		shop := m.MailShop()
		m.SetFrom(shop.ID, "")
		f := &jobs.FakeSendGrid{Replies: []int{http.StatusAccepted}}
		sg := f.Start(t)
		emailID, task := m.QueueEmail(shop.ID, "k")
		if err := m.SendWith(sg, task); err != nil {
			t.Fatal(err)
		}
		if e := m.Email(emailID); e.Status != store.EmailHeld || !strings.Contains(e.Reason, "--from") {
			t.Fatalf("email without a sender = %+v, want held, saying how to set one", e)
		}
		m.SetFrom(shop.ID, "shop@example.com")
		tasks := m.ReleaseHeld(shop.ID, time.Now())
		if len(tasks) != 1 {
			t.Fatalf("send tasks after the sender was set = %d, want 1", len(tasks))
		}
		if err := m.SendWith(sg, tasks[0].ID); err != nil {
			t.Fatal(err)
		}
		if e := m.Email(emailID); e.Status != store.EmailSent || len(f.Froms()) != 1 || f.Froms()[0] != "shop@example.com" {
			t.Fatalf("held email = %+v, sent from %v; want sent once from shop@example.com", e, f.Froms())
		}
		if again := m.ReleaseHeld(shop.ID, time.Now()); len(again) != 0 {
			t.Fatalf("a second release wrote %d tasks, want none", len(again))
		}
	})
}

func TestAConfirmationHeldOverSevenDaysIsDroppedWithItsReason(t *testing.T) {
	m := jobs.NewHarness(t, storetest.New(t, store.SQLite), jobs.Offline())
	shop := m.MailShop()
	m.SetFrom(shop.ID, "")
	emailID, task := m.QueueEmail(shop.ID, "k")
	if err := m.SendWith(nil, task); err != nil { // no provider: not_sent, not held
		t.Fatal(err)
	}
	f := &jobs.FakeSendGrid{Replies: []int{http.StatusAccepted}}
	sg := f.Start(t)
	heldID, heldTask := m.QueueEmail(shop.ID, "k2")
	if err := m.SendWith(sg, heldTask); err != nil {
		t.Fatal(err)
	}
	m.SetFrom(shop.ID, "shop@example.com")
	if tasks := m.ReleaseHeld(shop.ID, time.Now().AddDate(0, 0, 8)); len(tasks) != 0 {
		t.Fatalf("an 8-day-old confirmation was queued again (%d tasks)", len(tasks))
	}
	e := m.Email(heldID)
	if e.Status != store.EmailDropped || !strings.Contains(e.Reason, "7 days") {
		t.Fatalf("8-day-old held confirmation = %+v, want dropped with the reason", e)
	}
	if e := m.Email(emailID); e.Status != store.EmailNotSent {
		t.Fatalf("an email that was not held changed: %+v", e)
	}
}
