package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// termsView is an item's terms from a supplier, with the supplier's name.
type termsView struct {
	ShopID       int64     `json:"shop_id"`
	ItemID       string    `json:"item_id"`
	SupplierID   int64     `json:"supplier_id"`
	Supplier     string    `json:"supplier"`
	SupplierSKU  string    `json:"supplier_sku"`
	UnitCost     string    `json:"unit_cost"`
	MOQ          int       `json:"moq"`
	PackSize     int       `json:"pack_size"`
	LeadTimeDays *int      `json:"lead_time_days"`
	SafetyStock  int       `json:"safety_stock"`
	Preferred    bool      `json:"preferred"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func viewTerms(is store.ItemSupplier, supplier string) termsView {
	return termsView{ShopID: is.ShopID, ItemID: is.ItemID, SupplierID: is.SupplierID, Supplier: supplier,
		SupplierSKU: is.SupplierSKU, UnitCost: is.UnitCost, MOQ: is.MOQ, PackSize: is.PackSize,
		LeadTimeDays: is.LeadTimeDays, SafetyStock: is.SafetyStock, Preferred: is.Preferred, UpdatedAt: is.UpdatedAt}
}

// termsRequest is the body of PUT: the whole terms; a field left out
// takes its default.
type termsRequest struct {
	SupplierSKU  string          `json:"supplier_sku"`
	UnitCost     json.RawMessage `json:"unit_cost"`
	MOQ          int             `json:"moq"`
	PackSize     *int            `json:"pack_size"`
	LeadTimeDays *int            `json:"lead_time_days"`
	SafetyStock  int             `json:"safety_stock"`
	Preferred    bool            `json:"preferred"`
}

// terms are the request's terms for the item and supplier, checked.
func (r termsRequest) terms(shopID int64, itemID string, supplierID int64) (store.ItemSupplier, error) {
	is := store.ItemSupplier{ShopID: shopID, ItemID: itemID, SupplierID: supplierID, SupplierSKU: r.SupplierSKU,
		UnitCost: "0", MOQ: r.MOQ, PackSize: 1, LeadTimeDays: r.LeadTimeDays, SafetyStock: r.SafetyStock,
		Preferred: r.Preferred}
	if r.PackSize != nil {
		is.PackSize = *r.PackSize
	}
	if raw := bytes.TrimSpace(r.UnitCost); len(raw) > 0 && string(raw) != "null" {
		if raw[0] != '"' {
			return is, &FieldError{"unit_cost", "send money as a JSON string such as \"12.50\", not a number: a number may lose cents"}
		}
		if err := json.Unmarshal(raw, &is.UnitCost); err != nil {
			return is, &FieldError{"unit_cost", "is not a JSON string"}
		}
	}
	return is, CheckTerms(is)
}

// putTerms serves PUT /api/v1/items/{id}/suppliers/{supplier_id}; the
// item's ETAs follow its new terms (a supplier's lead time is what an
// estimate counts).
func putTerms(st AdminStore, p Purchasing) gin.HandlerFunc {
	return func(c *gin.Context) {
		shopID, sp, err := termsTarget(c, st)
		if err != nil {
			fail(c, err)
			return
		}
		var req termsRequest
		if err := bindJSON(c, &req); err != nil {
			fail(c, err)
			return
		}
		is, err := req.terms(shopID, c.Param("id"), sp.ID)
		if err == nil {
			is, err = st.SetItemSupplier(c.Request.Context(), is)
		}
		if err == nil {
			err = p.TermsChanged(c.Request.Context(), shopID, is.ItemID)
		}
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, viewTerms(is, sp.Name))
	}
}

// deleteTerms serves DELETE /api/v1/items/{id}/suppliers/{supplier_id}.
func deleteTerms(st AdminStore, p Purchasing) gin.HandlerFunc {
	return func(c *gin.Context) {
		shopID, sp, err := termsTarget(c, st)
		if err == nil {
			err = st.DeleteItemSupplier(c.Request.Context(), shopID, c.Param("id"), sp.ID)
		}
		if errors.Is(err, store.ErrNotFound) {
			err = errNotFound("item " + c.Param("id") + " has no terms from supplier " + c.Param("supplier_id"))
		}
		if err == nil {
			err = p.TermsChanged(c.Request.Context(), shopID, c.Param("id"))
		}
		if err != nil {
			fail(c, err)
			return
		}
		c.Status(http.StatusNoContent)
	}
}

// termsTarget reads the shop (?shop=, or the only one) and the supplier
// the terms' path names.
func termsTarget(c *gin.Context, st AdminStore) (int64, store.Supplier, error) {
	shopID, err := oneShop(c, st)
	if err != nil {
		return 0, store.Supplier{}, err
	}
	sp, err := supplierParam(c, st, "supplier_id")
	return shopID, sp, err
}

// oneShop is the shop ?shop= names or, when it names none, the only shop
// registered.
func oneShop(c *gin.Context, st AdminStore) (int64, error) {
	id, err := shopFilter(c, st)
	if err != nil || id != 0 {
		return id, err
	}
	shops, err := st.Shops(c.Request.Context())
	if err != nil {
		return 0, err
	}
	if len(shops) != 1 {
		return 0, errBadRequest("shop: name the shop with ?shop= (an id or domain): there is not exactly one")
	}
	return shops[0].ID, nil
}

// itemTerms lists an item's terms with their suppliers' names.
func itemTerms(c *gin.Context, st SupplierStore, shopID int64, itemID string) ([]termsView, error) {
	iss, err := st.ItemSuppliers(c.Request.Context(), shopID, itemID)
	if err != nil {
		return nil, err
	}
	out := make([]termsView, len(iss))
	for i, is := range iss {
		sp, err := st.Supplier(c.Request.Context(), is.SupplierID)
		if err != nil {
			return nil, err
		}
		out[i] = viewTerms(is, sp.Name)
	}
	return out, nil
}
