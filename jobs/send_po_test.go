package jobs_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/supplier"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// fakeSupplier is a supplier's endpoint: it answers with the next status
// of replies (the last repeats) and keeps what it was sent, if signed.
type fakeSupplier struct {
	secret  string
	replies []int

	mu        sync.Mutex
	calls     int
	forged    int
	documents []supplier.PODocument
	delivery  []string
}

func (f *fakeSupplier) start(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		defer f.mu.Unlock()
		status := f.replies[min(f.calls, len(f.replies)-1)]
		f.calls++
		if !supplier.Verify(f.secret, r.Header.Get("X-Backorderd-Signature"), body) || r.Header.Get("Content-Type") != "application/json" {
			f.forged++
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var d supplier.PODocument
		if err := json.Unmarshal(body, &d); err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		f.documents = append(f.documents, d)
		f.delivery = append(f.delivery, r.Header.Get("X-Backorderd-Delivery"))
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"error":"unknown supplier sku K-777"}`))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func (f *fakeSupplier) seen() (calls, forged int, documents []supplier.PODocument, delivery []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls, f.forged, append([]supplier.PODocument(nil), f.documents...), append([]string(nil), f.delivery...)
}

// httpSupplierPO approves a draft of 4 kettles to a supplier on the http
// channel at url, through a worker, and returns the order.
func httpSupplierPO(t *testing.T, h *jobs.Harness, url, secret string) store.PurchaseOrder {
	t.Helper()
	ctx := context.Background()
	shop := store.NewShop(store.Shopify, "http.myshopify.com", "secret")
	shop.Name = "Harbor & Kiln"
	shop, err := h.Store.AddShop(ctx, shop)
	if err != nil {
		t.Fatal(err)
	}
	sp, err := h.Store.AddSupplier(ctx, store.Supplier{Name: "kiln", Channel: store.ChannelHTTP, URL: url, Secret: secret,
		LeadTimeDays: 10, Currency: "EUR"})
	if err != nil {
		t.Fatal(err)
	}
	h.StartWorker()
	draft := h.DraftPO(shop.ID, sp.ID, store.POLine{ItemID: "777", SKU: "KETTLE", SupplierSKU: "K-777", Title: "Kettle",
		Quantity: 4, UnitCost: "12.50"})
	po, err := h.Purchasing.Approve(ctx, draft.ID)
	if err != nil {
		t.Fatal(err)
	}
	return po
}

func TestAnHTTPSupplierIsPostedTheSignedOrderAndARateLimitIsWaitedOut(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := &fakeSupplier{secret: "supplier-secret", replies: []int{http.StatusTooManyRequests, http.StatusAccepted}}
		h := jobs.NewHarness(t, s, jobs.WithSupplierSender(supplier.New(2*time.Second)))
		url := f.start(t)
		po := httpSupplierPO(t, h, url, f.secret)
		h.WaitFor("the order accepted", func() bool { calls, _, _, _ := f.seen(); return calls == 2 })
		calls, forged, docs, delivery := f.seen()
		if forged != 0 || len(docs) != 2 {
			t.Fatalf("%d calls, %d not signed with the supplier's secret", calls, forged)
		}
		d := docs[1]
		if d.PurchaseOrderID != po.ID || d.Revision != 1 || d.Shop != "Harbor & Kiln" || d.Currency != "USD" || len(d.Lines) != 1 ||
			d.Lines[0] != (supplier.PODocLine{ItemID: "777", SKU: "KETTLE", SupplierSKU: "K-777", Title: "Kettle", Quantity: 4, UnitCost: "12.50"}) {
			t.Errorf("document = %+v", d)
		}
		want := "po-" + itoa(po.ID) + "-r1"
		if delivery[0] != want || delivery[1] != want {
			t.Errorf("deliveries = %v, want %s twice: a retry is the same delivery", delivery, want)
		}
		got, _, events, err := s.PurchaseOrder(context.Background(), po.ID)
		if err != nil || got.SendError != "" || len(events) != 1 {
			t.Errorf("order = %+v, %d events, %v; want sent without an error", got, len(events), err)
		}
	})
}

func TestASupplierThatRefusesTheOrderForGoodIsNotAskedAgainAndTheReasonIsKept(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		f := &fakeSupplier{secret: "supplier-secret", replies: []int{http.StatusUnprocessableEntity}}
		h := jobs.NewHarness(t, s, jobs.WithSupplierSender(supplier.New(2*time.Second)))
		po := httpSupplierPO(t, h, f.start(t), f.secret)
		var got store.PurchaseOrder
		var events []store.POEvent
		h.WaitFor("the refusal kept", func() bool {
			var err error
			got, _, events, err = s.PurchaseOrder(context.Background(), po.ID)
			return err == nil && got.SendError != ""
		})
		if got.Status != store.POSent || len(events) != 2 || events[1].Kind != "send_failed" || events[1].Detail != got.SendError {
			t.Errorf("order = %s %q, events %+v; want sent, the reason kept and in the trail", got.Status, got.SendError, events)
		}
		if want := "unknown supplier sku K-777"; !contains(got.SendError, want) || !contains(got.SendError, "422") {
			t.Errorf("send error = %q, want the status and the supplier's answer", got.SendError)
		}
		time.Sleep(1500 * time.Millisecond)
		if calls, _, _, _ := f.seen(); calls != 1 {
			t.Errorf("supplier called %d times, want once: a 4xx is not retried", calls)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func contains(s, sub string) bool { return strings.Contains(s, sub) }
