package store_test

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func addEmail(t *testing.T, s *store.Store, e store.Email) (int64, bool) {
	t.Helper()
	var id int64
	var written bool
	inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
		var err error
		id, written, err = tx.AddEmail(ctx, e)
		return err
	})
	return id, written
}

func message(shopID int64, kind, key, orderID, to string) store.Email {
	return store.Email{ShopID: shopID, Kind: kind, DedupeKey: key, OrderID: orderID, ToEmail: to, ToName: "Wren",
		Subject: "About " + orderID, TextBody: "text " + to, HTMLBody: "<p>" + to, Data: `{"to":"` + to + `"}`}
}

func TestAnEmailIsWrittenOncePerShopAndDedupeKey(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		id, written := addEmail(t, s, message(a.ID, "backordered", "order:5001", "5001", "wren@example.net"))
		if !written || id == 0 {
			t.Fatalf("first email = %d, written %v", id, written)
		}
		again := message(a.ID, "backordered", "order:5001", "5001", "other@example.net")
		if id, written := addEmail(t, s, again); written || id != 0 {
			t.Errorf("the same key again = %d, written %v; want nothing written", id, written)
		}
		if _, written := addEmail(t, s, message(b.ID, "backordered", "order:5001", "5001", "wren@example.net")); !written {
			t.Error("the same key in another shop was not written")
		}
		e, err := s.Email(context.Background(), id)
		if err != nil || e.ToEmail != "wren@example.net" || e.Status != store.EmailPending {
			t.Errorf("email = %+v, %v; want the first, pending", e, err)
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			yes, err := tx.EmailExists(ctx, a.ID, "order:5001")
			no, _ := tx.EmailExists(ctx, a.ID, "order:5002")
			if !yes || no {
				t.Errorf("EmailExists = %v for the key written, %v for another; want true, false", yes, no)
			}
			return err
		})
	})
}

func TestAnEmailsAttemptsAreCountedAndAnUnknownOutcomeOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		now := t0.Add(time.Hour)
		s.SetClock(func() time.Time { return now })
		id, _ := addEmail(t, s, message(shop.ID, "backordered", "k", "5001", "wren@example.net"))
		type want struct {
			status   string
			attempts int
			unknown  int
			reason   string
		}
		// Each step runs in its own transaction, as the mailer's do.
		steps := []struct {
			what string
			do   func(ctx context.Context, tx *store.Tx) error
			want want
		}{
			{"a first attempt", func(ctx context.Context, tx *store.Tx) error { return tx.BeginSend(ctx, id) },
				want{store.EmailSending, 1, 0, ""}},
			{"an attempt after one that never recorded its outcome", func(ctx context.Context, tx *store.Tx) error { return tx.BeginSend(ctx, id) },
				want{store.EmailSending, 2, 1, ""}},
			{"an outcome recorded as unknown", func(ctx context.Context, tx *store.Tx) error { return tx.MarkSendUnknown(ctx, id, "timeout") },
				want{store.EmailSending, 2, 2, store.UnknownOutcome + "timeout"}},
			{"an attempt after the unknown one", func(ctx context.Context, tx *store.Tx) error { return tx.BeginSend(ctx, id) },
				want{store.EmailSending, 3, 2, ""}},
			{"a retryable failure", func(ctx context.Context, tx *store.Tx) error {
				return tx.SetEmailStatus(ctx, id, store.EmailPending, "", "429: later")
			}, want{store.EmailPending, 3, 2, "429: later"}},
			{"an attempt after it", func(ctx context.Context, tx *store.Tx) error { return tx.BeginSend(ctx, id) },
				want{store.EmailSending, 4, 2, ""}},
			{"the provider's acceptance", func(ctx context.Context, tx *store.Tx) error {
				return tx.SetEmailStatus(ctx, id, store.EmailSent, "msg-1", "")
			}, want{store.EmailSent, 4, 2, ""}},
			{"an unknown outcome of a sent email", func(ctx context.Context, tx *store.Tx) error { return tx.MarkSendUnknown(ctx, id, "late") },
				want{store.EmailSent, 4, 2, ""}},
		}
		for _, st := range steps {
			inTx(t, s, st.do)
			var e store.Email
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				var err error
				e, err = tx.ClaimEmail(ctx, id)
				return err
			})
			if got := (want{e.Status, e.Attempts, e.UnknownOutcomes, e.Reason}); got != st.want {
				t.Errorf("after %s: %+v, want %+v", st.what, got, st.want)
			}
		}
		e, _ := s.Email(context.Background(), id)
		if e.ProviderMessageID != "msg-1" || e.SentAt == nil || !e.SentAt.Equal(now) {
			t.Errorf("sent email = %+v, want message id msg-1 sent at %v", e, now)
		}
	})
}

