package payload

import (
	"reflect"
	"strings"
	"unicode/utf8"
)

// clean makes every string decoded into v storable as text on either
// engine: PostgreSQL refuses the NUL character (a JSON "\u0000") and
// invalid UTF-8 in text, and a delivery that cannot be written would be
// retried until it died. NULs are dropped — they carry nothing a person
// wrote — and invalid UTF-8 (which encoding/json already turns into
// U+FFFD inside JSON strings) becomes U+FFFD. Data is cleaned rather than
// rejected: an order must not be lost to a stray byte in a name.
func clean(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			clean(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				clean(v.Field(i))
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			clean(v.Index(i))
		}
	case reflect.Map:
		for _, k := range v.MapKeys() {
			if e := v.MapIndex(k); e.Kind() == reflect.String {
				v.SetMapIndex(k, reflect.ValueOf(cleanString(e.String())).Convert(e.Type()))
			}
		}
	case reflect.String:
		if v.CanSet() {
			v.SetString(cleanString(v.String()))
		}
	}
}

func cleanString(s string) string {
	if strings.IndexByte(s, 0) < 0 && utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", ""), "\uFFFD")
}
