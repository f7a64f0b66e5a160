// Package redact erases a person's data from recorded deliveries' raw
// bodies, as the privacy requests ask, and tells whether a body is about
// them. It is pure: bodies in, bodies out.
package redact

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Subject names whose personal data to erase from recorded deliveries: one
// customer (by id, email, phone or their orders' ids), or everyone in the
// shop.
type Subject struct {
	All        bool
	CustomerID string
	Email      string
	Phone      string
	OrderIDs   []string
}

// redactedBody stands in for a body that is not JSON and may hold personal
// data: nothing in it can be picked apart safely.
var redactedBody = []byte(`{"redacted":true}`)

// Body erases the personal data of subject from a delivery's raw
// body, keeping everything else (ids, quantities, SKUs): it returns the new
// body and whether anything changed. A body about someone else is returned
// as it is. The signature no longer matches; it was checked on arrival.
func Body(body []byte, s Subject) ([]byte, bool) {
	doc, err := decodeBody(body)
	if err != nil {
		if s.All || s.namedIn(body) {
			return redactedBody, true
		}
		return body, false
	}
	if !s.All && !s.concerns(doc) {
		return body, false
	}
	changed := scrub(doc, false)
	if !changed {
		return body, false
	}
	out, err := json.Marshal(doc)
	if err != nil {
		return redactedBody, true
	}
	return out, true
}

// Mentions reports whether a delivery's raw body is about the subject,
// without changing it: for the count a data document gives.
func Mentions(body []byte, s Subject) bool {
	doc, err := decodeBody(body)
	if err != nil {
		return s.namedIn(body)
	}
	return s.All || s.concerns(doc)
}

func decodeBody(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // ids stay exact
	var doc any
	err := dec.Decode(&doc)
	return doc, err
}

// namedIn reports whether a body that is not JSON names the subject's
// email address.
func (s Subject) namedIn(body []byte) bool {
	return s.Email != "" && bytes.Contains(bytes.ToLower(body), []byte(strings.ToLower(s.Email)))
}

// concerns reports whether a decoded delivery is about the subject: an
// order or refund of theirs, or any object naming their id, email or phone.
func (s Subject) concerns(doc any) bool {
	if top, ok := doc.(map[string]any); ok {
		for _, k := range []string{"id", "order_id"} {
			if v, ok := top[k]; ok && s.isOrder(scalar(v)) {
				return true
			}
		}
	}
	found := false
	walk(doc, func(key string, v any) {
		val := scalar(v)
		switch {
		case val == "":
		case (key == "email" || key == "contact_email") && s.Email != "" && strings.EqualFold(val, s.Email):
			found = true
		case key == "phone" && s.Phone != "" && val == s.Phone:
			found = true
		case key == "customer_id" && s.CustomerID != "" && val == s.CustomerID:
			found = true
		}
	})
	if c, ok := doc.(map[string]any)["customer"].(map[string]any); ok && s.CustomerID != "" && scalar(c["id"]) == s.CustomerID {
		found = true
	}
	return found
}

func (s Subject) isOrder(id string) bool {
	for _, o := range s.OrderIDs {
		if id != "" && o == id {
			return true
		}
	}
	return false
}

// personalKeys hold personal data wherever they appear.
var personalKeys = map[string]bool{
	"email": true, "contact_email": true, "phone": true, "first_name": true, "last_name": true,
	"browser_ip": true, "customer_ip_address": true, "customer_user_agent": true, "note": true,
	"customer_note": true, "landing_site": true, "referring_site": true,
}

// addressKeys hold objects about a person: inside them every string is
// personal (a name, a street, a city), ids and flags aside.
var addressKeys = map[string]bool{
	"customer": true, "billing_address": true, "shipping_address": true, "default_address": true,
	"addresses": true, "billing": true, "shipping": true, "client_details": true, "destination": true,
}

// scrub erases personal values in place; inPerson is set inside an object
// about a person. It reports whether anything changed.
func scrub(v any, inPerson bool) bool {
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			switch {
			case addressKeys[k]:
				changed = scrub(child, true) || changed
			case personalKeys[k] || (inPerson && k != "id" && k != "customer_id" && k != "default"):
				if erased, did := erase(child); did {
					x[k], changed = erased, true
				}
			default:
				changed = scrub(child, inPerson) || changed
			}
		}
	case []any:
		for _, child := range x {
			changed = scrub(child, inPerson) || changed
		}
	}
	return changed
}

// erase blanks a personal value: strings become "", numbers (coordinates)
// null, and objects are scrubbed as about a person.
func erase(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		return "", x != ""
	case json.Number:
		return nil, true
	case map[string]any, []any:
		return x, scrub(x, true)
	}
	return v, false
}

// walk calls fn for every key and value in doc, depth first.
func walk(v any, fn func(key string, v any)) {
	switch x := v.(type) {
	case map[string]any:
		for k, child := range x {
			fn(k, child)
			walk(child, fn)
		}
	case []any:
		for _, child := range x {
			walk(child, fn)
		}
	}
}

// scalar is a string or number value as text, or "".
func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	}
	return ""
}
