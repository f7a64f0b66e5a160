package main

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestAMalformedDatabaseURLStopsStartupWithinASecond(t *testing.T) {
	t.Chdir(t.TempDir())
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, url string }{
		{"unknown sslmode", "postgres://postgres@127.0.0.1:5432/test?sslmode=bogus"},
		{"sqlite file in a missing directory", "sqlite:/no/such/dir/x.db"},
		{"sqlite file under a file", "sqlite:" + filepath.Join(notADir, "x.db")},
		{"sqlite path that is a directory", "sqlite:" + t.TempDir()},
	}
	if raw := os.Getenv("TEST_DATABASE_URL"); raw != "" {
		// The server answers, and says there is no such database: waiting
		// will not create it.
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		u.Path = "/no_such_database_for_backorderd"
		tests = append(tests, struct{ name, url string }{"database that does not exist", u.String()})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, cmd := range []string{"run", "migrate"} {
				start := time.Now()
				out, err := runFor(t, 5*time.Second, []string{cmd}, map[string]string{"DATABASE_URL": tt.url})
				if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
					t.Errorf("%s = %v, want an error naming DATABASE_URL\n%s", cmd, err, out)
				}
				if d := time.Since(start); d > time.Second {
					t.Errorf("%s took %s to refuse, want under a second", cmd, d)
				}
			}
		})
	}
}

func TestMigrateAndShopSayWhichDatabaseTheyWroteTo(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	want := filepath.Join(dir, "backorderd.db")
	out, err := runFor(t, 10*time.Second, []string{"migrate"}, map[string]string{})
	if err != nil || !strings.Contains(out, want) {
		t.Errorf("migrate = %v, said %q; want it to name %s", err, out, want)
	}
	out, err = runFor(t, 10*time.Second, []string{"shop", "add", "--platform", "shopify", "--domain", shopDomain,
		"--secret", "s1"}, map[string]string{})
	if err != nil || !strings.Contains(out, want) {
		t.Errorf("shop add = %v, said %q; want it to name %s", err, out, want)
	}
	var buf bytes.Buffer
	if err := run(context.Background(), []string{"shop", "list"}, func(string) string { return "" }, &buf, &buf); err != nil ||
		!strings.Contains(buf.String(), want) {
		t.Errorf("shop list = %v, said %q; want it to name %s", err, buf.String(), want)
	}
}