// fourMessages adds shops a and b and four messages, three of a's and
// one of b's (to Wren@Example.net), all pending, and returns their ids.
func fourMessages(t *testing.T, s *store.Store) (store.Shop, []int64) {
	t.Helper()
	a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
	var ids []int64
	for _, e := range []store.Email{
		message(a.ID, "backordered", "1", "5001", "wren@example.net"),
		message(a.ID, "ready", "2", "5001", "wren@example.net"),
		message(a.ID, "backordered", "3", "5002", "jay@example.net"),
		message(b.ID, "backordered", "4", "5001", "Wren@Example.net"),
	} {
		id, _ := addEmail(t, s, e)
		ids = append(ids, id)
	}
	return a, ids
}

// listOf lists emails, 10 a page unless the filter says otherwise.
func listOf(s *store.Store) func(store.EmailFilter) ([]store.Email, error) {
	return func(f store.EmailFilter) ([]store.Email, error) {
		f.Limit = cmp.Or(f.Limit, 10)
		return s.ListEmails(context.Background(), f)
	}
}

// nameIn tells an email by its place among ids, 1 to 4.
func nameIn(ids []int64) func(store.Email) string {
	return func(e store.Email) string {
		if i := slices.Index(ids, e.ID); i >= 0 {
			return strconv.Itoa(i + 1)
		}
		return ""
	}
}

func TestListingEmailsFiltersOnEachFieldAndPagesNewestFirst(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, ids := fourMessages(t, s)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			return tx.SetEmailStatus(ctx, ids[1], store.EmailSent, "m", "")
		})
		checkList(t, listOf(s), nameIn(ids), []listCase[store.EmailFilter]{
			{"all, newest first", store.EmailFilter{}, "4321"},
			{"shop a", store.EmailFilter{ShopID: a.ID}, "321"},
			{"kind", store.EmailFilter{Kind: "backordered"}, "431"},
			{"status", store.EmailFilter{Status: store.EmailPending}, "431"},
			{"address, in any case", store.EmailFilter{To: "WREN@example.NET"}, "421"},
			{"order", store.EmailFilter{Order: "5001", ShopID: a.ID}, "21"},
			{"first page", store.EmailFilter{Limit: 3}, "432"},
			{"next page", store.EmailFilter{Limit: 3, Before: ids[1]}, "1"},
			{"filters together", store.EmailFilter{ShopID: a.ID, Kind: "backordered", Status: store.EmailPending, To: "wren@example.net", Order: "5001"}, "1"},
			{"nothing matches", store.EmailFilter{Kind: "nope"}, ""},
		})
	})
}

func TestListingEmailsTakesSeveralStatusesAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		a, ids := fourMessages(t, s)
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			if err := tx.SetEmailStatus(ctx, ids[0], store.EmailFailed, "", "SendGrid said 400"); err != nil {
				return err
			}
			if err := tx.SetEmailStatus(ctx, ids[1], store.EmailSent, "m", ""); err != nil {
				return err
			}
			return tx.SetEmailStatus(ctx, ids[3], store.EmailFailed, "", "SendGrid said 400")
		})
		// 1 and 4 failed, 2 sent, 3 pending.
		checkList(t, listOf(s), nameIn(ids), []listCase[store.EmailFilter]{
			{"failed or pending", store.EmailFilter{Statuses: []string{store.EmailFailed, store.EmailPending}}, "431"},
			{"one status in the list", store.EmailFilter{Statuses: []string{store.EmailSent}}, "2"},
			{"held or failed, of shop a", store.EmailFilter{ShopID: a.ID, Statuses: []string{store.EmailHeld, store.EmailFailed}}, "1"},
			{"with the other filters", store.EmailFilter{Kind: "backordered", To: "wren@example.net",
				Statuses: []string{store.EmailFailed, store.EmailSent}}, "41"},
			{"paged", store.EmailFilter{Statuses: []string{store.EmailFailed, store.EmailPending}, Limit: 2, Before: ids[3]}, "31"},
			{"none in those", store.EmailFilter{Statuses: []string{store.EmailHeld, store.EmailDropped}}, ""},
		})
	})
}

