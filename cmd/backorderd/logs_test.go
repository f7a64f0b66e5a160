package main

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestADeliveryAndEachOfItsTasksLogOneJSONLineWithIdsAndNoCustomer: the
// receiver logs one line per delivery (shop, topic, inbox id, duration,
// outcome) and the worker one per task run (type, task id, shop, ids,
// duration, outcome), and no line names the customer.
func TestADeliveryAndEachOfItsTasksLogOneJSONLineWithIdsAndNoCustomer(t *testing.T) {
	t.Chdir(t.TempDir())
	_, redisAt := testRedis(t)
	p := start(t, []string{"run"}, map[string]string{"REDIS_URL": redisAt,
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret, "SETTLE_QUIET": "0s"})
	p.waitReady(t)
	if resp := postFixture(t, p.addr, "shopify/orders-create"); resp.StatusCode != http.StatusOK {
		t.Fatalf("delivery answered %d", resp.StatusCode)
	}
	waitProcessed(t, "sqlite", "backorderd.db")

	var delivery map[string]any
	var tasks []map[string]any
	deadline := time.Now().Add(20 * time.Second)
	for {
		delivery, tasks = nil, nil
		for _, line := range strings.Split(strings.TrimSpace(p.stderr.String()), "\n") {
			var rec map[string]any
			if err := json.Unmarshal([]byte(line), &rec); err != nil {
				t.Fatalf("log line %q is not JSON: %v", line, err)
			}
			for _, who := range []string{"wren", "Wren", "okafor", "Okafor"} {
				if strings.Contains(line, who) {
					t.Fatalf("a log line names the customer: %s", line)
				}
			}
			switch {
			case rec["msg"] == "request" && rec["path"] == "/webhooks/shopify":
				if delivery != nil {
					t.Fatalf("two lines for one delivery:\n%v\n%s", delivery, line)
				}
				delivery = rec
			case rec["msg"] == "task done" || rec["msg"] == "task failed":
				tasks = append(tasks, rec)
			}
		}
		var applied, reconciled bool
		for _, task := range tasks {
			applied = applied || task["type"] == "intake:delivery"
			reconciled = reconciled || task["type"] == "backorder:reconcile"
		}
		if delivery != nil && applied && reconciled || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if delivery == nil {
		t.Fatalf("no request line for the delivery in\n%s", p.stderr)
	}
	for k, want := range map[string]any{"shop": shopDomain, "topic": "orders/create", "outcome": "accepted",
		"status": float64(200), "level": "INFO"} {
		if delivery[k] != want {
			t.Errorf("delivery line %s = %v, want %v", k, delivery[k], want)
		}
	}
	inboxID, _ := delivery["inbox_id"].(float64)
	if inboxID <= 0 || delivery["shop_id"] == nil || delivery["duration_ms"] == nil {
		t.Errorf("delivery line %v wants inbox_id, shop_id and duration_ms", delivery)
	}

	seen := map[string]int{}
	for _, task := range tasks {
		id, _ := task["task_id"].(string)
		seen[id]++
		if seen[id] > 1 && task["msg"] == "task done" {
			t.Errorf("task %s logged done twice", id)
		}
		if task["type"] == nil || task["duration_ms"] == nil || task["queue"] == nil {
			t.Errorf("task line %v wants type, duration_ms and queue", task)
		}
		if task["type"] == "backorder:reconcile" && (task["shop"] != shopDomain || task["item_id"] == nil) {
			t.Errorf("reconcile task line %v wants the shop and the item", task)
		}
		if task["type"] != "intake:delivery" {
			continue
		}
		for k, want := range map[string]any{"msg": "task done", "shop": shopDomain, "topic": "orders/create",
			"row_id": inboxID, "task_id": "inbox:" + strconv.Itoa(int(inboxID))} {
			if task[k] != want {
				t.Errorf("delivery task line %s = %v, want %v", k, task[k], want)
			}
		}
	}
	if seen["inbox:"+strconv.Itoa(int(inboxID))] == 0 || len(seen) < 2 {
		t.Errorf("task lines for %v, want the delivery's and its reconcile's:\n%s", seen, p.stderr)
	}
}
