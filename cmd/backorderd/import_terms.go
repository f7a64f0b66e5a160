package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/store"
)

// importTerms writes the file's terms in one transaction, after every row
// passed the API's rules and named one shop, one item and one supplier.
func importTerms(ctx context.Context, st *store.Store, f *csvFile, stdout io.Writer) error {
	suppliers, err := allSuppliers(ctx, st)
	if err != nil {
		return err
	}
	shops, err := st.Shops(ctx)
	if err != nil {
		return err
	}
	r := &termsResolver{st: st, shops: shops, suppliers: suppliers}
	terms := make([]store.ItemSupplier, 0, len(f.rows))
	for i, row := range f.rows {
		is, column, err := r.row(ctx, row)
		if err == nil {
			err = api.CheckTerms(is)
		}
		if err != nil {
			f.reject(i, column, err)
			continue
		}
		terms = append(terms, is)
	}
	if err := f.err(); err != nil {
		return err
	}
	var existed []bool
	err = st.InTx(ctx, func(tx *store.Tx) error {
		existed = make([]bool, len(terms))
		for i, is := range terms {
			had, err := tx.ItemSuppliers(ctx, is.ShopID, is.ItemID)
			if err != nil {
				return err
			}
			existed[i] = slices.ContainsFunc(had, func(h store.ItemSupplier) bool { return h.SupplierID == is.SupplierID })
		}
		_, err := tx.ImportItemSuppliers(ctx, terms)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	for i, is := range terms {
		verb := "added"
		if existed[i] {
			verb = "updated"
		}
		if _, err := fmt.Fprintf(stdout, "%s terms: shop %d, item %s, supplier %d (%s), unit cost %s%s\n", verb,
			is.ShopID, is.ItemID, is.SupplierID, r.byID[is.SupplierID], is.UnitCost, preferredMark(is.Preferred)); err != nil {
			return err
		}
	}
	return nil
}

func preferredMark(p bool) string {
	if p {
		return ", preferred"
	}
	return ""
}

// termsResolver turns a terms row's names into ids.
type termsResolver struct {
	st        *store.Store
	shops     []store.Shop
	suppliers map[string]store.Supplier
	byID      map[int64]string
}

// row reads a terms row; on error, column is the column at fault ("" when
// the error names its field).
func (r *termsResolver) row(ctx context.Context, row map[string]string) (is store.ItemSupplier, column string, err error) {
	if is.ShopID, err = r.shop(row["shop"]); err != nil {
		return is, "shop", err
	}
	if is.SupplierID, err = r.supplier(row["supplier"]); err != nil {
		return is, "supplier", err
	}
	if is.ItemID, column, err = r.item(ctx, is.ShopID, row["item_id"], row["sku"]); err != nil {
		return is, column, err
	}
	is.SupplierSKU, is.UnitCost = row["supplier_sku"], row["unit_cost"]
	if is.UnitCost == "" {
		is.UnitCost = "0"
	}
	if is.MOQ, err = whole(row, "moq", 0); err == nil {
		if is.PackSize, err = whole(row, "pack_size", 1); err == nil {
			is.SafetyStock, err = whole(row, "safety_stock", 0)
		}
	}
	if err == nil && row["lead_time_days"] != "" {
		var lead int
		lead, err = whole(row, "lead_time_days", 0)
		is.LeadTimeDays = &lead
	}
	if err == nil && row["preferred"] != "" {
		if is.Preferred, err = strconv.ParseBool(row["preferred"]); err != nil {
			return is, "preferred", fmt.Errorf("%q is not true or false", row["preferred"])
		}
	}
	return is, "", err
}

// shop is the shop ref names (an id or domain), or the only shop.
func (r *termsResolver) shop(ref string) (int64, error) {
	if ref == "" {
		switch len(r.shops) {
		case 0:
			return 0, errors.New("no shop is registered (`backorderd shop add`)")
		case 1:
		default:
			return 0, errors.New("must name the shop (id or domain): there are several")
		}
		return r.shops[0].ID, nil
	}
	for _, s := range r.shops {
		if strconv.FormatInt(s.ID, 10) == ref || s.Domain == ref {
			return s.ID, nil
		}
	}
	return 0, fmt.Errorf("no shop %q; `backorderd shop list` shows them", ref)
}

// supplier is the supplier ref names, by name or else id.
func (r *termsResolver) supplier(ref string) (int64, error) {
	if r.byID == nil {
		r.byID = map[int64]string{}
		for _, sp := range r.suppliers {
			r.byID[sp.ID] = sp.Name
		}
	}
	if sp, ok := r.suppliers[ref]; ok {
		return sp.ID, nil
	}
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil && r.byID[id] != "" {
		return id, nil
	}
	if ref == "" {
		return 0, errors.New("must name a supplier (name or id)")
	}
	return 0, fmt.Errorf("no supplier %q (import suppliers first)", ref)
}

// item is the item id given, or the one item of the shop with the SKU
// (described by the store or named by order lines).
func (r *termsResolver) item(ctx context.Context, shopID int64, itemID, sku string) (string, string, error) {
	if itemID != "" {
		return itemID, "", nil
	}
	if sku == "" {
		return "", "item_id", errors.New("give item_id or sku")
	}
	described, err := r.st.ItemsBySKU(ctx, shopID, sku)
	if err != nil {
		return "", "sku", err
	}
	ordered, err := r.st.OrderedItemsBySKU(ctx, shopID, sku)
	if err != nil {
		return "", "sku", err
	}
	var ids []string
	for _, it := range append(described, ordered...) {
		if !slices.Contains(ids, it.ItemID) {
			ids = append(ids, it.ItemID)
		}
	}
	switch len(ids) {
	case 1:
		return ids[0], "", nil
	case 0:
		return "", "sku", fmt.Errorf("no item of shop %d has SKU %q (give item_id)", shopID, sku)
	default:
		return "", "sku", fmt.Errorf("SKU %q is on %d items of shop %d (%v): give item_id", sku, len(ids), shopID, ids)
	}
}
