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
	ns := orderMessagesOf(shop, order, bos, nil)
	kinds := map[email.Kind]orderMessage{}
	for _, n := range ns {
		kinds[n.kind] = n
	}
	if b := kinds[email.Backordered]; b.key != "order:7:backordered:1" || len(b.data.Lines) != 1 || b.data.Lines[0].SKU != "KETTLE" {
		t.Errorf("backordered = %+v, want the kettle that still waits", b)
	}
	r := kinds[email.Ready]
	if r.key != "order:7:allocated:3" || len(r.data.Lines) != 2 || r.data.AllReady {
		t.Errorf("ready = %+v, want kettle and teapot once each, 3 units allocated, not all ready", r)
	}
	if _, ok := kinds[email.Cancelled]; ok {
		t.Error("a cancelled line of an open order sent a cancellation")
	}
	order.Status = "cancelled"
	if c := orderMessagesOf(shop, order, bos, nil); len(c) != 3 {
		t.Errorf("cancelled order: %d notices, want the cancellation too", len(c))
	}
	if again := orderMessagesOf(shop, order, bos, map[string]bool{"1": true}); len(again) != 2 {
		t.Errorf("with the kettle announced: %d notices, want no second confirmation", len(again))
	}
}
