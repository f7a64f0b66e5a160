package email

import (
	"strings"
	"testing"
)

var purchaseOrder = PurchaseOrder{Shop: shop, SupplierName: "Copperworks Ltd", PONumber: "PO-42", Revision: 2, Currency: "EUR",
	Lines: []POLine{
		{SKU: "HK-KETTLE-1L-CPR", SupplierSKU: "CU-1000", Title: "Copper Stovetop Kettle - 1 L", Quantity: 24, UnitCost: "12.50"},
		{SKU: "HK-TEAPOT-CAST-IND", SupplierSKU: "CI-77", Title: `Cast Iron Teapot, "Indigo" <large>`, Quantity: 1, UnitCost: "31.0000"}}}

func TestTheDigestShowsSupplyOnlyWhenThereIsSome(t *testing.T) {
	plain := Merchant{Shop: shop, Date: "2026-11-26", Digest: []DigestLine{{SKU: "A", Title: "A", Waiting: 1, Orders: 1}}}
	full := plain
	full.OpenPOs = 2
	full.OverduePOs = []POSummary{{ID: 42, Supplier: "Copperworks Ltd", ExpectedAt: "2026-11-20", UnitsDue: 24}}
	full.SlippingETAs = []SlippingETA{{OrderName: "#2417", SKU: "HK-TEAPOT", From: "2026-12-01", To: "2026-12-15"}}
	sections := []string{"open purchase order", "Overdue", "42", "Copperworks Ltd", "#2417", "2026-12-01", "2026-12-15"}
	for _, tt := range []struct {
		name string
		data Merchant
		want bool
	}{{"without supply", plain, false}, {"with supply", full, true}} {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Render(Digest, tt.data)
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{m.Text, m.HTML} {
				for _, s := range sections {
					if strings.Contains(part, s) != tt.want {
						t.Errorf("shows %q = %v, want %v:\n%s", s, !tt.want, tt.want, part)
					}
				}
			}
		})
	}
}

func TestAPurchaseOrderCarriesItsLinesAsCSV(t *testing.T) {
	m, err := Render(SupplierPurchaseOrder, purchaseOrder)
	if err != nil {
		t.Fatal(err)
	}
	want := "sku,supplier_sku,title,quantity,unit_cost,currency\r\n" +
		"HK-KETTLE-1L-CPR,CU-1000,Copper Stovetop Kettle - 1 L,24,12.50,EUR\r\n" +
		"HK-TEAPOT-CAST-IND,CI-77,\"Cast Iron Teapot, \"\"Indigo\"\" <large>\",1,31.0000,EUR\r\n"
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments = %+v, want the CSV", m.Attachments)
	}
	a := m.Attachments[0]
	if a.Filename != "purchase-order-PO-42.csv" || a.Type != "text/csv" || string(a.Content) != want {
		t.Errorf("attachment = %s %s\n%s\nwant purchase-order-PO-42.csv text/csv\n%s", a.Filename, a.Type, a.Content, want)
	}
	if got := PurchaseOrderCSV(purchaseOrder); string(got) != want {
		t.Errorf("PurchaseOrderCSV = %q, want %q", got, want)
	}
	for _, part := range []string{m.Text, m.HTML} {
		for _, w := range []string{"PO-42", "revision 2", "CU-1000", "CI-77", "24", "12.50", "EUR", "Copperworks Ltd", "orders@harborkiln.example"} {
			if !strings.Contains(part, w) {
				t.Errorf("purchase order lacks %q:\n%s", w, part)
			}
		}
	}
	if m, _ := Render(Backordered, order); m.Attachments != nil {
		t.Errorf("a customer message has attachments %+v", m.Attachments)
	}
}

func TestAPurchaseOrderNeedsItsData(t *testing.T) {
	if _, err := Render(SupplierPurchaseOrder, Merchant{Shop: shop}); err == nil {
		t.Error("a purchase order rendered from a merchant message's data")
	}
	if m, err := Render(SupplierPurchaseOrder, &purchaseOrder); err != nil || len(m.Attachments) != 1 {
		t.Errorf("Render(&PurchaseOrder) = %+v, %v; want the CSV", m.Attachments, err)
	}
}

func TestAFileNameHasNothingAMailClientRefuses(t *testing.T) {
	po := purchaseOrder
	po.PONumber = "../PO 42/\r\n"
	m, err := Render(SupplierPurchaseOrder, po)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Attachments[0].Filename; got != "purchase-order-PO42.csv" {
		t.Errorf("file name = %q, want purchase-order-PO42.csv", got)
	}
}
