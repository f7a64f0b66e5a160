package api

import (
	"bytes"
	"encoding/json"
	"slices"
	"sort"
	"strings"

	"github.com/backorderd/backorderd/store"
)

// What JSON value each shop setting takes in a request: the form GET shows
// it in.
const (
	jsonText   = iota // a string
	jsonDays          // a whole number
	jsonLimit         // a whole number, or null for none
	jsonSwitch        // true or false
	jsonWrites        // a list of store writes (those on), or "all" or "none"
	jsonObject        // an object of strings
)

var settingJSON = map[string]int{
	store.SettingName: jsonText, store.SettingMerchantEmail: jsonText, store.SettingFromEmail: jsonText,
	store.SettingReplyTo: jsonText, store.SettingTimeZone: jsonText, store.SettingBackorderPolicy: jsonText,
	store.SettingIncentive: jsonText, store.SettingReorder: jsonText, store.SettingPOApproval: jsonText,
	store.SettingHandlingDays: jsonDays, store.SettingUpdateCadenceDays: jsonDays,
	store.SettingWaitingCap: jsonLimit, store.SettingMaxWaitDays: jsonLimit,
	store.SettingCustomerNote: jsonSwitch, store.SettingCancelAfterMaxWait: jsonSwitch,
	store.SettingStoreWrites: jsonWrites, store.SettingTemplateIDs: jsonObject,
}

// applySettings sets on shop every setting body names, checked by the
// store's rules (the CLI's), and refuses a field that is neither a setting
// nor one of others: the first error, in the order GET shows the fields,
// is a 422 naming its field.
func applySettings(shop *store.Shop, body map[string]json.RawMessage, others ...string) error {
	for _, name := range store.ShopSettings {
		raw, ok := body[name]
		if !ok {
			continue
		}
		v, err := settingText(settingJSON[name], raw)
		if err == nil {
			err = shop.Set(name, v)
		}
		if err != nil {
			return &FieldError{Field: name, Reason: err.Error()}
		}
	}
	var unknown []string
	for name := range body {
		if !slices.Contains(store.ShopSettings, name) && !slices.Contains(others, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return &FieldError{Field: unknown[0], Reason: "not a field of a shop (settings: " +
			strings.Join(store.ShopSettings, ", ") + ")"}
	}
	return nil
}

// settingText writes a setting's JSON value the way store.Shop.Set reads
// it, or says what JSON the setting takes.
func settingText(kind int, raw json.RawMessage) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return "", errBadRequest("malformed JSON")
	}
	switch v := v.(type) {
	case string:
		if kind == jsonText || (kind == jsonWrites && (v == "all" || v == "none")) {
			return v, nil
		}
	case json.Number:
		if kind == jsonDays || kind == jsonLimit {
			return v.String(), nil
		}
	case nil:
		if kind == jsonLimit {
			return "none", nil
		}
	case bool:
		if kind == jsonSwitch {
			if v {
				return "yes", nil
			}
			return "no", nil
		}
	case []any:
		if kind == jsonWrites {
			return writesText(v)
		}
	case map[string]any:
		if kind == jsonObject {
			return string(raw), nil
		}
	}
	return "", errBadRequest(map[int]string{
		jsonText:   "must be a string",
		jsonDays:   "must be a whole number",
		jsonLimit:  "must be a whole number, or null for none",
		jsonSwitch: "must be true or false",
		jsonWrites: `must be a list of the writes to make (of ` + strings.Join(store.StoreWrites, ", ") + `), or "all" or "none"`,
		jsonObject: `must be an object from email kind to SendGrid template id, for example {"backordered": "d-123"}`,
	}[kind])
}

func writesText(list []any) (string, error) {
	if len(list) == 0 {
		return "none", nil
	}
	names := make([]string, len(list))
	for i, w := range list {
		name, ok := w.(string)
		if !ok {
			return "", errBadRequest("must be a list of strings")
		}
		names[i] = name
	}
	return strings.Join(names, ","), nil
}