func TestRedactingACustomerErasesTheirMessagesAndTheMerchantsThatNameThem(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		a, b := addShopAt(t, s, "a.myshopify.com"), addShopAt(t, s, "b.myshopify.com")
		ids := map[string]int64{}
		for name, e := range map[string]store.Email{
			"to them":                 message(a.ID, "backordered", "1", "5001", "wren@example.net"),
			"to them, in other case":  message(a.ID, "ready", "2", "5009", "WREN@example.net"),
			"for their order":         message(a.ID, "backordered", "3", "5001", "gift@example.net"),
			"bounce naming them":      message(a.ID, "merchant_bounce", "bounce:wren@example.net", "", "owner@a.example"),
			"digest naming their id":  message(a.ID, "merchant_digest", "digest", "", "owner@a.example"),
			"to someone else":         message(a.ID, "backordered", "6", "5002", "jay@example.net"),
			"to them in another shop": message(b.ID, "backordered", "7", "5001", "wren@example.net"),
		} {
			if name == "bounce naming them" {
				e.TextBody = "Mail to wren@example.net bounced."
			}
			if name == "digest naming their id" {
				e.TextBody = "Customer cust-771 waits."
			}
			ids[name], _ = addEmail(t, s, e)
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			for _, sup := range []struct {
				shopID  int64
				address string
			}{{a.ID, "wren@example.net"}, {a.ID, "jay@example.net"}, {b.ID, "wren@example.net"}} {
				if _, err := tx.ExecContext(ctx, `INSERT INTO suppressions (shop_id, address, reason, created_at) VALUES (?, ?, '', ?)`,
					sup.shopID, sup.address, t0); err != nil {
					return err
				}
			}
			return tx.RedactEmails(ctx, a.ID, "cust-771", "wren@example.net", []string{"5001"}, false)
		})
		erased := func(name string) bool {
			e, err := s.Email(ctx, ids[name])
			if err != nil {
				t.Fatal(err)
			}
			return e.Subject == "" && e.TextBody == "" && e.HTMLBody == "" && e.Data == "{}" && e.ToName == ""
		}
		for _, name := range []string{"to them", "to them, in other case", "for their order", "bounce naming them", "digest naming their id"} {
			if !erased(name) {
				t.Errorf("the message %s is not erased", name)
			}
		}
		for _, name := range []string{"to someone else", "to them in another shop"} {
			if erased(name) {
				t.Errorf("the message %s is erased", name)
			}
		}
		if e, _ := s.Email(ctx, ids["to them"]); e.ToEmail != "" || e.DedupeKey != "1" || e.Kind != "backordered" {
			t.Errorf("a customer's message = %+v, want no address, its kind and key kept", e)
		}
		if e, _ := s.Email(ctx, ids["bounce naming them"]); e.ToEmail != "owner@a.example" || e.DedupeKey == "bounce:wren@example.net" {
			t.Errorf("a merchant's message = %+v, want the merchant's address kept, the key that names them gone", e)
		}
		suppressed := func(shopID int64, address string) bool {
			var yes bool
			inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
				var err error
				yes, err = tx.Suppressed(ctx, shopID, address)
				return err
			})
			return yes
		}
		if suppressed(a.ID, "wren@example.net") || !suppressed(a.ID, "jay@example.net") || !suppressed(b.ID, "wren@example.net") {
			t.Error("suppressions after redacting wren: want only shop a's suppression of wren gone")
		}

		// The shop's redaction erases every message of the shop.
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error { return tx.RedactEmails(ctx, a.ID, "", "", nil, true) })
		if !erased("to someone else") || erased("to them in another shop") {
			t.Error("after the shop's redaction: want every message of shop a erased, none of shop b")
		}
		if suppressed(a.ID, "jay@example.net") || !suppressed(b.ID, "wren@example.net") {
			t.Error("after the shop's redaction: want every suppression of shop a gone, shop b's kept")
		}
	})
}

