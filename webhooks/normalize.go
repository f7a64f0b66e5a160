package webhooks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/store"
)

// RejectError is a signed delivery that cannot be used (not JSON, lacks
// required fields). Retrying cannot fix it: the store sends the same bytes
// again, so the job records the reason for an operator instead of retrying.
type RejectError struct{ Reason string }

// Error returns the reason.
func (e *RejectError) Error() string { return e.Reason }

// rejectf is a RejectError whose reason starts with the topic, so an
// operator reading it knows which kind of delivery it was.
func rejectf(topic, format string, args ...any) *RejectError {
	return &RejectError{Reason: topic + ": " + fmt.Sprintf(format, args...)}
}

// delivery is what a topic's decoder reads.
type delivery struct {
	topic string
	body  []byte
	// seq is Shopify's X-Shopify-Triggered-At in nanoseconds: it orders
	// states that share updated_at's whole second. 0 when absent.
	seq int64
	// arrival versions WooCommerce states: they are built at sending, so
	// arrival order (the inbox id) is their order.
	arrival backorder.Version
}

// decoders are the topics backorderd acts on, per platform: the one list,
// so that what is subscribed and what is decoded cannot drift apart.
var decoders = map[store.Platform]map[string]func(delivery) (backorder.Facts, error){
	store.Shopify: {
		"orders/create":              shopifyOrder,
		"orders/updated":             shopifyOrder,
		"orders/cancelled":           shopifyOrder,
		"orders/fulfilled":           shopifyOrder,
		"orders/partially_fulfilled": shopifyOrder,
		"orders/paid":                shopifyOrder,
		"orders/edited":              shopifyOrderEdit,
		"refunds/create":             shopifyRefund,
		"inventory_levels/update":    shopifyLevel,
		"products/create":            shopifyProduct,
		"products/update":            shopifyProduct,
		"customers/data_request":     shopifyCustomerPrivacy,
		"customers/redact":           shopifyCustomerPrivacy,
		"shop/redact":                shopifyShopRedact,
		"app/uninstalled":            shopifyUninstalled,
	},
	store.WooCommerce: {
		"order.created":    wooOrder,
		"order.updated":    wooOrder,
		"order.restored":   wooOrder,
		"order.deleted":    wooOrderDeleted,
		"product.created":  wooProduct,
		"product.updated":  wooProduct,
		"product.restored": wooProduct,
		"product.deleted":  wooProductDeleted,
	},
}

// Handled reports whether backorderd acts on this topic of platform
// ("shopify" or "woocommerce").
func Handled(platform store.Platform, topic string) bool {
	return decoders[platform][topic] != nil
}

// Normalize turns a verified delivery into the domain's facts. headers are
// the delivery's kept headers in canonical MIME form; receivedAt and
// inboxID order WooCommerce deliveries, whose payloads carry no usable
// version of their own. Bad input is a *RejectError.
func Normalize(platform store.Platform, topic string, headers map[string]string, body []byte, receivedAt time.Time, inboxID int64) (backorder.Facts, error) {
	decoder := decoders[platform][topic]
	if decoder == nil {
		return backorder.Facts{}, rejectf(topic, "topic is not handled for platform %q", platform)
	}
	d := delivery{topic: topic, body: body, arrival: backorder.Version{At: receivedAt.UTC(), Seq: inboxID}}
	// Only Shopify sends it; unparsable is as good as absent.
	if t, err := time.Parse(time.RFC3339Nano, headers["X-Shopify-Triggered-At"]); err == nil {
		d.seq = t.UnixNano()
	}
	return decoder(d)
}

// decode unmarshals a body that must be a JSON object into v, turning the
// decoder's errors into reasons an operator can act on.
func decode(topic string, body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if err := json.Unmarshal(body, new(json.RawMessage)); err != nil {
		return rejectf(topic, "body is not JSON: %v", err)
	}
	if body[0] != '{' {
		return rejectf(topic, "body is not a JSON object")
	}
	err := json.Unmarshal(body, v)
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		return rejectf(topic, "field %s holds JSON %s, want %s", typeErr.Field, typeErr.Value, describe(typeErr.Type))
	}
	if err != nil {
		return rejectf(topic, "body cannot be read: %v", err)
	}
	return nil
}

// describe names a Go type the way a person reading a payload would.
func describe(t reflect.Type) string {
	if t == reflect.TypeFor[jsonID]() {
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

// jsonID is a store's resource id as a decimal string. Shopify's ids run up
// to 2^53, which a float64 would still hold, but decoding the literal
// digits keeps them exact whatever their size; a JSON string of digits is
// accepted too. null, absent or 0 is "": WooCommerce says "none" with 0
// (variation_id, parent_id, a guest's customer_id), and neither store
// gives a real resource the id 0.
type jsonID string

// UnmarshalJSON accepts a JSON integer or a string of decimal digits.
func (id *jsonID) UnmarshalJSON(b []byte) error {
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
		return &json.UnmarshalTypeError{Value: value, Type: reflect.TypeFor[jsonID]()}
	}
	*id = jsonID(strings.TrimLeft(s, "0"))
	return nil
}

// parseTime parses an optional time field with one of layouts; "" is the
// zero time. An unparsable value is a RejectError: it would misorder the
// resource's states.
func parseTime(topic, field, s string, layouts ...string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, rejectf(topic, "%s %q is not a time in the form %s", field, s, layouts[0])
}

// knownWord reads a store's word for a yes/no setting from words; a word
// not there (a newer or plugin value) says nothing: nil.
func knownWord(words map[string]bool, word string) *bool {
	if b, ok := words[word]; ok {
		return &b
	}
	return nil
}

// clamp bounds n to [lo, hi].
func clamp(n, lo, hi int) int {
	return max(lo, min(n, hi))
}
