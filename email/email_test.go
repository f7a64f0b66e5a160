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
	{Title: "Copper Stovetop Kettle - 1 L", SKU: "HK-KETTLE-1L-CPR", Ordered: 5, Waiting: 3},
	{Title: "Cast Iron Teapot <Indigo>", SKU: "HK-TEAPOT-CAST-IND", Ordered: 2, Waiting: 2, ETA: "2026-12-15"},
}}

// fixed is the data each kind's golden files are rendered from.
func fixed() map[Kind]any {
	ready := order
	ready.Lines = []Line{{Title: "Copper Stovetop Kettle - 1 L", SKU: "HK-KETTLE-1L-CPR", Ordered: 5, Allocated: 3}}
	ready.AllReady = true
	eta := order
	eta.OldETA = "2026-12-01"
	cancelled := order
	cancelled.Reason = "the supplier could not deliver"
	return map[Kind]any{
		Backordered: order, StatusUpdate: order, Ready: ready, ETAChanged: eta, Delayed: eta, Cancelled: cancelled,
		NewBackorders: Merchant{Shop: shop, Window: "the last 15 minutes", Items: []ItemCount{
			{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Orders: 2, Units: 4}}},
		CapReached: Merchant{Shop: shop, Cap: 10, Waiting: 12, Items: []ItemCount{
			{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L"}}},
		PrivacyDocument: Merchant{Shop: shop, RequestID: "4410227", Document: "{\n  \"customer\": {\"id\": \"7302214451337\"}\n}"},
		Bounced:         Merchant{Shop: shop, Address: "wren@example.net", Reason: "bounce: 550 5.1.1 mailbox does not exist"},
		Digest: Merchant{Shop: shop, Date: "2026-11-26", Digest: []DigestLine{
			{SKU: "HK-KETTLE-1L-CPR", Title: "Copper Stovetop Kettle - 1 L", Waiting: 7, Orders: 3, OldestDays: 9, Demand7: 5, Demand30: 18},
			{SKU: "HK-TEAPOT-CAST-IND", Title: "Cast Iron Teapot", Demand7: 1, Demand30: 2, Shortfall: 1}}},
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
			"ship free", "we will tell you", "2026-12-15", "orders@harborkiln.example"} {
			if !strings.Contains(part, want) {
				t.Errorf("message lacks %q:\n%s", want, part)
			}
		}
	}
	if !strings.Contains(m.HTML, "&lt;Indigo&gt;") || strings.Contains(m.HTML, "<Indigo>") {
		t.Error("the HTML part does not escape a title")
	}
}
