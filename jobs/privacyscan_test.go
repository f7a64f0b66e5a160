package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// TestPrivacyRequestScansDeliveriesAPageAtATime: a shop holds more
// recorded deliveries than a page; a redaction rewrites, and a data request
// counts, every delivery naming the customer over several tasks, each its
// own transaction, and the request's record shows the counts once done.
func TestPrivacyRequestScansDeliveriesAPageAtATime(t *testing.T) {
	page := bodyPage
	bodyPage = 3
	t.Cleanup(func() { bodyPage = page })
	const customer = "wren.okafor@example.net"
	for _, tt := range []struct{ topic, fixture string }{
		{"customers/redact", "customers-redact"},
		{"customers/data_request", "customers-data_request"},
	} {
		t.Run(tt.fixture, func(t *testing.T) {
			storetest.Each(t, func(t *testing.T, st *store.Store) {
				ctx := context.Background()
				shop, err := st.AddShop(ctx, store.NewShop(store.Shopify, "harbor-kiln-supply.myshopify.com", "s"))
				if err != nil {
					t.Fatal(err)
				}
				shop.MerchantEmail = "owner@harborkiln.example"
				if _, err := st.UpdateShop(ctx, shop); err != nil {
					t.Fatal(err)
				}
				record := func(topic, key string, body []byte) int64 {
					id, _, err := st.RecordDelivery(ctx, store.Delivery{ShopID: shop.ID, Topic: topic, DedupeKey: key,
						Body: body, ReceivedAt: time.Now()})
					if err != nil {
						t.Fatal(err)
					}
					return id
				}
				for i := range 7 {
					record("orders/create", fmt.Sprint("order-", i), Fixture(t, "shopify/orders-create"))
				}
				request := record(tt.topic, "request", Fixture(t, "shopify/"+tt.fixture))

				h := NewHarness(t, st, Offline())
				if err := h.Handlers.Delivery.ProcessTask(ctx, NewDeliveryTask(request, nil)); err != nil {
					t.Fatal(err)
				}
				scans := h.Handlers.Privacy
				tasks := 0
				for round := 0; ; round++ {
					pending, err := st.UnfinishedOutbox(ctx, time.Now().Add(time.Hour), 0, 100)
					if err != nil {
						t.Fatal(err)
					}
					var next []store.OutboxTask
					for _, p := range pending {
						if p.TaskType == TypePrivacyScan {
							next = append(next, p)
						}
					}
					if len(next) == 0 {
						break
					}
					if round > 10 || len(next) > 1 {
						t.Fatalf("round %d: scan tasks %+v, want one at a time", round, next)
					}
					if err := scans.ProcessTask(ctx, asynq.NewTask(TypePrivacyScan, []byte(fmt.Sprintf(`{"id":%d}`, next[0].ID)))); err != nil {
						t.Fatal(err)
					}
					tasks++
				}
				if tasks < 2 {
					t.Fatalf("scan tasks run = %d, want the 8 deliveries scanned over several pages", tasks)
				}
				recs, err := st.PrivacyRecords(ctx, shop.ID, 0, 10)
				if err != nil || len(recs) != 1 {
					t.Fatalf("privacy records = %+v, %v", recs, err)
				}
				rec := recs[0]
				if rec.CompletedAt == nil || rec.Scanned != 8 || rec.Deliveries != 8 {
					t.Fatalf("record = %+v; want completed, 8 scanned, 8 naming the customer", rec)
				}
				es, err := st.ListInbox(ctx, store.InboxFilter{Limit: 20})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range es {
					row, err := st.Inbox(ctx, e.ID)
					if err != nil {
						t.Fatal(err)
					}
					named := strings.Contains(string(row.Body), customer)
					if redact := tt.topic == "customers/redact"; named == redact {
						t.Errorf("inbox %d names the customer: %v; want %v", e.ID, named, !redact)
					}
				}
				if tt.topic != "customers/data_request" {
					return
				}
				var doc struct {
					DeliveriesHeld int `json:"deliveries_held"`
				}
				if err := json.Unmarshal([]byte(rec.Document), &doc); err != nil || doc.DeliveriesHeld != 8 {
					t.Fatalf("document deliveries_held = %d, %v; want 8", doc.DeliveriesHeld, err)
				}
				mails, err := st.ListEmails(ctx, store.EmailFilter{Kind: string(email.PrivacyDocument), Limit: 5})
				if err != nil || len(mails) != 1 || !strings.Contains(mails[0].Subject+mails[0].TextBody, "4410227") {
					t.Fatalf("data document emails = %+v, %v; want one, once the count is known", mails, err)
				}
			})
		})
	}
}
