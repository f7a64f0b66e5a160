// Package payloadtest helps the platforms' decoder tests: it reads the
// signed samples in testdata/ and compares facts, showing what pointers
// point to.
package payloadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// Fixture reads base.json, its exact body bytes, and, where there is a
// base.headers file, its headers (keys in canonical MIME form). base is a
// path relative to the test's package, e.g. ../../testdata/shopify/orders-create.
func Fixture(t testing.TB, base string) (map[string]string, []byte) {
	t.Helper()
	body, err := os.ReadFile(base + ".json")
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	raw, err := os.ReadFile(base + ".headers")
	if errors.Is(err, os.ErrNotExist) {
		return headers, body
	}
	if err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(raw))
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			headers[textproto.CanonicalMIMEHeaderKey(k)] = v
		}
	}
	return headers, body
}

// UTC parses an RFC 3339 time, in UTC; it panics on a bad literal.
func UTC(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

// Int points at n.
func Int(n int) *int { return &n }

// Bool points at b.
func Bool(b bool) *bool { return &b }

// Show renders facts for a message: JSON shows what pointers point to.
func Show(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Sprintf("%+v", v)
	}
	return string(b)
}

// Check reports got against want when they differ.
func Check(t testing.TB, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got %s, want %s", what, Show(got), Show(want))
	}
}
