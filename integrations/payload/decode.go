// Package payload holds what the stores' payload decoders share: the
// delivery they read, RejectError for signed input that cannot be used,
// strict JSON decoding with reasons an operator can read, store ids and
// times, and the HMAC check both stores sign with. It knows no platform.
package payload

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// RejectError is a signed delivery that cannot be used (not JSON, lacks
// required fields). Retrying cannot fix it: the store sends the same bytes
// again, so the job records the reason for an operator instead of retrying.
type RejectError struct{ Reason string }

// Error returns the reason.
func (e *RejectError) Error() string { return e.Reason }

// Rejectf is a RejectError whose reason starts with the topic, so an
// operator reading it knows which kind of delivery it was.
func Rejectf(topic, format string, args ...any) *RejectError {
	return &RejectError{Reason: topic + ": " + fmt.Sprintf(format, args...)}
}

// Delivery is a verified, recorded delivery as a platform's decoders read
// it.
type Delivery struct {
	// Shop is the domain (or store URL) the shop is registered with: a
	// body that names a shop must name this one.
	Shop  string
	Topic string
	// Headers are the delivery's kept headers, keys in canonical MIME form.
	Headers map[string]string
	Body    []byte
	// ReceivedAt and InboxID order deliveries whose payloads carry no
	// usable version of their own.
	ReceivedAt time.Time
	InboxID    int64
}

// Decode unmarshals a body that must be a JSON object into v, turning the
// decoder's errors into reasons an operator can act on, and cleans every
// string it decoded so that it can be stored (see clean).
func Decode(topic string, body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
		return Rejectf(topic, "body is not JSON: %v", err)
	}
	if body[0] != '{' {
		return Rejectf(topic, "body is not a JSON object")
	}
	err := json.Unmarshal(body, v)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return Rejectf(topic, "field %s holds JSON %s, want %s", typeErr.Field, typeErr.Value, describe(typeErr.Type))
	}
	if err != nil {
		return Rejectf(topic, "body cannot be read: %v", err)
	}
	clean(reflect.ValueOf(v))
	return nil
}

// describe names a Go type the way a person reading a payload would.
func describe(t reflect.Type) string {
	if t == reflect.TypeFor[ID]() {
		return "a whole-number id"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "a whole number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return t.String()
}

// ID is a store's resource id as a decimal string. Shopify's ids run up
// to 2^53, which a float64 would still hold, but decoding the literal
// digits keeps them exact whatever their size; a JSON string of digits is
// accepted too. null, absent or 0 is "": WooCommerce says "none" with 0
// (variation_id, parent_id, a guest's customer_id), and neither store
// gives a real resource the id 0.
type ID string

// UnmarshalJSON accepts a JSON integer or a string of decimal digits.
func (id *ID) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" {
		return nil
	}
	if strings.HasPrefix(s, `"`) {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	}
	if strings.Trim(s, "0123456789") != "" {
		// A type error gets the field's path added by the decoder.
		value := string(b)
		if len(value) > 40 {
			value = value[:40] + "…"
		}
		return &json.UnmarshalTypeError{Value: value, Type: reflect.TypeFor[ID]()}
	}
	*id = ID(strings.TrimLeft(s, "0"))
	return nil
}

// ParseTime parses an optional time field with one of layouts; "" is the
// zero time. An unparsable value is a RejectError: it would misorder the
// resource's states.
func ParseTime(topic, field, s string, layouts ...string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, Rejectf(topic, "%s %q is not a time in the form %s", field, s, layouts[0])
}

// KnownWord reads a store's word for a yes/no setting from words; a word
// not there (a newer or plugin value) says nothing: nil.
func KnownWord(words map[string]bool, word string) *bool {
	if b, ok := words[word]; ok {
		return &b
	}
	return nil
}

// Clamp bounds n to [lo, hi].
func Clamp(n, lo, hi int) int {
	return max(lo, min(n, hi))
}
