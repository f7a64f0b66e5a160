package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// sentEmail writes an email to wren and records SendGrid's acceptance
// under messageID.
func sentEmail(t *testing.T, s *store.Store, shopID int64, key, messageID string) int64 {
	t.Helper()
	ctx := context.Background()
	var id int64
	err := s.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if id, _, err = tx.AddEmail(ctx, store.Email{ShopID: shopID, Kind: "backordered", DedupeKey: key, OrderID: "1",
			ToEmail: "wren@example.net", Subject: "s", TextBody: "t", HTMLBody: "h"}); err != nil {
			return err
		}
		if err := tx.BeginSend(ctx, id); err != nil {
			return err
		}
		return tx.SetEmailStatus(ctx, id, store.EmailSent, messageID, "")
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func applyEvents(t *testing.T, s *store.Store, evs ...store.EmailEvent) []store.Suppression {
	t.Helper()
	var fresh []store.Suppression
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		fresh, err = tx.ApplyEmailEvents(context.Background(), evs)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return fresh
}

func isSuppressed(t *testing.T, s *store.Store, shopID int64) bool {
	t.Helper()
	var yes bool
	err := s.InTx(context.Background(), func(tx *store.Tx) error {
		var err error
		yes, err = tx.Suppressed(context.Background(), shopID, "wren@example.net")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return yes
}

func TestAnEventOfAnotherInstallOnTheSameAccountChangesNothing(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		id := sentEmail(t, s, shop.ID, "k", "ours")
		// The other install's email row 1 bounced: its custom arg names
		// our row 1 too, its message id is its own.
		fresh := applyEvents(t, s, store.EmailEvent{SGMessageID: "theirs.filter1", MessageID: "theirs", EmailID: id,
			Event: "bounce", Timestamp: 1, Reason: "550 no such user", Suppress: true})
		e, _ := s.Email(context.Background(), id)
		if len(fresh) != 0 || isSuppressed(t, s, shop.ID) || e.Delivery != "" {
			t.Fatalf("another install's bounce suppressed %v, marked %q: want nothing changed", fresh, e.Delivery)
		}
		// Our own events match, with the custom arg or without it.
		applyEvents(t, s, store.EmailEvent{SGMessageID: "ours.filter1", MessageID: "ours", Event: "delivered", Timestamp: 2})
		if e, _ := s.Email(context.Background(), id); e.Delivery != "delivered" {
			t.Fatalf("our delivered event (message id only) marked %q", e.Delivery)
		}
		fresh = applyEvents(t, s, store.EmailEvent{SGMessageID: "ours.filter1", MessageID: "ours", EmailID: id,
			Event: "bounce", Timestamp: 3, Reason: "550 no such user", Suppress: true})
		if len(fresh) != 1 || !isSuppressed(t, s, shop.ID) {
			t.Fatalf("our bounce suppressed %v, want the address", fresh)
		}
	})
}

func TestATemporaryBlockDoesNotSuppressTheAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		id := sentEmail(t, s, shop.ID, "k", "ours")
		fresh := applyEvents(t, s, store.EmailEvent{SGMessageID: "ours.f", MessageID: "ours", EmailID: id,
			Event: "blocked", Timestamp: 1, Reason: "421 try again later"})
		e, _ := s.Email(context.Background(), id)
		if len(fresh) != 0 || isSuppressed(t, s, shop.ID) || e.Delivery != "blocked" {
			t.Fatalf("a blocked bounce: suppressed %v, delivery %q; want recorded, not suppressed", fresh, e.Delivery)
		}
	})
}

func TestRedactingACustomerErasesTheirAddressFromEventsKeepingThem(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			s, dump := storetest.NewWithDump(t, engine)
			ctx := context.Background()
			shop := addShop(t, s)
			id := sentEmail(t, s, shop.ID, "k", "ours")
			reason := "550 5.1.1 <wren@example.net>: Recipient address rejected"
			applyEvents(t, s,
				store.EmailEvent{SGMessageID: "ours.f", MessageID: "ours", EmailID: id, Event: "blocked", Timestamp: 1, Reason: reason},
				store.EmailEvent{SGMessageID: "ours.f", MessageID: "ours", EmailID: id, Event: "bounce", Timestamp: 2, Reason: reason, Suppress: true})
			if !strings.Contains(dump(), "email_events: ours.f bounce") || !strings.Contains(dump(), "wren@example.net>: Recipient") {
				t.Fatal("the events are not stored with their reasons: the test would prove nothing")
			}
			err := s.InTx(ctx, func(tx *store.Tx) error {
				return tx.RedactEmails(ctx, shop.ID, "", "wren@example.net", nil, false)
			})
			if err != nil {
				t.Fatal(err)
			}
			after := dump()
			for _, line := range strings.Split(after, "\n") {
				if strings.Contains(strings.ToLower(line), "wren@example.net") {
					t.Errorf("the address is still stored: %s", line)
				}
			}
			if n := strings.Count(after, "email_events: "); n != 2 {
				t.Errorf("events after redaction = %d, want both kept (counts)", n)
			}
		})
	}
}
