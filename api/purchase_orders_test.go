package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// redisDB is this package's Redis database offset (jobstest.Redis).
const redisDB = 5

// purchasingRouter is the admin API with a real purchasing service,
// enqueueing into a Redis of the test's own.
func purchasingRouter(t *testing.T, s *store.Store) *gin.Engine {
	t.Helper()
	rc, _ := jobstest.Redis(t, redisDB)
	client := asynq.NewClientFromRedisClient(rc)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := jobs.NewDispatcher(client, log)
	p := jobs.NewPurchasing(s, d, nil, jobs.NewMetrics(prometheus.NewRegistry()), log)
	gin.SetMode(gin.TestMode)
	r := gin.New()
	api.MountAdmin(r, api.RequireToken(adminToken), s, p, prometheus.NewRegistry())
	api.MountBackorderActions(r, api.RequireToken(adminToken), s, jobs.NewBackorders(s, d, log))
	return r
}

// draftPO makes a shop, a supplier and a draft ordering 10 of item 1517.
func draftPO(t *testing.T, s *store.Store) (shopID, supplierID, poID int64) {
	t.Helper()
	ctx := context.Background()
	shop := shopWithOrder(t, s)
	sp, err := s.AddSupplier(ctx, store.Supplier{Name: "Linen Co", Email: "po@linen.example", Channel: store.ChannelEmail,
		LeadTimeDays: 10, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	err = s.InTx(ctx, func(tx *store.Tx) error {
		po, err := tx.DraftPO(ctx, shop.ID, sp.ID, "USD")
		if err != nil {
			return err
		}
		poID = po.ID
		return tx.AddToPOLine(ctx, po.ID, store.POLine{ItemID: "1517", SKU: "LW-APRON-CHR", Title: "Apron — Charcoal",
			SupplierSKU: "LC-APR-9", Quantity: 10, UnitCost: "12.50"})
	})
	if err != nil {
		t.Fatal(err)
	}
	return shop.ID, sp.ID, poID
}

func po(body map[string]any) map[string]any {
	p, _ := body["purchase_order"].(map[string]any)
	return p
}

func TestAPurchaseOrderIsListedApprovedConfirmedReceivedAndShown(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, supplierID, poID := draftPO(t, s)
		r := purchasingRouter(t, s)
		base := "/api/v1/purchase-orders/" + jsonID(float64(poID))
		for path, want := range map[string]int{
			"/api/v1/purchase-orders":                                            1,
			"/api/v1/purchase-orders?status=draft":                               1,
			"/api/v1/purchase-orders?status=sent":                                0,
			"/api/v1/purchase-orders?supplier_id=" + jsonID(float64(supplierID)): 1,
			"/api/v1/purchase-orders?supplier_id=999":                            0,
			"/api/v1/purchase-orders?shop=https://b.example/":                    1,
		} {
			code, l := call(t, r, "GET", path, "")
			if items, _ := l["items"].([]any); code != http.StatusOK || len(items) != want {
				t.Errorf("GET %s = %d %v, want %d orders", path, code, l, want)
			}
		}
		code, got := call(t, r, "GET", base, "")
		p := po(got)
		lines, _ := p["lines"].([]any)
		if code != http.StatusOK || p["status"] != "draft" || p["supplier"] != "Linen Co" || len(lines) != 1 ||
			lines[0].(map[string]any)["unit_cost"] != "12.50" || lines[0].(map[string]any)["supplier_sku"] != "LC-APR-9" {
			t.Fatalf("GET one = %d %v, want the draft with its line", code, got)
		}
		if code, got := call(t, r, "POST", base+"/approve", ""); code != http.StatusOK || po(got)["status"] != "sent" {
			t.Fatalf("approve = %d %v, want sent", code, got)
		}
		if code, got := call(t, r, "POST", base+"/approve", ""); code != http.StatusConflict {
			t.Errorf("second approve = %d %v, want 409", code, got)
		}
		code, got = call(t, r, "POST", base+"/confirm",
			`{"expected_at":"2026-12-15","lines":[{"item_id":"1517","quantity":12,"expected_at":"2026-12-20"}]}`)
		p = po(got)
		line := p["lines"].([]any)[0].(map[string]any)
		if code != http.StatusOK || p["status"] != "confirmed" || p["expected_at"] != "2026-12-15" || p["revision"] != 2.0 ||
			line["quantity"] != 12.0 || line["expected_at"] != "2026-12-20" {
			t.Fatalf("confirm = %d %v, want confirmed for 2026-12-15, 12 units for 2026-12-20, revision 2", code, got)
		}
		receipt := `{"receipt_id":"dock-7","lines":[{"item_id":"1517","quantity":4}]}`
		code, got = call(t, r, "POST", base+"/receipts", receipt)
		if code != http.StatusCreated || got["duplicate"] != false || po(got)["status"] != "partially_received" ||
			po(got)["lines"].([]any)[0].(map[string]any)["received"] != 4.0 {
			t.Fatalf("receipt = %d %v, want 201, 4 received", code, got)
		}
		code, got = call(t, r, "POST", base+"/receipts", receipt)
		if code != http.StatusOK || got["duplicate"] != true || po(got)["lines"].([]any)[0].(map[string]any)["received"] != 4.0 {
			t.Errorf("the same receipt again = %d %v, want 200 duplicate, still 4 received", code, got)
		}
		if code, got := call(t, r, "POST", base+"/receipts", `{"receipt_id":"dock-8","lines":[{"item_id":"1517","quantity":9}]}`); code != http.StatusUnprocessableEntity {
			t.Errorf("over-receipt = %d %v, want 422", code, got)
		}
		code, got = call(t, r, "GET", base, "")
		if events, _ := po(got)["events"].([]any); code != http.StatusOK || len(events) < 3 {
			t.Errorf("trail = %v, want sent, confirmed, received at least", po(got)["events"])
		}
		if code, got := call(t, r, "POST", base+"/cancel", `{}`); code != http.StatusUnprocessableEntity {
			t.Errorf("cancel without a reason = %d %v, want 422", code, got)
		}
		if code, got := call(t, r, "POST", base+"/cancel", `{"reason":"found a cheaper linen"}`); code != http.StatusOK ||
			po(got)["status"] != "cancelled" || po(got)["cancel_reason"] != "found a cheaper linen" {
			t.Errorf("cancel = %d %v, want cancelled with the reason", code, got)
		}
	})
}

