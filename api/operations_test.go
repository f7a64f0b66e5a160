package api_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// inboxRow records a delivery with body and gives it status.
func inboxRow(t *testing.T, s *store.Store, shopID int64, key, status, body string) int64 {
	t.Helper()
	ctx := context.Background()
	id, _, err := s.RecordDelivery(ctx, store.Delivery{ShopID: shopID, Topic: "orders/create", DedupeKey: key,
		Body: []byte(body), ReceivedAt: time.Now()})
	switch {
	case err != nil:
	case status == store.InboxFailed:
		err = s.FailInbox(ctx, id, "archived by asynq after 20 retries: database down")
	case status != store.InboxAccepted:
		err = s.InTx(ctx, func(tx *store.Tx) error { return tx.FinishInbox(ctx, id, status, "") })
	}
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestReplayAnswersWhatBecameOfTheDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		done := inboxRow(t, s, shop.ID, "done", store.InboxProcessed, `{}`)
		broken := inboxRow(t, s, shop.ID, "broken", store.InboxRejected, `{"line_items": 7`)
		failed := inboxRow(t, s, shop.ID, "failed", store.InboxFailed, `{}`)

		code, body := call(t, r, http.MethodPost, fmt.Sprint("/api/v1/inbox/", failed, "/replay"), "")
		if code != http.StatusAccepted || body["result"] != "queued" {
			t.Fatalf("replay of a failed delivery = %d %v, want 202 queued", code, body)
		}
		if row, _ := s.Inbox(ctx, failed); row.Status != store.InboxAccepted {
			t.Fatalf("failed delivery after replay is %s, want accepted (its task queued)", row.Status)
		}
		for _, tc := range []struct {
			id     int64
			status int
			says   string
		}{
			{done, http.StatusConflict, "applied already"},
			{broken, http.StatusUnprocessableEntity, "stays rejected"},
			{999, http.StatusNotFound, "no such delivery"},
		} {
			code, body := call(t, r, http.MethodPost, fmt.Sprint("/api/v1/inbox/", tc.id, "/replay"), "")
			if _, msg := errorOf(body); code != tc.status || !strings.Contains(msg, tc.says) {
				t.Errorf("replay of %d = %d %v, want %d saying %q", tc.id, code, body, tc.status, tc.says)
			}
		}
		if row, _ := s.Inbox(ctx, broken); row.Status != store.InboxRejected || row.Reason == "" {
			t.Errorf("undecodable delivery after replay = %s (%q), want rejected with the reason", row.Status, row.Reason)
		}
	})
}

func TestRangeReplayIsBoundedAndCountsWhatItQueued(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for i := range 3 {
			ids = append(ids, inboxRow(t, s, shop.ID, fmt.Sprint(i), store.InboxFailed, `{}`))
		}
		broken := inboxRow(t, s, shop.ID, "broken", store.InboxRejected, `{"line_items": 7`)
		for _, tc := range []struct{ body, field string }{
			{`{}`, "received_from"},
			{`{"from_id": 1}`, "received_from"},
			{`{"from_id": 1, "to_id": 9, "statuses": ["processed"]}`, "statuses"},
			{`{"from_id": 1, "to_id": 9, "limit": 5000}`, "limit"},
			{`{"from_id": 9, "to_id": 1}`, "to_id"},
			{`{"received_from": "2026-12-02T00:00:00Z", "received_to": "2026-12-01T00:00:00Z"}`, "received_to"},
		} {
			code, body := call(t, r, http.MethodPost, "/api/v1/inbox/replay", tc.body)
			if _, msg := errorOf(body); code != http.StatusUnprocessableEntity || !strings.HasPrefix(msg, tc.field+": ") {
				t.Errorf("range replay %s = %d %v, want 422 naming %s", tc.body, code, body, tc.field)
			}
		}
		if code, body := call(t, r, http.MethodPost, "/api/v1/inbox/replay", `{"shop": "b.myshopify.com", "from_id": 1, "to_id": 9}`); code != http.StatusNotFound {
			t.Errorf("range replay of no shop = %d %v, want 404", code, body)
		}

		code, body := call(t, r, http.MethodPost, "/api/v1/inbox/replay",
			fmt.Sprintf(`{"shop": "a.myshopify.com", "from_id": %d, "to_id": %d, "limit": 2}`, ids[0], broken))
		if code != http.StatusAccepted || body["matched"] != 2.0 || body["queued"] != 2.0 || jsonID(body["next_from_id"]) != fmt.Sprint(ids[2]) {
			t.Fatalf("first page = %d %v, want 2 queued and next_from_id %d", code, body, ids[2])
		}
		from := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
		to := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
		code, body = call(t, r, http.MethodPost, "/api/v1/inbox/replay",
			fmt.Sprintf(`{"received_from": %q, "received_to": %q}`, from, to))
		still, _ := body["still_rejected"].([]any)
		if code != http.StatusAccepted || body["matched"] != 2.0 || body["queued"] != 1.0 || len(still) != 1 || body["next_from_id"] != nil {
			t.Fatalf("second call = %d %v, want the last failed one queued and the broken one still rejected", code, body)
		}
		if reason, _ := still[0].(map[string]any)["reason"].(string); reason == "" {
			t.Errorf("still rejected = %v, want the reason", still)
		}
	})
}

