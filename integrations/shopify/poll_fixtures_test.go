package shopify_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/integrations/payload/payloadtest"
	"github.com/backorderd/backorderd/integrations/shopify/shopifytest"
)

// fixtureBody is a signed sample's body from the repository's testdata.
func fixtureBody(t *testing.T, name string) []byte {
	t.Helper()
	_, body := payloadtest.Fixture(t, filepath.Join("..", "..", "testdata", "shopify", name))
	return body
}

// restTime parses a REST time of a fixture.
func restTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatalf("fixture time %q: %v", s, err)
	}
	return tm.UTC()
}

// seedOrderFromFixture adds to the fake the order a REST fixture shows, so
// that what polling reads back can be compared with the fixture itself.
func seedOrderFromFixture(t *testing.T, s *shopifytest.Server, name string) shopifytest.Order {
	t.Helper()
	var in struct {
		ID                json.Number `json:"id"`
		Name              string      `json:"name"`
		Email             string      `json:"email"`
		Phone             string      `json:"phone"`
		CreatedAt         string      `json:"created_at"`
		UpdatedAt         string      `json:"updated_at"`
		CancelledAt       string      `json:"cancelled_at"`
		FinancialStatus   string      `json:"financial_status"`
		FulfillmentStatus string      `json:"fulfillment_status"`
		Customer          *struct {
			ID        json.Number `json:"id"`
			Email     string      `json:"email"`
			FirstName string      `json:"first_name"`
			LastName  string      `json:"last_name"`
			Phone     string      `json:"phone"`
		} `json:"customer"`
		ShippingLines []struct {
			Title string `json:"title"`
		} `json:"shipping_lines"`
		LineItems []struct {
			ID                  json.Number `json:"id"`
			VariantID           json.Number `json:"variant_id"`
			ProductID           json.Number `json:"product_id"`
			SKU                 string      `json:"sku"`
			Name                string      `json:"name"`
			Title               string      `json:"title"`
			Quantity            int         `json:"quantity"`
			CurrentQuantity     *int        `json:"current_quantity"`
			FulfillableQuantity *int        `json:"fulfillable_quantity"`
		} `json:"line_items"`
	}
	if err := json.Unmarshal(fixtureBody(t, name), &in); err != nil {
		t.Fatalf("fixture %s: %v", name, err)
	}
	o := shopifytest.Order{
		ID: in.ID.String(), Name: in.Name, Email: in.Email, Phone: in.Phone,
		CreatedAt: restTime(t, in.CreatedAt), UpdatedAt: restTime(t, in.UpdatedAt),
		FinancialStatus:   strings.ToUpper(in.FinancialStatus),
		FulfillmentStatus: displayFulfillmentStatus(in.FulfillmentStatus),
	}
	if in.CancelledAt != "" {
		at := restTime(t, in.CancelledAt)
		o.CancelledAt = &at
	}
	if c := in.Customer; c != nil {
		o.Customer = &shopifytest.Customer{ID: c.ID.String(), Email: c.Email, FirstName: c.FirstName, LastName: c.LastName, Phone: c.Phone}
	}
	if len(in.ShippingLines) > 0 {
		o.ShippingTitle = in.ShippingLines[0].Title
	}
	for _, l := range in.LineItems {
		o.Lines = append(o.Lines, shopifytest.LineItem{
			ID: l.ID.String(), VariantID: l.VariantID.String(), ProductID: l.ProductID.String(), SKU: l.SKU,
			Name: l.Name, Title: l.Title, Quantity: l.Quantity, CurrentQuantity: l.CurrentQuantity, Unfulfilled: l.FulfillableQuantity,
		})
	}
	s.AddOrder(o)
	return o
}

// displayFulfillmentStatus is REST's fulfillment_status in GraphQL's words.
func displayFulfillmentStatus(rest string) string {
	switch rest {
	case "":
		return "UNFULFILLED"
	case "partial":
		return "PARTIALLY_FULFILLED"
	}
	return strings.ToUpper(rest)
}

// seedProductFromFixture adds the products-update fixture's product, each
// variant stocked at location with its inventory_quantity.
func seedProductFromFixture(t *testing.T, s *shopifytest.Server, location string) {
	t.Helper()
	var in struct {
		ID        json.Number `json:"id"`
		Title     string      `json:"title"`
		UpdatedAt string      `json:"updated_at"`
		Variants  []struct {
			ID                json.Number `json:"id"`
			Title             string      `json:"title"`
			SKU               string      `json:"sku"`
			InventoryItemID   json.Number `json:"inventory_item_id"`
			InventoryPolicy   string      `json:"inventory_policy"`
			InventoryQuantity int         `json:"inventory_quantity"`
			UpdatedAt         string      `json:"updated_at"`
		} `json:"variants"`
	}
	if err := json.Unmarshal(fixtureBody(t, "products-update"), &in); err != nil {
		t.Fatalf("fixture products-update: %v", err)
	}
	p := shopifytest.Product{ID: in.ID.String(), Title: in.Title, UpdatedAt: restTime(t, in.UpdatedAt)}
	for _, v := range in.Variants {
		p.Variants = append(p.Variants, shopifytest.Variant{
			ID: v.ID.String(), Title: v.Title, SKU: v.SKU, InventoryItemID: v.InventoryItemID.String(),
			InventoryPolicy: strings.ToUpper(v.InventoryPolicy), UpdatedAt: restTime(t, v.UpdatedAt),
		})
		s.SetLevel(v.InventoryItemID.String(), location, v.InventoryQuantity, restTime(t, v.UpdatedAt))
	}
	s.AddProduct(p)
}
