package email

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// PurchaseOrder is the data of a SupplierPurchaseOrder message. UnitCost
// is a decimal string in Currency, never a float.
type PurchaseOrder struct {
	Shop         Shop     `json:"shop"`
	SupplierName string   `json:"supplier_name"`
	PONumber     string   `json:"po_number"`
	Revision     int      `json:"revision"`
	Currency     string   `json:"currency"`
	Lines        []POLine `json:"lines"`
}

// POLine is one item a purchase order orders.
type POLine struct {
	SKU         string `json:"sku"`
	SupplierSKU string `json:"supplier_sku"`
	Title       string `json:"title"`
	Quantity    int    `json:"quantity"`
	UnitCost    string `json:"unit_cost"`
}

// POSummary is a purchase order in a merchant message: UnitsDue are its
// units ordered and not received yet; ExpectedAt is 2006-01-02.
type POSummary struct {
	ID         int64  `json:"id"`
	Supplier   string `json:"supplier"`
	ExpectedAt string `json:"expected_at"`
	UnitsDue   int    `json:"units_due"`
}

// SlippingETA is a waiting line whose ETA moved later, From and To being
// dates (2006-01-02), in a digest.
type SlippingETA struct {
	OrderName string `json:"order_name"`
	SKU       string `json:"sku"`
	From      string `json:"from"`
	To        string `json:"to"`
}

// LateOrder is an order that waited past the shop's maximum wait: Days
// waited, Waiting units still to come.
type LateOrder struct {
	OrderName string `json:"order_name"`
	Days      int    `json:"days"`
	Waiting   int    `json:"waiting"`
}

// Why a MerchantSupplyNeeded message's item cannot be reordered (its
// Merchant.Reason).
const (
	ReasonNoSupplier  = "it has no supplier"
	ReasonNoAlternate = "its preferred supplier cancelled its last order, and it has no alternate supplier"
)

// csvHeader is the purchase order CSV's header row.
var csvHeader = []string{"sku", "supplier_sku", "title", "quantity", "unit_cost", "currency"}

// PurchaseOrderCSV is po's lines as a CSV file (RFC 4180: CRLF line ends,
// quoted where needed) with a header row.
func PurchaseOrderCSV(po PurchaseOrder) []byte {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.UseCRLF = true
	_ = w.Write(csvHeader) // a bytes.Buffer does not fail
	for _, l := range po.Lines {
		_ = w.Write([]string{l.SKU, l.SupplierSKU, l.Title, strconv.Itoa(l.Quantity), l.UnitCost, po.Currency})
	}
	w.Flush()
	return b.Bytes()
}

// purchaseOrderAttachment is a SupplierPurchaseOrder message's CSV.
func purchaseOrderAttachment(data any) (Attachment, error) {
	var po PurchaseOrder
	switch d := data.(type) {
	case PurchaseOrder:
		po = d
	case *PurchaseOrder:
		po = *d
	default:
		return Attachment{}, fmt.Errorf("data is %T, want email.PurchaseOrder", data)
	}
	return Attachment{Filename: "purchase-order-" + fileSafe(po.PONumber) + ".csv", Type: "text/csv",
		Content: PurchaseOrderCSV(po)}, nil
}

// fileSafe keeps letters, digits, '-' and '_' of s: a file name every mail
// client accepts.
func fileSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' {
			return r
		}
		return -1
	}, s)
}