func TestResendAnswersWithTheNewMessageAndItIsListedAsAResendOfTheOld(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		r := adminRouter(t, s)
		shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "a.myshopify.com", "s"))
		if err != nil {
			t.Fatal(err)
		}
		add := func(key, status string) int64 {
			var id int64
			err := s.InTx(ctx, func(tx *store.Tx) error {
				var err error
				id, _, err = tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "backordered", DedupeKey: key, OrderID: "1001",
					ToEmail: "wren@example.net", Subject: "Your order #1001", TextBody: "t", HTMLBody: "h", Status: status})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return id
		}
		failed := add("k1", store.EmailFailed)
		pending := add("k2", store.EmailPending)
		err = s.InTx(ctx, func(tx *store.Tx) error {
			_, err := tx.AddOutbox(ctx, store.OutboxTask{TaskType: jobs.TypeSendEmail, Queue: jobs.QueueDefault,
				Payload: []byte(fmt.Sprintf(`{"email_id":%d}`, pending))})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}

		code, body := call(t, r, http.MethodPost, fmt.Sprint("/api/v1/emails/", failed, "/resend"), "")
		e, _ := body["email"].(map[string]any)
		if code != http.StatusCreated || jsonID(e["resend_of"]) != fmt.Sprint(failed) || e["status"] != "pending" || e["dedupe_key"] == "k1" {
			t.Fatalf("resend = %d %v, want 201 with a pending message resending %d under a key of its own", code, body, failed)
		}
		if code, body := call(t, r, http.MethodPost, fmt.Sprint("/api/v1/emails/", failed, "/resend"), ""); code != http.StatusConflict {
			t.Errorf("second resend while the first waits = %d %v, want 409", code, body)
		}
		if code, body := call(t, r, http.MethodPost, fmt.Sprint("/api/v1/emails/", pending, "/resend"), ""); code != http.StatusConflict {
			t.Errorf("resend of a message still on its way = %d %v, want 409", code, body)
		}
		code, list := get(t, r, fmt.Sprint("/api/v1/emails?resend_of=", failed))
		if code != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != mustID(t, jsonID(e["id"])) {
			t.Fatalf("resends of %d = %d %+v, want the one resend", failed, code, list)
		}
		code, list = get(t, r, "/api/v1/emails?status=failed")
		if code != http.StatusOK || len(list.Items) != 1 || list.Items[0].ID != failed {
			t.Fatalf("failed emails = %d %+v, want the old message, still failed", code, list)
		}
		var erased int64
		if err := s.InTx(ctx, func(tx *store.Tx) error {
			var err error
			erased, _, err = tx.AddEmail(ctx, store.Email{ShopID: shop.ID, Kind: "backordered", DedupeKey: "k3", OrderID: "1002",
				Subject: "Your order #1002", TextBody: "t", HTMLBody: "h", Status: store.EmailFailed})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		code, body = call(t, r, http.MethodPost, fmt.Sprint("/api/v1/emails/", erased, "/resend"), "")
		if c, msg := errorOf(body); code != http.StatusUnprocessableEntity || c != "unprocessable" || !strings.HasPrefix(msg, "to: ") {
			t.Errorf("resend of a message without a recipient = %d %v, want 422 naming the field, to", code, body)
		}
	})
}

func TestEveryOperatorActionRefusesACrossSiteRequest(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	r := adminRouter(t, s)
	for _, rt := range r.Routes() {
		if rt.Method == http.MethodGet || !strings.HasPrefix(rt.Path, "/api/") {
			continue
		}
		path := strings.NewReplacer(":id", "1", ":supplier_id", "1", ":item_id", "1", ":address", "a@example.com").Replace(rt.Path)
		code, body := call(t, r, rt.Method, path, `{}`, "Sec-Fetch-Site", "cross-site")
		if c, _ := errorOf(body); code != http.StatusForbidden || c != "forbidden" {
			t.Errorf("%s %s from another site = %d %v, want 403", rt.Method, rt.Path, code, body)
		}
	}
}
