package email

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files from the templates")

var shop = Shop{Name: "Harbor & Kiln Supply", Domain: "harbor-kiln-supply.myshopify.com",
	ReplyTo: "orders@harborkiln.example", BackorderPolicy: "Backordered items ship free when they arrive.",
	Incentive: "10% off your next order with code WAIT10"}

var order = Order{Shop: shop, OrderName: "#2417", CustomerName: "Wren", Lines: []Line{
	{Title: "Copper Stovetop Kettle - 1 L", SKU: "HK-KETTLE-1L-CPR", Ordered: 5, Backordered: 3, Waiting: 3},
	{Title: "Cast Iron Teapot <Indigo>", SKU: "HK-TEAPOT-CAST-IND", Ordered: 2, Backordered: 2, Waiting: 2, ETA: "2026-12-15", ETAKind: "confirmed"},
}}

// fixed is the data each kind's golden files are rendered from.
func fixed() map[Kind]any {
	ready := order
	ready.Lines = []Line{{Title: "Copper Stovetop Kettle - 1 L", SKU: "HK-KETTLE-1L-CPR", Ordered: 5, Backordered: 3, Allocated: 3}}
	ready.AllReady = true
	eta := order
	eta.OldETA = "2026-12-01"
	delayed := eta
	delayed.Lines = []Line{
		{Title: "Copper Stovetop Kettle - 1 L", SKU: "HK-KETTLE-1L-CPR", Ordered: 5, Backordered: 3, Waiting: 3, ETA: "2026-12-09", ETAKind: "expected"},
		{Title: "Cast Iron Teapot <Indigo>", SKU: "HK-TEAPOT-CAST-IND", Ordered: 2, Backordered: 2, Waiting: 2, ETA: "2027-01-04", ETAKind: "estimate"}}
	late := order
	late.MaxWaitDays = 30
	cancelled := order
	cancelled.Reason = "the supplier could not deliver"
	cancelled.Lines = []Line{
		{Title: "Copper Stovetop Kettle - 1 L", SKU: "HK-KETTLE-1L-CPR", Ordered: 5, Backordered: 3, Cancelled: 3},
		{Title: "Cast Iron Teapot <Indigo>", SKU: "HK-TEAPOT-CAST-IND", Ordered: 2, Backordered: 2, Allocated: 1, Cancelled: 1}}
	return map[Kind]any{
		Backordered: order, StatusUpdate: order, Ready: ready, ETAChanged: eta, Delayed: delayed, Cancelled: cancelled,
		WaitExceeded: late,
		NewBackorders: Merchant{Shop: shop, Window: "the last 15 minutes", Items: []ItemCount{
			{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Orders: 2, Units: 4}}},
		CapReached: Merchant{Shop: shop, Cap: 10, Waiting: 12, Items: []ItemCount{
			{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L"}}},
		PrivacyDocument: Merchant{Shop: shop, RequestID: "4410227", Document: "{\n  \"customer\": {\"id\": \"7302214451337\"}\n}"},
		Bounced:         Merchant{Shop: shop, Address: "wren@example.net", Reason: "bounce: 550 5.1.1 mailbox does not exist"},
		Digest: Merchant{Shop: shop, Date: "2026-11-26", Digest: []DigestLine{
			{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Waiting: 7, Orders: 3, OldestDays: 9, Demand7: 5, Demand30: 18},
			{SKU: "HK-TEAPOT-CAST-IND", Title: "Cast Iron Teapot", Demand7: 1, Demand30: 2, Shortfall: 1}},
			OpenPOs: 3, OverduePOs: []POSummary{{ID: 42, Supplier: "Copperworks Ltd", ExpectedAt: "2026-11-20", UnitsDue: 24}},
			SlippingETAs: []SlippingETA{{OrderName: "#2417", SKU: "HK-TEAPOT-CAST-IND", From: "2026-12-01", To: "2026-12-15"}}},
		MerchantPOOverdue: Merchant{Shop: shop, PO: &POSummary{ID: 42, Supplier: "Copperworks Ltd", ExpectedAt: "2026-11-20", UnitsDue: 25},
			Items: []ItemCount{{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Orders: 3, Units: 24},
				{SKU: "HK-TEAPOT-CAST-IND", Title: "Cast Iron Teapot <Indigo>", Units: 1}}},
		MerchantSupplyNeeded: Merchant{Shop: shop, Waiting: 7, Reason: ReasonNoAlternate,
			Items: []ItemCount{{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Orders: 3, Units: 7}}},
		MerchantWaitExceeded: Merchant{Shop: shop, MaxWaitDays: 30, Orders: []LateOrder{
			{OrderName: "#2417", Days: 31, Waiting: 5}, {OrderName: "#2420", Days: 30, Waiting: 1}}},
		SupplierPurchaseOrder: purchaseOrder,
		MerchantWebhooksSilent: Merchant{Shop: shop, Topics: []string{"orders/create"}, Since: "2026-11-30T08:12:00Z",
			Hours: 27, Missed: 14},
		MerchantWebhooksReenabled: Merchant{Shop: shop, Topics: []string{"order.created", "order.updated"}},
	}
}

func TestGoldenFiles(t *testing.T) {
	data := fixed()
	for _, kind := range Kinds {
		t.Run(string(kind), func(t *testing.T) {
			m, err := Render(kind, data[kind])
			if err != nil {
				t.Fatal(err)
			}
			if m.Subject == "" || strings.Contains(m.Subject, "\n") {
				t.Errorf("subject = %q, want one line", m.Subject)
			}
			for ext, got := range map[string]string{"txt": "Subject: " + m.Subject + "\n\n" + m.Text, "html": m.HTML} {
				path := filepath.Join("..", "testdata", "golden", "email", string(kind)+"."+ext)
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o600); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./email -update to write it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from %s:\n%s", ext, path, got)
				}
			}
		})
	}
}

func TestCustomerMessagesCarryWhatTheyMust(t *testing.T) {
	m, err := Render(Backordered, order)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{m.Text, m.HTML} {
		for _, want := range []string{"#2417", "Harbor &", "HK-KETTLE-1L-CPR", "HK-TEAPOT-CAST-IND", "WAIT10",
			"ship free", "we will tell you", "confirmed by the supplier for 2026-12-15", "orders@harborkiln.example"} {
			if !strings.Contains(part, want) {
				t.Errorf("message lacks %q:\n%s", want, part)
			}
		}
	}
	if !strings.Contains(m.HTML, "&lt;Indigo&gt;") || strings.Contains(m.HTML, "<Indigo>") {
		t.Error("the HTML part does not escape a title")
	}
}

func TestWordingFollowsTheNumbers(t *testing.T) {
	one := Merchant{Shop: shop, Window: "the last 15 minutes", Items: []ItemCount{{SKU: "A", Title: "A", Orders: 1, Units: 3}}}
	cap1 := Merchant{Shop: shop, Cap: 1, Waiting: 1, Items: []ItemCount{{SKU: "A", Title: "A"}}}
	digest := Merchant{Shop: shop, Date: "2026-11-26", Digest: []DigestLine{{SKU: "A", Title: "A", Waiting: 1, Orders: 1, OldestDays: 1}},
		OpenPOs: 1, OverduePOs: []POSummary{{ID: 7, Supplier: "S", ExpectedAt: "2026-11-20", UnitsDue: 1}}}
	overdue := Merchant{Shop: shop, PO: &POSummary{ID: 7, Supplier: "S", ExpectedAt: "2026-11-20", UnitsDue: 1},
		Items: []ItemCount{{SKU: "A", Title: "A", Orders: 1, Units: 1}}}
	needed := Merchant{Shop: shop, Waiting: 1, Reason: ReasonNoSupplier, Items: []ItemCount{{SKU: "A", Title: "A", Orders: 1, Units: 1}}}
	lateOne := Merchant{Shop: shop, MaxWaitDays: 1, Orders: []LateOrder{{OrderName: "#1", Days: 1, Waiting: 1}}}
	lateTwo := Merchant{Shop: shop, MaxWaitDays: 30, Orders: []LateOrder{{OrderName: "#1", Days: 31, Waiting: 2}, {OrderName: "#2", Days: 30, Waiting: 1}}}
	waitOne := Order{Shop: shop, OrderName: "#1", MaxWaitDays: 1, Lines: []Line{{Title: "A", Ordered: 1, Backordered: 1, Waiting: 1}}}
	onePO := PurchaseOrder{Shop: shop, SupplierName: "S", PONumber: "7", Revision: 1, Currency: "USD",
		Lines: []POLine{{SKU: "A", SupplierSKU: "SA", Title: "A", Quantity: 1, UnitCost: "1.00"}}}
	tests := []struct {
		name     string
		kind     Kind
		data     any
		want     []string
		wantNone []string
	}{
		{"new backorders", NewBackorders, one, []string{"3 units for 1 order\n"}, []string{"1 orders"}},
		{"cap reached", CapReached, cap1, []string{"has 1 unit waiting"}, []string{"1 units"}},
		{"digest", Digest, digest, []string{"1 waiting for 1 order,", "oldest 1 day;", "1 open purchase order:", "expected 2026-11-20, 1 unit due"},
			[]string{"1 orders", "1 days", "1 units", "purchase orders:"}},
		{"po overdue", MerchantPOOverdue, overdue, []string{"1 unit has not arrived", "A (A): 1 unit due, 1 order waiting"},
			[]string{"1 units", "1 orders", "have not"}},
		{"supply needed", MerchantSupplyNeeded, needed, []string{"has 1 unit waiting for 1 order", "it has no supplier"}, []string{"1 units", "1 orders"}},
		{"one order waited past a day", MerchantWaitExceeded, lateOne, []string{"1 order waited longer than 1 day", "#1: 1 unit waiting after 1 day"},
			[]string{"1 orders", "1 days", "1 units"}},
		{"orders waited past 30 days", MerchantWaitExceeded, lateTwo, []string{"2 orders waited longer than 30 days", "#1: 2 units waiting after 31 days"}, nil},
		{"customer waited past a day", WaitExceeded, waitOne, []string{"more than 1 day"}, []string{"1 days"}},
		{"purchase order of one line", SupplierPurchaseOrder, onePO, []string{"1 line"}, []string{"1 lines", "revision"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Render(tt.kind, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !strings.Contains(m.Text, w) {
					t.Errorf("text lacks %q:\n%s", w, m.Text)
				}
			}
			for _, w := range tt.wantNone {
				if strings.Contains(m.Text+m.HTML, w) {
					t.Errorf("message says %q:\n%s", w, m.Text)
				}
			}
		})
	}
}

func TestNothingWaitingMeansNoOfferToCancelWhatWaits(t *testing.T) {
	allReady := Order{Shop: shop, OrderName: "#1", AllReady: true,
		Lines: []Line{{Title: "Kettle", Ordered: 5, Backordered: 3, Allocated: 3}}}
	cancelled := Order{Shop: shop, OrderName: "#1", Reason: "the order was cancelled",
		Lines: []Line{{Title: "Kettle", Ordered: 5, Backordered: 3, Cancelled: 3}}}
	partly := Order{Shop: shop, OrderName: "#1",
		Lines: []Line{{Title: "Kettle", Ordered: 5, Backordered: 3, Allocated: 1, Waiting: 2}}}
	for _, tt := range []struct {
		name  string
		kind  Kind
		data  Order
		offer bool
	}{
		{"all ready", Ready, allReady, false},
		{"cancelled", Cancelled, cancelled, false},
		{"partly ready", Ready, partly, true},
		{"backordered", Backordered, partly, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Render(tt.kind, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{m.Text, m.HTML} {
				if got := strings.Contains(part, "cancel what waits"); got != tt.offer {
					t.Errorf("offers to cancel what waits = %v, want %v:\n%s", got, tt.offer, part)
				}
			}
		})
	}
}

func TestCancelledMessageSaysWhatIsCancelled(t *testing.T) {
	m, err := Render(Cancelled, Order{Shop: shop, OrderName: "#1", Reason: "the order was cancelled",
		Lines: []Line{{Title: "Kettle", SKU: "K", Ordered: 5, Backordered: 3, Allocated: 0, Cancelled: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "Kettle (K): 3 cancelled of 5 ordered") || strings.Contains(m.Text, "ready") {
		t.Errorf("cancelled text does not say what is cancelled:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, "<th align=\"right\">Cancelled</th>") || strings.Contains(m.HTML, "Ready") {
		t.Errorf("cancelled HTML does not say what is cancelled:\n%s", m.HTML)
	}
}

func TestUnitsFromStockShowAsReady(t *testing.T) {
	m, err := Render(Backordered, Order{Shop: shop, OrderName: "#1",
		Lines: []Line{{Title: "Kettle", SKU: "K", Ordered: 5, Backordered: 3, Waiting: 3}}})
	if err != nil {
		t.Fatal(err)
	}
	row := `<td align="right">5</td><td align="right">2</td><td align="right">3</td>`
	if !strings.Contains(m.HTML, row) {
		t.Errorf("HTML row lacks 5 ordered, 2 ready (from stock), 3 waiting:\n%s", m.HTML)
	}
	if !strings.Contains(m.Text, "5 ordered, 2 ready, 3 waiting") {
		t.Errorf("text lacks 5 ordered, 2 ready, 3 waiting:\n%s", m.Text)
	}
}

func TestWaitingLinesSayHowSureTheirETAIs(t *testing.T) {
	tests := []struct {
		kind, eta, want string
	}{
		{"confirmed", "2026-12-15", "confirmed by the supplier for 2026-12-15"},
		{"expected", "2026-12-15", "expected around 2026-12-15"},
		{"estimate", "2026-12-15", "estimated around 2026-12-15"},
		{"unknown", "", "we will tell you as soon as we know"},
		{"", "", "we will tell you as soon as we know"},
		// A date nobody said how sure it is stays unsaid.
		{"unknown", "2026-12-15", "we will tell you as soon as we know"},
		{"", "2026-12-15", "we will tell you as soon as we know"},
		{"confirmed", "", "we will tell you as soon as we know"},
	}
	for _, kind := range []Kind{Backordered, ETAChanged, Delayed, StatusUpdate, WaitExceeded} {
		for _, tt := range tests {
			t.Run(string(kind)+"/"+tt.kind+"/"+tt.eta, func(t *testing.T) {
				m, err := Render(kind, Order{Shop: shop, OrderName: "#1", OldETA: "2026-12-01", MaxWaitDays: 30,
					Lines: []Line{{Title: "Kettle", SKU: "K", Ordered: 2, Backordered: 2, Waiting: 2, ETA: tt.eta, ETAKind: tt.kind}}})
				if err != nil {
					t.Fatal(err)
				}
				for _, part := range []string{m.Text, m.HTML} {
					if !strings.Contains(part, tt.want) {
						t.Errorf("message lacks %q:\n%s", tt.want, part)
					}
					if tt.want == "we will tell you as soon as we know" && strings.Contains(part, "2026-12-15") {
						t.Errorf("message shows a date it cannot stand by:\n%s", part)
					}
				}
			})
		}
	}
}
