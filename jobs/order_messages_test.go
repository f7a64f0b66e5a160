package jobs

import (
	"testing"

	"github.com/backorderd/backorderd/email"
	"github.com/backorderd/backorderd/store"
)

func TestNoticesOfAnOrder(t *testing.T) {
	shop := store.Shop{Name: "Harbor & Kiln"}
	order := store.OrderRecord{OrderID: "7", Name: "#7", Status: "open", FirstName: "Wren"}
	bos := []store.BackorderEntry{
		{LineID: "1", SKU: "KETTLE", Ordered: 5, Backordered: 3, Allocated: 1, Waiting: 2, Status: "partially_allocated"},
		{LineID: "2", SKU: "TEAPOT", Ordered: 2, Backordered: 2, Allocated: 2, Status: "allocated"},
		{LineID: "3", SKU: "MUG", Ordered: 1, Backordered: 1, Status: "cancelled"},
	}
	kindsOf := func(announced map[string]bool) map[email.Kind]orderMessage {
		kinds := map[email.Kind]orderMessage{}
		for _, n := range orderMessagesOf(shop, order, bos, announced) {
			kinds[n.kind] = n
		}
		return kinds
	}
	// Nothing announced yet: the kettle's wait is news; the teapot, allocated
	// before any confirmation told of its wait, is not, and nothing is
	// "ready" that the customer never heard was waiting.
	kinds := kindsOf(nil)
	if b := kinds[email.Backordered]; b.key != "order:7:backordered:1" || len(b.data.Lines) != 1 || b.data.Lines[0].SKU != "KETTLE" {
		t.Errorf("backordered = %+v, want the kettle that still waits", b)
	}
	if r, ok := kinds[email.Ready]; ok {
		t.Errorf("ready = %+v before any confirmation announced the allocated lines, want none", r)
	}
	// Both announced earlier: both are told of.
	kinds = kindsOf(map[string]bool{"1": true, "2": true})
	r := kinds[email.Ready]
	if r.key != "order:7:allocated:3" || len(r.data.Lines) != 2 || r.data.AllReady {
		t.Errorf("ready = %+v, want kettle and teapot once each, 3 units allocated, not all ready", r)
	}
	if _, ok := kinds[email.Cancelled]; ok {
		t.Error("a cancelled line of an open order sent a cancellation")
	}
	if _, ok := kinds[email.Backordered]; ok {
		t.Error("a second confirmation of lines already announced")
	}
	// Only the kettle announced: its allocated unit is told of, the teapot
	// is not listed.
	kinds = kindsOf(map[string]bool{"1": true})
	if r := kinds[email.Ready]; r.key != "order:7:allocated:1" || len(r.data.Lines) != 1 || r.data.Lines[0].SKU != "KETTLE" {
		t.Errorf("ready = %+v with the kettle announced, want the kettle's 1 unit", r)
	}
	order.Status = "cancelled"
	if c := orderMessagesOf(shop, order, bos, map[string]bool{"1": true, "2": true}); len(c) != 2 {
		t.Errorf("cancelled order: %d notices, want ready and the cancellation", len(c))
	}
}
