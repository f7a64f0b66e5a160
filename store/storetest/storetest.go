// Package storetest gives tests a fresh, migrated store on every engine the
// machine has: SQLite always, PostgreSQL when TEST_DATABASE_URL is set. Each
// store is isolated: its own SQLite file, or its own PostgreSQL schema,
// dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
	_ "modernc.org/sqlite"             // the "sqlite" driver

	"github.com/backorderd/backorderd/store"
)

// Engines lists the engines to run store tests on here.
func Engines() []store.Engine {
	if os.Getenv("TEST_DATABASE_URL") != "" {
		return []store.Engine{store.SQLite, store.Postgres}
	}
	return []store.Engine{store.SQLite}
}

// Each runs fn as a subtest on a fresh store of every engine in Engines.
func Each(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	for _, e := range Engines() {
		t.Run(string(e), func(t *testing.T) { fn(t, New(t, e)) })
	}
}

// New opens a fresh, migrated store on engine, closed and removed when the
// test ends.
func New(t testing.TB, engine store.Engine) *store.Store {
	t.Helper()
	s, _ := NewWithDump(t, engine)
	return s
}

// DSN makes an empty database for engine and returns the engine name and the
// data source name store.Open takes: a SQLite file in the test's temporary
// folder, or a PostgreSQL URL whose search_path is a new schema.
func DSN(t testing.TB, engine store.Engine) (string, string) {
	t.Helper()
	if engine == store.SQLite {
		return string(store.SQLite), filepath.Join(t.TempDir(), "test.db")
	}
	base := os.Getenv("TEST_DATABASE_URL")
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL is not set: no PostgreSQL test may skip in CI")
		}
		t.Skip("TEST_DATABASE_URL is not set")
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "test_" + hex.EncodeToString(b[:])
	// A connection only for the moment it is needed: tests make many
	// schemas, and PostgreSQL allows a hundred clients.
	exec := func(stmt string) error {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return err
		}
		defer admin.Close()
		_, err = admin.ExecContext(context.Background(), stmt)
		return err
	}
	if err := exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() { _ = exec(`DROP SCHEMA ` + schema + ` CASCADE`) })
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return string(store.Postgres), u.String()
}

// NewWithDump is New, plus a function that returns every row of every table
// of that store as text, for tests that must show some data is nowhere.
func NewWithDump(t testing.TB, engine store.Engine) (*store.Store, func() string) {
	t.Helper()
	engineName, dsn := DSN(t, engine)
	s, err := store.Open(engineName, dsn)
	if err != nil {
		t.Fatalf("open %s store: %v", engine, err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate %s store: %v", engine, err)
	}
	return s, func() string { return dump(t, engine, dsn) }
}

func dump(t testing.TB, engine store.Engine, dsn string) string {
	t.Helper()
	driver, list := "sqlite", `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`
	if engine == store.Postgres {
		driver, list = "pgx", `SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()`
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	tables, err := queryStrings(ctx, db, list)
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var b strings.Builder
	for _, table := range tables {
		if err := dumpTable(ctx, db, table, &b); err != nil {
			t.Fatalf("dump %s: %v", table, err)
		}
	}
	return b.String()
}

// dumpTable writes every row of table to b, a line each.
func dumpTable(ctx context.Context, db *sql.DB, table string, b *strings.Builder) error {
	rows, err := db.QueryContext(ctx, `SELECT * FROM `+table) //nolint:gosec // table names come from the catalogue
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		fmt.Fprintf(b, "%s:", table)
		for _, v := range vals {
			if raw, ok := v.([]byte); ok {
				v = string(raw)
			}
			fmt.Fprintf(b, " %v", v)
		}
		b.WriteString("\n")
	}
	return rows.Err()
}

func queryStrings(ctx context.Context, db *sql.DB, q string) ([]string, error) {
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}
