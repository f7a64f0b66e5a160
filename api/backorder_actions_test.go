package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// actionsRouter is the admin API with the real backorder service,
// enqueueing into a Redis of the test's own, whose tasks the inspector
// shows; a request carrying X-Test-Login is as if that login signed in.
func actionsRouter(t *testing.T, s *store.Store) (*gin.Engine, *asynq.Inspector) {
	t.Helper()
	rc, _ := jobstest.Redis(t, redisDB)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := jobs.NewDispatcher(asynq.NewClientFromRedisClient(rc), log)
	gin.SetMode(gin.TestMode)
	r := gin.New()
	r.Use(func(c *gin.Context) {
		if login := c.GetHeader("X-Test-Login"); login != "" {
			c.Set(api.ActorKey, login)
		}
	})
	guard := api.RequireToken(adminToken)
	api.MountAdmin(r, guard, s, jobs.NewPurchasing(s, d, nil, jobs.NewMetrics(prometheus.NewRegistry()), log), prometheus.NewRegistry())
	api.MountBackorderActions(r, guard, s, jobs.NewBackorders(s, d, log))
	return r, asynq.NewInspectorFromRedisClient(rc)
}

// twoOrdersWaiting is a shop whose orders 9001 (placed 5 days ago) and
// 9002 (an hour ago) each wait for a kettle; it returns their backorder
// ids.
func twoOrdersWaiting(t *testing.T, s *store.Store) (shop store.Shop, old, recent string) {
	t.Helper()
	ctx := context.Background()
	shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, "ops.myshopify.com", "s"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC().Truncate(time.Second)
	err = s.InTx(ctx, func(tx *store.Tx) error {
		for _, o := range []struct {
			id     string
			placed time.Time
		}{{"9001", now.Add(-5 * 24 * time.Hour)}, {"9002", now.Add(-time.Hour)}} {
			if _, err := tx.ApplyOrder(ctx, shop.ID, backorder.Order{OrderID: o.id, Name: "#" + o.id, Status: backorder.OrderOpen,
				Customer: backorder.Customer{ID: "c" + o.id, Email: "c" + o.id + "@example.net", FirstName: "Kit"},
				PlacedAt: o.placed, UpdatedAt: o.placed, Version: backorder.Version{At: o.placed},
				Lines: []backorder.Line{{LineID: "1", ItemID: "777", SKU: "KETTLE", Title: "Kettle", Quantity: 1, OpenUnits: 1}}}); err != nil {
				return err
			}
		}
		return tx.WriteBackorders(ctx, shop.ID, "test", []store.BackorderWrite{
			{OrderID: "9001", LineID: "1", ItemID: "777", Ordered: 1, Backordered: 1, Waiting: 1, Status: "waiting"},
			{OrderID: "9002", LineID: "1", ItemID: "777", Ordered: 1, Backordered: 1, Waiting: 1, Status: "waiting"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := s.ListBackorders(ctx, store.BackorderFilter{ShopID: shop.ID, Limit: 10})
	if err != nil || len(es) != 2 {
		t.Fatalf("backorders = %+v, %v", es, err)
	}
	return shop, jsonID(float64(es[1].ID)), jsonID(float64(es[0].ID))
}

// pendingTasks counts the tasks waiting in asynq's default queue.
func pendingTasks(t *testing.T, in *asynq.Inspector) int {
	t.Helper()
	q, err := in.GetQueueInfo(jobs.QueueDefault)
	if err != nil {
		return 0 // no task was ever enqueued: the queue does not exist
	}
	return q.Pending + q.Scheduled
}

func TestABackorderIsCancelledOnceWithTheCustomerToldAndTheActionAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, old, _ := twoOrdersWaiting(t, s)
		r, in := actionsRouter(t, s)
		path := "/api/v1/backorders/" + old + "/cancel"

		code, body := call(t, r, "POST", path, `{"reason":"the customer found it elsewhere"}`)
		if code != http.StatusOK {
			t.Fatalf("cancel = %d %v", code, body)
		}
		b := body["backorder"].(map[string]any)
		if b["status"] != "cancelled" || b["waiting"] != 0.0 || b["withdrawn"] != 1.0 || b["withdrawn_at"] == nil {
			t.Errorf("cancelled backorder = %v", b)
		}
		if body["store"] != "none" {
			t.Errorf("store = %v, want none: the shop has no credentials", body["store"])
		}
		acts := body["actions"].([]any)
		if len(acts) != 1 {
			t.Fatalf("actions = %v, want the cancellation", acts)
		}
		a := acts[0].(map[string]any)
		if a["action"] != "cancel" || a["actor"] != "admin token" || a["reason"] != "the customer found it elsewhere" || a["created_at"] == nil {
			t.Errorf("action = %v", a)
		}
		events := body["events"].([]any)
		if last := events[len(events)-1].(map[string]any); last["kind"] != "cancelled" || last["cause"] != "operator:admin token" {
			t.Errorf("last trail entry = %v", last)
		}
		// The customer's message and the item's reconcile are queued in
		// asynq (through the outbox).
		if n := pendingTasks(t, in); n < 2 {
			t.Errorf("tasks queued = %d, want the email's and the reconcile's", n)
		}
		_, mails := call(t, r, "GET", "/api/v1/emails?kind=cancelled", "")
		if items := mails["items"].([]any); len(items) != 1 || items[0].(map[string]any)["to"] != "c9001@example.net" {
			t.Fatalf("cancelled emails = %v, want one to 9001's customer", items)
		}

		code, body = call(t, r, "POST", path, `{"reason":"again"}`)
		if c, msg := errorOf(body); code != http.StatusConflict || c != "conflict" || !strings.Contains(msg, "nothing of it waits") {
			t.Errorf("second cancel = %d %v, want 409 saying nothing waits", code, body)
		}
		_, mails = call(t, r, "GET", "/api/v1/emails?kind=cancelled", "")
		if n := len(mails["items"].([]any)); n != 1 {
			t.Errorf("cancelled emails after the second cancel = %d, want still 1", n)
		}
		_, one := call(t, r, "GET", "/api/v1/backorders/"+old, "")
		if n := len(one["actions"].([]any)); n != 1 {
			t.Errorf("actions shown = %d, want 1: the refused cancel did nothing", n)
		}
	})
}

func TestCancelAndPrioritizeRequestsThatCannotBeDoneAreRefused(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, old, _ := twoOrdersWaiting(t, s)
		r, _ := actionsRouter(t, s)
		long := strings.Repeat("é", jobs.MaxReasonLength+1)
		for _, tc := range []struct {
			what, method, path, body string
			headers                  []string
			status                   int
			code                     string
		}{
			{"no reason", "POST", "/api/v1/backorders/" + old + "/cancel", `{}`, nil, 422, "unprocessable"},
			{"empty reason", "POST", "/api/v1/backorders/" + old + "/prioritize", `{"reason":""}`, nil, 422, "unprocessable"},
			{"blank reason", "POST", "/api/v1/backorders/" + old + "/cancel", `{"reason":" \t "}`, nil, 422, "unprocessable"},
			{"reason too long", "POST", "/api/v1/backorders/" + old + "/cancel", `{"reason":"` + long + `"}`, nil, 422, "unprocessable"},
			{"unknown field", "POST", "/api/v1/backorders/" + old + "/cancel", `{"reason":"x","force":true}`, nil, 400, "bad_request"},
			{"not JSON", "POST", "/api/v1/backorders/" + old + "/cancel", `reason=x`, nil, 400, "bad_request"},
			{"no such backorder", "POST", "/api/v1/backorders/999999/cancel", `{"reason":"x"}`, nil, 404, "not_found"},
			{"not an id", "POST", "/api/v1/backorders/abc/prioritize", `{"reason":"x"}`, nil, 400, "bad_request"},
			{"cross-site", "POST", "/api/v1/backorders/" + old + "/cancel", `{"reason":"x"}`, []string{"Sec-Fetch-Site", "cross-site"}, 403, "forbidden"},
			{"no token", "POST", "/api/v1/backorders/" + old + "/prioritize", `{"reason":"x"}`, []string{"Authorization", ""}, 401, "unauthorized"},
			{"bad older_than", "GET", "/api/v1/backorders?older_than=soon", "", nil, 400, "bad_request"},
			// What the OpenAPI document refuses, the API refuses too.
			{"older_than without a unit", "GET", "/api/v1/backorders?older_than=0", "", nil, 400, "bad_request"},
			{"older_than with a sign", "GET", "/api/v1/backorders?older_than=%2B3h", "", nil, 400, "bad_request"},
			{"older_than without a whole part", "GET", "/api/v1/backorders?older_than=.5h", "", nil, 400, "bad_request"},
			{"bad eta_kind", "GET", "/api/v1/backorders?eta_kind=maybe", "", nil, 400, "bad_request"},
			{"bad action", "GET", "/api/v1/operator-actions?action=delete", "", nil, 400, "bad_request"},
			{"no status to filter actions on", "GET", "/api/v1/operator-actions?status=waiting", "", nil, 400, "bad_request"},
		} {
			code, body := call(t, r, tc.method, tc.path, tc.body, tc.headers...)
			if c, msg := errorOf(body); code != tc.status || c != tc.code || msg == "" {
				t.Errorf("%s: %d %v, want %d %s with a message", tc.what, code, body, tc.status, tc.code)
			} else if code == http.StatusUnprocessableEntity && !strings.HasPrefix(msg, "reason: ") {
				t.Errorf("%s: %q, want the 422 to name the field, reason", tc.what, msg)
			}
		}
		if code, body := call(t, r, "POST", "/api/v1/backorders/"+old+"/prioritize", "csrf=1",
			"Content-Type", "application/x-www-form-urlencoded"); code != 422 {
			t.Errorf("a form without a reason = %d %v, want 422", code, body)
		}
		if _, one := call(t, r, "GET", "/api/v1/backorders/"+old, ""); one["backorder"].(map[string]any)["status"] != "waiting" {
			t.Errorf("after refused requests the backorder is %v, want still waiting", one["backorder"])
		}
	})
}

