package webhooks_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/backorderd/backorderd/store/storetest"
)

// event is one signed Shopify delivery of a generated history.
type event struct {
	topic, id string
	body      string // text, so that a failing case prints readably
}

var p0 = time.Date(2026, 2, 1, 9, 0, 0, 0, time.UTC)

func ts(minutes int) string { return p0.Add(time.Duration(minutes) * time.Minute).Format(time.RFC3339) }

// genHistory draws a few items' history: their products, orders placed,
// edited and cancelled, and level reports, each a delivery.
func genHistory(t *rapid.T) []event {
	items := []int{501, 502}
	var evs []event
	for _, it := range items {
		evs = append(evs, event{"products/update", fmt.Sprint("product-", it), fmt.Sprintf(
			`{"id":%d,"title":"Item %d","updated_at":%q,"variants":[{"id":%d,"product_id":%d,"title":"Default Title",`+
				`"sku":"SKU-%d","inventory_item_id":%d,"inventory_policy":"continue","inventory_quantity":0}]}`,
			it*10, it, ts(0), it, it*10, it, it*100)})
	}
	orders := rapid.IntRange(1, 6).Draw(t, "orders")
	for o := 0; o < orders; o++ {
		id, placed := 9000+o, rapid.IntRange(0, 30).Draw(t, "placed")
		nLines := rapid.IntRange(1, 2).Draw(t, "lines")
		qty := make([]int, nLines)
		item := make([]int, nLines)
		for l := range qty {
			qty[l], item[l] = rapid.IntRange(1, 3).Draw(t, "qty"), items[rapid.IntRange(0, 1).Draw(t, "item")]
		}
		body := func(updated int, quantities []int, cancelled bool) string {
			var lines []string
			for l, q := range quantities {
				open := q
				if cancelled {
					open = 0
				}
				lines = append(lines, fmt.Sprintf(`{"id":%d,"variant_id":%d,"product_id":%d,"sku":"SKU-%d","name":"Item %d",`+
					`"quantity":%d,"current_quantity":%d,"fulfillable_quantity":%d}`, id*10+l, item[l], item[l]*10, item[l], item[l], qty[l], q, open))
			}
			cancelledAt := "null"
			if cancelled {
				cancelledAt = fmt.Sprintf("%q", ts(updated))
			}
			return fmt.Sprintf(`{"id":%d,"name":"#%d","created_at":%q,"updated_at":%q,"cancelled_at":%s,`+
				`"financial_status":"paid","customer":{"id":1,"email":"c%d@example.net"},"line_items":[%s]}`,
				id, id, ts(placed), ts(updated), cancelledAt, o, strings.Join(lines, ","))
		}
		evs = append(evs, event{"orders/create", fmt.Sprint("create-", id), body(placed, qty, false)})
		if rapid.Bool().Draw(t, "edited") {
			edited := slices.Clone(qty)
			edited[0] = rapid.IntRange(0, 3).Draw(t, "edited qty")
			evs = append(evs, event{"orders/updated", fmt.Sprint("edit-", id), body(placed+rapid.IntRange(1, 10).Draw(t, "edited at"), edited, false)})
		}
		if rapid.IntRange(0, 3).Draw(t, "cancel") == 0 {
			evs = append(evs, event{"orders/cancelled", fmt.Sprint("cancel-", id), body(placed+11+rapid.IntRange(0, 10).Draw(t, "cancelled at"), qty, true)})
		}
	}
	for _, it := range items {
		reports := rapid.IntRange(1, 3).Draw(t, "reports")
		at := rapid.Permutation([]int{2, 9, 17, 25, 33, 41}).Draw(t, "report times")
		for r := 0; r < reports; r++ {
			evs = append(evs, event{"inventory_levels/update", fmt.Sprint("level-", it, "-", r), fmt.Sprintf(
				`{"inventory_item_id":%d,"location_id":1,"available":%d,"updated_at":%q}`,
				it*100, rapid.IntRange(-8, 4).Draw(t, "available"), ts(at[r]))})
		}
	}
	return evs
}

// TestRandomHistoriesSettleToOneState delivers random histories of orders,
// edits, cancellations and level reports, shuffled and with duplicates,
// through the real receiver and jobs on the real store: once the stream has
// settled, every item's waiting units are its owed units (or the rest is
// shortfall), the outcome does not depend on the delivery order, and
// delivering everything again changes nothing.
func TestRandomHistoriesSettleToOneState(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			rapid.Check(t, func(rt *rapid.T) {
				history := genHistory(rt)
				var states []string
				for run := 0; run < 2; run++ {
					order := rapid.Permutation(history).Draw(rt, "delivery order")
					dup := rapid.SliceOfNDistinct(rapid.IntRange(0, len(order)-1), 0, 3, rapid.ID[int]).Draw(rt, "duplicates")
					for _, i := range dup {
						order = append(order, order[i])
					}
					s := storetest.New(t, engine)
					h := newHarness(t, s)
					for _, e := range order {
						h.sendShopify(t, e.topic, e.id, e.body)
					}
					h.settle(t)
					state := h.snapshot(t)
					for _, e := range history { // everything again: duplicates all
						h.sendShopify(t, e.topic, e.id, e.body)
					}
					h.settle(t)
					if again := h.snapshot(t); again != state {
						rt.Fatalf("delivering everything twice changed the state:\n%s\nthen\n%s", state, again)
					}
					states = append(states, state)
					_ = s.Close() // now, not when the test ends: PostgreSQL allows a hundred clients
				}
				if states[0] != states[1] {
					rt.Fatalf("two delivery orders settled differently:\n%s\nand\n%s", states[0], states[1])
				}
			})
		})
	}
}
