package woocommercetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// orderStatuses are WooCommerce's order statuses.
var orderStatuses = map[string]string{
	"pending": "Pending payment", "processing": "Processing", "on-hold": "On hold", "completed": "Completed",
	"cancelled": "Cancelled", "refunded": "Refunded", "failed": "Failed", "checkout-draft": "Draft",
}

// AddOrder seeds an order from its REST JSON (a webhook fixture will do):
// it must have an id and line_items; status defaults to processing,
// total to "0.00", and missing dates to the store's clock.
func (s *Server) AddOrder(body string) int64 {
	s.t.Helper()
	obj := s.seed(body)
	for k, v := range map[string]any{"status": "processing", "total": "0.00", "refunds": []any{}, "meta_data": []any{}, "line_items": []any{}} {
		if obj[k] == nil {
			obj[k] = v
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders[idOf(obj)] = obj
	return idOf(obj)
}

// seed decodes a seeded object, gives it an id and dates if it lacks them.
func (s *Server) seed(body string) map[string]any {
	s.t.Helper()
	obj, err := decodeObject([]byte(body))
	if err != nil {
		s.t.Fatalf("woocommercetest: seed: %v", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id := idOf(obj)
	if id == 0 {
		s.nextID++
		id = s.nextID
		obj["id"] = json.Number(fmt.Sprint(id))
	}
	s.nextID = max(s.nextID, id)
	for _, f := range []string{"date_created", "date_modified"} {
		if obj[f+"_gmt"] == nil {
			stamp(obj, f, s.clock)
		}
	}
	return obj
}

// Order is the order as the store now holds it (a copy); nil if none.
func (s *Server) Order(id int64) map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.orders[id]; o != nil {
		return clone(o)
	}
	return nil
}

// Notes are the order's notes, oldest first.
func (s *Server) Notes(orderID int64) []Note {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Note(nil), s.notes[orderID]...)
}

func (s *Server) listOrders(w http.ResponseWriter, _ []int64, q url.Values, _ map[string]any) {
	objs := make([]map[string]any, 0, len(s.orders))
	for _, o := range s.orders {
		objs = append(objs, o)
	}
	s.page(w, q, objs)
}

// order finds the order or answers 404 as WooCommerce does.
func (s *Server) order(w http.ResponseWriter, id int64) map[string]any {
	o := s.orders[id]
	if o == nil {
		writeError(w, http.StatusNotFound, "woocommerce_rest_shop_order_invalid_id", "Invalid ID.")
	}
	return o
}

func (s *Server) getOrder(w http.ResponseWriter, ids []int64, _ url.Values, _ map[string]any) {
	if o := s.order(w, ids[0]); o != nil {
		writeJSON(w, http.StatusOK, o)
	}
}

// updateOrder sets status (adding WooCommerce's own note of the change)
// and meta_data.
func (s *Server) updateOrder(w http.ResponseWriter, ids []int64, _ url.Values, body map[string]any) {
	o := s.order(w, ids[0])
	if o == nil {
		return
	}
	if st, ok := body["status"]; ok {
		to, _ := st.(string)
		if orderStatuses[to] == "" {
			s.badRequest(w, "PUT orders/%d: status %v is not an order status", ids[0], st)
			return
		}
		if from := o["status"].(string); from != to {
			s.addNote(ids[0], fmt.Sprintf("Order status changed from %s to %s.", orderStatuses[from], orderStatuses[to]), false, false)
		}
		o["status"] = to
	}
	if meta, ok := body["meta_data"]; ok {
		if err := setMeta(o, meta); err != nil {
			s.badRequest(w, "PUT orders/%d: %v", ids[0], err)
			return
		}
	}
	s.tick(o)
	writeJSON(w, http.StatusOK, o)
}

func (s *Server) addNote(orderID int64, text string, customer, byUser bool) Note {
	s.nextID++
	n := Note{ID: s.nextID, Note: text, CustomerNote: customer, AddedByUser: byUser}
	s.notes[orderID] = append(s.notes[orderID], n)
	return n
}

func noteJSON(n Note) map[string]any {
	return map[string]any{"id": n.ID, "author": "backorderd", "note": n.Note, "customer_note": n.CustomerNote, "added_by_user": n.AddedByUser}
}

// listNotes answers every note, newest first (the endpoint does not page).
func (s *Server) listNotes(w http.ResponseWriter, ids []int64, _ url.Values, _ map[string]any) {
	if s.order(w, ids[0]) == nil {
		return
	}
	notes := s.notes[ids[0]]
	out := make([]map[string]any, 0, len(notes))
	for i := len(notes) - 1; i >= 0; i-- {
		out = append(out, noteJSON(notes[i]))
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createNote(w http.ResponseWriter, ids []int64, _ url.Values, body map[string]any) {
	if s.order(w, ids[0]) == nil {
		return
	}
	text, ok := body["note"].(string)
	customer, okc := body["customer_note"].(bool)
	if !ok || text == "" || body["customer_note"] != nil && !okc {
		s.badRequest(w, "POST orders/%d/notes: note must be a non-empty string and customer_note a boolean: %v", ids[0], body)
		return
	}
	writeJSON(w, http.StatusCreated, noteJSON(s.addNote(ids[0], text, customer, true)))
}

// createRefund records a refund of amount (a decimal string, as the schema
// says: a JSON number is refused) no larger than what is left; an order
// refunded in full becomes refunded, as wc_create_refund does.
func (s *Server) createRefund(w http.ResponseWriter, ids []int64, _ url.Values, body map[string]any) {
	o := s.order(w, ids[0])
	if o == nil {
		return
	}
	amt, ok := body["amount"].(string)
	if !ok {
		s.badRequest(w, "POST orders/%d/refunds: amount %v (%T) is not a string", ids[0], body["amount"], body["amount"])
		return
	}
	if _, ok := body["api_refund"].(bool); body["api_refund"] != nil && !ok {
		s.badRequest(w, "POST orders/%d/refunds: api_refund is not a boolean", ids[0])
		return
	}
	want, err := cents(amt)
	if err != nil || want <= 0 {
		s.badRequest(w, "POST orders/%d/refunds: amount %q: not a positive decimal", ids[0], amt)
		return
	}
	left, _ := cents(fmt.Sprint(o["total"]))
	refunds, _ := o["refunds"].([]any)
	for _, r := range refunds {
		t, _ := cents(fmt.Sprint(r.(map[string]any)["total"]))
		left += t
	}
	if want > left {
		writeError(w, http.StatusInternalServerError, "woocommerce_rest_cannot_create_order_refund", "Invalid refund amount.")
		return
	}
	s.nextID++
	reason, _ := body["reason"].(string)
	o["refunds"] = append(refunds, map[string]any{"id": json.Number(fmt.Sprint(s.nextID)), "reason": reason, "total": "-" + strings.TrimPrefix(amt, "+")})
	if want == left {
		o["status"] = "refunded"
	}
	s.tick(o)
	writeJSON(w, http.StatusCreated, map[string]any{"id": s.nextID, "amount": amt, "reason": reason})
}

// setMeta applies meta_data entries {key, value} as WC_Data does: a key
// is updated in place or added, and a null value deletes it.
func setMeta(obj map[string]any, meta any) error {
	entries, ok := meta.([]any)
	if !ok {
		return fmt.Errorf("meta_data is not an array")
	}
	current, _ := obj["meta_data"].([]any)
	for _, e := range entries {
		m, ok := e.(map[string]any)
		key, okk := m["key"].(string)
		if !ok || !okk || key == "" {
			return fmt.Errorf("meta_data entry %v has no key", e)
		}
		for k := range m {
			if k != "key" && k != "value" && k != "id" {
				return fmt.Errorf("meta_data entry field %q is not known", k)
			}
		}
		i := -1
		for j, c := range current {
			if c.(map[string]any)["key"] == key {
				i = j
			}
		}
		switch {
		case m["value"] == nil && i >= 0:
			current = append(current[:i], current[i+1:]...)
		case m["value"] == nil:
		case i >= 0:
			current[i].(map[string]any)["value"] = m["value"]
		default:
			current = append(current, map[string]any{"id": json.Number("1"), "key": key, "value": m["value"]})
		}
	}
	obj["meta_data"] = current
	return nil
}

// cents reads a decimal string with at most two decimals as cents.
func cents(s string) (int64, error) {
	var whole, frac int64
	neg := strings.HasPrefix(s, "-")
	w, f, _ := strings.Cut(strings.TrimLeft(s, "+-"), ".")
	if len(f) > 2 {
		return 0, fmt.Errorf("amount %q has more than two decimals", s)
	}
	f += strings.Repeat("0", 2-len(f))
	if _, err := fmt.Sscan(w, &whole); err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if _, err := fmt.Sscan(f, &frac); err != nil {
		return 0, fmt.Errorf("amount %q: %w", s, err)
	}
	if neg {
		return -(whole*100 + frac), nil
	}
	return whole*100 + frac, nil
}