func TestHeldMailIsListedAndDroppedIsAStatus(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "held.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		err = s.InTx(ctx, func(tx *store.Tx) error {
			for _, key := range []string{"a", "b"} {
				id, _, err := tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "backordered", DedupeKey: key,
					ToEmail: "c@example.net", Subject: "s", TextBody: "t", HTMLBody: "h"})
				if err != nil {
					return err
				}
				if err := tx.SetEmailStatus(ctx, id, store.EmailHeld, "", "no sender"); err != nil {
					return err
				}
			}
			held, err := tx.HeldEmails(ctx, shop.ID)
			if err != nil || len(held) != 2 {
				t.Fatalf("held = %d, %v; want 2", len(held), err)
			}
			return tx.SetEmailStatus(ctx, held[0].ID, store.EmailDropped, "", "too old")
		})
		if err != nil {
			t.Fatal(err)
		}
		es, err := s.ListEmails(ctx, store.EmailFilter{ShopID: shop.ID, Status: store.EmailDropped, Limit: 10})
		if err != nil || len(es) != 1 || es[0].Reason != "too old" {
			t.Fatalf("dropped = %+v, %v", es, err)
		}
	})
}

func TestAnEmailKeepsItsAttachments(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shop := addShop(t, s)
		plain, _ := addEmail(t, s, message(shop.ID, "backordered", "k1", "5001", "wren@example.net"))
		po := message(shop.ID, "supplier_purchase_order", "po:1:sent:1", "", "orders@supplier.example")
		po.Attachments = `[{"filename":"PO-1.csv","type":"text/csv","content":"c2t1"}]`
		withFile, _ := addEmail(t, s, po)
		if e, err := s.Email(ctx, plain); err != nil || e.Attachments != "[]" {
			t.Errorf("an email without attachments = %q, %v; want []", e.Attachments, err)
		}
		if e, err := s.Email(ctx, withFile); err != nil || e.Attachments != po.Attachments {
			t.Errorf("an email with a file = %q, %v; want %q", e.Attachments, err, po.Attachments)
		}
		es, err := s.ListEmails(ctx, store.EmailFilter{Kind: "supplier_purchase_order", Limit: 10})
		if err != nil || len(es) != 1 || es[0].Attachments != po.Attachments {
			t.Errorf("listed = %+v, %v; want the PO's email with its file", es, err)
		}
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			e, err := tx.ClaimEmail(ctx, withFile)
			if e.Attachments != po.Attachments {
				t.Errorf("claimed = %q, want %q", e.Attachments, po.Attachments)
			}
			return err
		})
		// A shop's erasure takes the files with the text.
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			return tx.RedactEmails(ctx, shop.ID, "", "", nil, true)
		})
		if e, err := s.Email(ctx, withFile); err != nil || e.Attachments != "[]" {
			t.Errorf("after the shop's erasure = %q, %v; want []", e.Attachments, err)
		}
	})
}

func TestAnOrdersMessagesOfAKindAreFoundFromATime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := addShop(t, s)
		at := time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)
		s.SetClock(func() time.Time { return at })
		addEmail(t, s, message(shop.ID, "eta_changed", "order:5001:eta:2026-06-01", "5001", "wren@example.net"))
		inTx(t, s, func(ctx context.Context, tx *store.Tx) error {
			for _, c := range []struct {
				order, kind string
				since       time.Time
				want        bool
			}{
				{"5001", "eta_changed", at.Add(-time.Hour), true},
				{"5001", "eta_changed", at, true},
				{"5001", "eta_changed", at.Add(time.Hour), false},
				{"5001", "delayed", at.Add(-time.Hour), false},
				{"5002", "eta_changed", at.Add(-time.Hour), false},
			} {
				got, err := tx.OrderEmailSince(ctx, shop.ID, c.order, c.kind, c.since)
				if err != nil {
					return err
				}
				if got != c.want {
					t.Errorf("OrderEmailSince(%s, %s, %v) = %v, want %v", c.order, c.kind, c.since, got, c.want)
				}
			}
			return nil
		})
	})
}
