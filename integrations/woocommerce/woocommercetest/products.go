package woocommercetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// AddProduct seeds a product (simple or variable) from its REST JSON (a
// webhook fixture will do); type defaults to simple, meta_data to none,
// missing dates to the store's clock.
func (s *Server) AddProduct(body string) int64 {
	s.t.Helper()
	obj := s.seed(body)
	for k, v := range map[string]any{"type": "simple", "parent_id": json.Number("0"), "meta_data": []any{}, "backorders": "no", "manage_stock": false} {
		if obj[k] == nil {
			obj[k] = v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.products[idOf(obj)] = obj
	return idOf(obj)
}

// AddVariation seeds a variation of the variable product parentID: type
// variation, parent_id parentID, as GET products/{id} shows it.
func (s *Server) AddVariation(parentID int64, body string) int64 {
	s.t.Helper()
	obj := s.seed(body)
	obj["type"] = "variation"
	obj["parent_id"] = json.Number(fmt.Sprint(parentID))
	for k, v := range map[string]any{"meta_data": []any{}, "backorders": "no", "manage_stock": false} {
		if obj[k] == nil {
			obj[k] = v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.products[parentID]; p == nil || p["type"] != "variable" {
		s.t.Fatalf("woocommercetest: AddVariation: %d is not a variable product", parentID)
	}
	s.products[idOf(obj)] = obj
	return idOf(obj)
}

// Product is the product or variation as the store now holds it (a copy);
// nil if none.
func (s *Server) Product(id int64) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if p := s.products[id]; p != nil {
		return clone(p)
	}
	return nil
}

// listProducts lists products, never variations (as wc/v3 does).
func (s *Server) listProducts(w http.ResponseWriter, _ []int64, q url.Values, _ map[string]any) {
	var objs []map[string]any
	for _, p := range s.products {
		if p["type"] != "variation" && (q.Get("type") == "" || p["type"] == q.Get("type")) {
			objs = append(objs, p)
		}
	}
	s.page(w, q, objs)
}

func (s *Server) listVariations(w http.ResponseWriter, ids []int64, q url.Values, _ map[string]any) {
	if s.product(w, ids[0], 0) == nil {
		return
	}
	var objs []map[string]any
	for _, p := range s.products {
		if p["type"] == "variation" && idOf(map[string]any{"id": p["parent_id"]}) == ids[0] {
			objs = append(objs, p)
		}
	}
	s.page(w, q, objs)
}

// product finds a product (parent 0: any product or variation, as GET
// products/{id} does) or a variation of parent, or answers 404.
func (s *Server) product(w http.ResponseWriter, id, parent int64) map[string]any {
	p := s.products[id]
	if p != nil && parent != 0 && (p["type"] != "variation" || fmt.Sprint(p["parent_id"]) != fmt.Sprint(parent)) {
		p = nil
	}
	if p == nil {
		code := "woocommerce_rest_product_invalid_id"
		if parent != 0 {
			code = "woocommerce_rest_product_variation_invalid_id"
		}
		writeError(w, http.StatusNotFound, code, "Invalid ID.")
	}
	return p
}

func (s *Server) getProduct(w http.ResponseWriter, ids []int64, _ url.Values, _ map[string]any) {
	if p := s.product(w, ids[0], 0); p != nil {
		writeJSON(w, http.StatusOK, p)
	}
}

func (s *Server) getVariation(w http.ResponseWriter, ids []int64, _ url.Values, _ map[string]any) {
	if p := s.product(w, ids[1], ids[0]); p != nil {
		writeJSON(w, http.StatusOK, p)
	}
}

func (s *Server) updateProduct(w http.ResponseWriter, ids []int64, _ url.Values, body map[string]any) {
	if p := s.product(w, ids[0], 0); p != nil {
		s.updateStock(w, p, body)
	}
}

func (s *Server) updateVariation(w http.ResponseWriter, ids []int64, _ url.Values, body map[string]any) {
	if p := s.product(w, ids[1], ids[0]); p != nil {
		s.updateStock(w, p, body)
	}
}

// updateStock sets backorders, manage_stock, stock_quantity and meta_data,
// and the stock_status WooCommerce derives from them.
func (s *Server) updateStock(w http.ResponseWriter, p map[string]any, body map[string]any) {
	if v, ok := body["backorders"]; ok {
		if b, _ := v.(string); b != "no" && b != "notify" && b != "yes" {
			s.badRequest(w, "product %d: backorders %v is not no, notify or yes", idOf(p), v)
			return
		}
		p["backorders"] = v
		p["backorders_allowed"] = v != "no"
	}
	if v, ok := body["manage_stock"]; ok {
		if _, isBool := v.(bool); !isBool {
			s.badRequest(w, "product %d: manage_stock %v is not a boolean", idOf(p), v)
			return
		}
		p["manage_stock"] = v
	}
	if v, ok := body["stock_quantity"]; ok {
		n, isNum := v.(json.Number)
		if _, err := n.Int64(); !isNum || err != nil {
			s.badRequest(w, "product %d: stock_quantity %v is not an integer", idOf(p), v)
			return
		}
		p["stock_quantity"] = n
	}
	if v, ok := body["meta_data"]; ok {
		if err := setMeta(p, v); err != nil {
			s.badRequest(w, "product %d: %v", idOf(p), err)
			return
		}
	}
	if p["manage_stock"] == true {
		n, _ := p["stock_quantity"].(json.Number).Int64()
		switch {
		case n > 0:
			p["stock_status"] = "instock"
		case p["backorders"] != "no":
			p["stock_status"] = "onbackorder"
		default:
			p["stock_status"] = "outofstock"
		}
	}
	s.tick(p)
	writeJSON(w, http.StatusOK, p)
}