func TestAPrioritizedBackorderShowsWhoMovedItAndWhy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, old, recent := twoOrdersWaiting(t, s)
		r, _ := actionsRouter(t, s)
		// From the dashboard's form, signed in.
		code, body := call(t, r, "POST", "/api/v1/backorders/"+recent+"/prioritize", "reason=replacement+for+a+broken+kettle&csrf=x",
			"X-Test-Login", "wren@harbor.example", "Content-Type", "application/x-www-form-urlencoded")
		if code != http.StatusOK {
			t.Fatalf("prioritize = %d %v", code, body)
		}
		b := body["backorder"].(map[string]any)
		if b["prioritized_at"] == nil || b["status"] != "waiting" || b["waiting"] != 1.0 {
			t.Errorf("prioritized backorder = %v, want it waiting with prioritized_at", b)
		}
		if _, ok := body["store"]; ok {
			t.Errorf("prioritizing answers a store effect: %v", body["store"])
		}
		a := body["actions"].([]any)[0].(map[string]any)
		if a["action"] != "prioritize" || a["actor"] != "wren@harbor.example" || a["reason"] != "replacement for a broken kettle" {
			t.Errorf("action = %v, want the login's prioritizing", a)
		}
		if code, _ := call(t, r, "POST", "/api/v1/backorders/"+old+"/cancel", `{"reason":"duplicate"}`); code != http.StatusOK {
			t.Fatalf("cancel = %d", code)
		}
		if code, body := call(t, r, "POST", "/api/v1/backorders/"+old+"/prioritize", `{"reason":"x"}`); code != http.StatusConflict {
			t.Errorf("prioritizing a cancelled backorder = %d %v, want 409", code, body)
		}

		list := func(query string) []string {
			t.Helper()
			code, l := call(t, r, "GET", "/api/v1/operator-actions"+query, "")
			if code != http.StatusOK {
				t.Fatalf("list %s = %d %v", query, code, l)
			}
			var got []string
			for _, it := range l["items"].([]any) {
				a := it.(map[string]any)
				got = append(got, a["action"].(string)+":"+jsonID(a["backorder_id"]))
			}
			return got
		}
		for query, want := range map[string]string{
			"":                        "cancel:" + old + " prioritize:" + recent,
			"?action=prioritize":      "prioritize:" + recent,
			"?backorder_id=" + old:    "cancel:" + old,
			"?shop=ops.myshopify.com": "cancel:" + old + " prioritize:" + recent,
			"?limit=1":                "cancel:" + old,
		} {
			if got := strings.Join(list(query), " "); got != want {
				t.Errorf("operator actions%s = %q, want %q", query, got, want)
			}
		}
		_, page := call(t, r, "GET", "/api/v1/operator-actions?limit=1", "")
		if got := strings.Join(list("?limit=1&cursor="+page["next_cursor"].(string)), " "); got != "prioritize:"+recent {
			t.Errorf("second page = %q, want the prioritizing", got)
		}
	})
}

func TestBackordersAreListedByAgeAndETAKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		_, old, recent := twoOrdersWaiting(t, s)
		r, _ := actionsRouter(t, s)
		for query, want := range map[string]string{
			"":                             recent + " " + old,
			"?older_than=72h":              old,
			"?older_than=3d":               old,
			"?older_than=6d":               "",
			"?older_than=30m":              recent + " " + old,
			"?eta_kind=unknown":            recent + " " + old,
			"?eta_kind=confirmed":          "",
			"?sku=KETTLE&older_than=2h":    old,
			"?status=waiting&limit=1":      recent,
			"?shop=ops.myshopify.com&sku=": recent + " " + old,
		} {
			code, l := call(t, r, "GET", "/api/v1/backorders"+query, "")
			if code != http.StatusOK {
				t.Fatalf("%s: %d %v", query, code, l)
			}
			var ids []string
			for _, it := range l["items"].([]any) {
				ids = append(ids, jsonID(it.(map[string]any)["id"]))
			}
			if got := strings.Join(ids, " "); got != want {
				t.Errorf("backorders%s = %q, want %q", query, got, want)
			}
		}
	})
}
