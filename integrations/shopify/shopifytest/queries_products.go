package shopifytest

import (
	"encoding/json"
	"slices"
)

// The queries the fake answers on variants and inventory items.

func (s *Server) productVariant(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	id, err := legacy("ProductVariant", v.ID)
	if err != nil {
		return nil, err
	}
	p, i := s.variant(id)
	if p == nil {
		return nil, nil
	}
	return s.variantNode(p, &p.Variants[i], true), nil
}

// variant finds a variant and its product.
func (s *Server) variant(id string) (*Product, int) {
	p := s.products[s.variantProduct[id]]
	if p == nil {
		return nil, -1
	}
	i := slices.IndexFunc(p.Variants, func(v Variant) bool { return v.ID == id })
	if i < 0 {
		return nil, -1
	}
	return p, i
}

// variantNode is a variant with its inventory item's levels and, if
// withProduct, its product with every variant.
func (s *Server) variantNode(p *Product, v *Variant, withProduct bool) map[string]any {
	total := 0
	levels := []any{}
	for _, loc := range s.itemLocations[v.InventoryItemID] {
		l := s.levels[levelKey{v.InventoryItemID, loc}]
		total += l.Available
		levels = append(levels, map[string]any{
			"updatedAt":  ts(l.UpdatedAt),
			"location":   map[string]any{"id": gid("Location", loc), "legacyResourceId": loc},
			"quantities": []any{map[string]any{"name": "available", "quantity": l.Available}},
		})
	}
	n := map[string]any{
		"id": gid("ProductVariant", v.ID), "legacyResourceId": v.ID, "title": v.Title, "sku": nilIfEmpty(v.SKU),
		"inventoryPolicy": v.InventoryPolicy, "inventoryQuantity": total, "updatedAt": ts(v.UpdatedAt), "inventoryItem": nil,
	}
	if v.InventoryItemID != "" {
		n["inventoryItem"] = map[string]any{"id": gid("InventoryItem", v.InventoryItemID), "legacyResourceId": v.InventoryItemID, "inventoryLevels": map[string]any{"nodes": levels}}
	}
	if withProduct {
		variants := []any{}
		for i := range p.Variants {
			variants = append(variants, s.variantNode(p, &p.Variants[i], false))
		}
		n["product"] = map[string]any{
			"id": gid("Product", p.ID), "legacyResourceId": p.ID, "title": p.Title, "updatedAt": ts(p.UpdatedAt),
			"variants": map[string]any{"nodes": variants},
		}
	}
	return n
}

func (s *Server) productVariantsPage(c Call, vars json.RawMessage) (any, error) {
	var v pollVars
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	after, err := since(v.Query)
	if err != nil {
		return nil, err
	}
	type pv struct {
		p *Product
		i int
	}
	var list []pv
	for _, p := range s.products {
		for i, vr := range p.Variants {
			if vr.UpdatedAt.After(after) {
				list = append(list, pv{p, i})
			}
		}
	}
	slices.SortFunc(list, func(a, b pv) int { return cmpID(a.p.Variants[a.i].ID, b.p.Variants[b.i].ID) })
	keys := make([]string, len(list))
	for i, x := range list {
		keys[i] = idKey(x.p.Variants[x.i].ID)
	}
	lo, hi, info, err := s.keysetPage(c.Query, "productVariants", v.After, keys)
	if err != nil {
		return nil, err
	}
	nodes := []any{}
	for _, x := range list[lo:hi] {
		nodes = append(nodes, s.variantNode(x.p, &x.p.Variants[x.i], true))
	}
	return map[string]any{"nodes": nodes, "pageInfo": info}, nil
}

func (s *Server) inventoryItem(_ Call, vars json.RawMessage) (any, error) {
	var v struct {
		ID string `json:"id"`
	}
	if err := decodeVars(vars, &v); err != nil {
		return nil, err
	}
	id, err := legacy("InventoryItem", v.ID)
	if err != nil {
		return nil, err
	}
	p, i := s.variant(s.itemVariant[id])
	if p == nil {
		if len(s.itemLocations[id]) == 0 {
			return nil, nil
		}
		// Stocked but no variant of the fake's: levels only.
		return map[string]any{"id": v.ID, "legacyResourceId": id, "variant": nil, "inventoryLevels": s.levelNodes(id)}, nil
	}
	vn := s.variantNode(p, &p.Variants[i], true)
	item := vn["inventoryItem"].(map[string]any)
	return map[string]any{"id": v.ID, "legacyResourceId": id, "variant": vn, "inventoryLevels": item["inventoryLevels"]}, nil
}

func (s *Server) levelNodes(item string) map[string]any {
	nodes := []any{}
	for _, loc := range s.itemLocations[item] {
		l := s.levels[levelKey{item, loc}]
		nodes = append(nodes, map[string]any{
			"updatedAt": ts(l.UpdatedAt), "location": map[string]any{"id": gid("Location", loc), "legacyResourceId": loc},
			"quantities": []any{map[string]any{"name": "available", "quantity": l.Available}},
		})
	}
	return map[string]any{"nodes": nodes}
}
