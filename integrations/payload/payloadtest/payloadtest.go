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
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// Fixture reads base.json, its exact body bytes, and, where there is a
// base.headers file, its headers (keys in canonical MIME form). base is a
// path relative to the test's package, e.g. ../../testdata/shopify/orders-create.
func Fixture(t testing.TB, base string) (map[string]string, []byte) {
	t.Helper()
	body, err := os.ReadFile(base + ".json") //nolint:gosec // a fixture the test names
	if err != nil {
		t.Fatal(err)
	}
	headers := map[string]string{}
	raw, err := os.ReadFile(base + ".headers") //nolint:gosec // a fixture the test names
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

// Normalized is normalize's facts for d, which must not be rejected.
func Normalized(t testing.TB, normalize func(payload.Delivery) (backorder.Facts, error), d payload.Delivery) backorder.Facts {
	t.Helper()
	facts, err := normalize(d)
	if err != nil {
		t.Fatalf("Normalize(%s): got error %v, want none", d.Topic, err)
	}
	return facts
}

// Covered fails for every *.json under root/dir, for each of dirs, that
// covered (keyed "dir/name.json") lacks: it keeps a test's fixture cases in
// step with testdata.
func Covered(t testing.TB, root string, dirs []string, covered map[string]bool) {
	t.Helper()
	for _, dir := range dirs {
		files, err := filepath.Glob(filepath.Join(root, dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if name := dir + "/" + filepath.Base(f); !covered[name] {
				t.Errorf("fixture %s: got no case, want one", name)
			}
		}
	}
}

// Rejected fails unless err is a *payload.RejectError whose reason
// contains reason.
func Rejected(t testing.TB, facts backorder.Facts, err error, reason string) {
	t.Helper()
	var reject *payload.RejectError
	if !errors.As(err, &reject) {
		t.Fatalf("error: got %v (%T) with facts %s, want a *payload.RejectError", err, err, Show(facts))
	}
	if !strings.Contains(reject.Reason, reason) {
		t.Errorf("reason: got %q, want it to contain %q", reject.Reason, reason)
	}
}