func TestPurchaseOrderRequestsThatCannotBeDoneAreRefused(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	_, _, poID := draftPO(t, s)
	r := purchasingRouter(t, s)
	base := "/api/v1/purchase-orders/" + jsonID(float64(poID))
	tests := []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/v1/purchase-orders?status=late", "", 400},
		{"GET", "/api/v1/purchase-orders?supplier_id=x", "", 400},
		{"GET", "/api/v1/purchase-orders/999", "", 404},
		{"GET", "/api/v1/purchase-orders/x", "", 400},
		{"POST", "/api/v1/purchase-orders/999/approve", "", 404},
		{"POST", "/api/v1/purchase-orders/999/cancel", `{"reason":"x"}`, 404},
		{"POST", base + "/confirm", `{"expected_at":"2026-12-15"}`, 409},
		{"POST", base + "/receipts", `{"receipt_id":"r","lines":[{"item_id":"1517","quantity":1}]}`, 409},
		{"POST", base + "/confirm", `{"expected_at":"15/12/2026"}`, 422},
		{"POST", base + "/confirm", `{"lines":[{"quantity":3}]}`, 422},
		{"POST", base + "/confirm", `{"expected_at":`, 400},
		{"POST", base + "/receipts", `{"lines":[{"item_id":"1517","quantity":1}]}`, 400},
	}
	for _, tt := range tests {
		code, body := call(t, r, tt.method, tt.path, tt.body)
		if c, msg := errorOf(body); code != tt.want || c == "" || msg == "" {
			t.Errorf("%s %s %s = %d %v, want %d with a code and message", tt.method, tt.path, tt.body, code, body, tt.want)
		}
	}
	if code, got := call(t, r, "POST", base+"/approve", ""); code != http.StatusOK {
		t.Fatalf("approve = %d %v", code, got)
	}
	code, body := call(t, r, "POST", base+"/confirm", `{"lines":[{"item_id":"9999","quantity":3}]}`)
	if _, msg := errorOf(body); code != http.StatusUnprocessableEntity || !strings.Contains(msg, "9999") {
		t.Errorf("confirming an item the order lacks = %d %v, want 422 naming it", code, body)
	}
}

func TestEveryAdminRouteNeedsTheToken(t *testing.T) {
	s := storetest.New(t, store.SQLite)
	r := purchasingRouter(t, s)
	for _, rt := range r.Routes() {
		path := strings.NewReplacer(":id", "1", ":supplier_id", "1").Replace(rt.Path)
		if !strings.HasPrefix(path, "/api/") && path != "/metrics" {
			continue
		}
		code, body := call(t, r, rt.Method, path, `{}`, "Authorization", "")
		if c, _ := errorOf(body); code != http.StatusUnauthorized || c != "unauthorized" {
			t.Errorf("%s %s without the token = %d %v, want 401", rt.Method, rt.Path, code, body)
		}
	}
}
