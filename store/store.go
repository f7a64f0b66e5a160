// Package store keeps backorderd's records in SQLite (the embedded default)
// or PostgreSQL (production) through sqlx: shops, the inbox of deliveries and
// the outbox of tasks, the facts the stores report, backorders and emails. It
// holds the SQL and the embedded migrations of each engine, runs
// transactions, and translates driver errors into ErrNotFound and
// ErrDuplicate. It makes no decisions.
//
// Each table's queries live in the file named for it (orders.go holds the
// order's lines and refunds too, backorders.go their audit trail); a query
// that joins several tables lives with its main subject. This file, migrate.go
// and retry.go hold what every table shares.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"github.com/jmoiron/sqlx"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Engine names a database engine.
type Engine string

// The engines the store runs on.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

var (
	// ErrNotFound is returned when the row asked for does not exist.
	ErrNotFound = errors.New("not found")
	// ErrDuplicate is returned when a row breaks a unique constraint.
	ErrDuplicate = errors.New("duplicate")
)

// Store is the database. Its methods are safe for concurrent use.
type Store struct {
	db      *sqlx.DB
	engine  Engine
	now     func() time.Time
	retries retryCounts
}

// Open connects to engine ("sqlite" or "postgres") at dsn: a file path for
// SQLite, a URL for PostgreSQL. It does not wait for a PostgreSQL server that
// is down: the pool connects on first use, so callers can retry.
func Open(engine, dsn string) (*Store, error) {
	switch Engine(engine) {
	case SQLite:
		return openSQLite(dsn)
	case Postgres:
		return openPostgres(dsn)
	default:
		return nil, fmt.Errorf("open store: unknown engine %q", engine)
	}
}

func openSQLite(path string) (*Store, error) {
	// One writer, WAL for readers beside it, immediate transactions so that
	// two writers queue on busy_timeout instead of failing on upgrade, and
	// times stored in a form that sorts as text.
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	q.Set("_time_format", "sqlite")
	db, err := sqlx.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return &Store{db: db, engine: SQLite, now: time.Now}, nil
}

func openPostgres(dsn string) (*Store, error) {
	u, err := url.Parse(dsn)
	if err != nil {
		return nil, errors.New("open postgres: DATABASE_URL is not a valid URL")
	}
	// libpq waits forever for a connection by default; a receiver has
	// seconds. Callers may still set their own.
	q := u.Query()
	if q.Get("connect_timeout") == "" {
		q.Set("connect_timeout", "3")
		u.RawQuery = q.Encode()
	}
	db, err := sqlx.Open("pgx", u.String())
	if err != nil {
		return nil, fmt.Errorf("open postgres: %w", err)
	}
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	db.SetConnMaxIdleTime(5 * time.Minute)
	return &Store{db: db, engine: Postgres, now: time.Now}, nil
}

// Engine tells which engine the store runs on.
func (s *Store) Engine() Engine { return s.engine }

// Close closes the connection pool.
func (s *Store) Close() error { return s.db.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.engine, err)
	}
	return nil
}

// SetClock replaces the clock the store stamps rows with; tests use it.
func (s *Store) SetClock(now func() time.Time) { s.now = now }

// nowUTC is the time rows are stamped with, to the microsecond that
// PostgreSQL keeps, so that both engines give back what they were given.
func (s *Store) nowUTC() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Tx is one database transaction. Methods that must run inside the same
// transaction as another change hang off Tx.
type Tx struct {
	tx    *sqlx.Tx
	store *Store
	after []func()
}

// AfterCommit registers fn to run once the transaction has committed:
// counters and log lines that must say what happened, not what was tried.
// An attempt that rolls back, or is run again after a transient error,
// drops its fns. They run on InTx's goroutine, in the order registered,
// before InTx returns; they must not block.
func (tx *Tx) AfterCommit(fn func()) {
	tx.after = append(tx.after, fn)
}

// InTx runs fn in one transaction: committed when fn returns nil, rolled back
// otherwise. The commit's own error is returned. A transaction that failed on
// a transient database error — a deadlock, a serialization failure, a lost
// connection — is run again, fn and all, within about a second (see
// retry.go): fn must be safe to run again, keeping nothing of a failed
// attempt.
func (s *Store) InTx(ctx context.Context, fn func(tx *Tx) error) error {
	for attempt := 0; ; attempt++ {
		committing, err := s.inTxOnce(ctx, fn)
		cause := transient(err, committing)
		if cause == "" || attempt >= len(retryDelays) {
			return err
		}
		s.retries.count(cause)
		if !sleep(ctx, jitter(retryDelays[attempt])) {
			return err
		}
	}
}

// inTxOnce is one attempt of InTx; committing says whether err came from the
// commit, whose outcome a lost connection leaves unknown.
func (s *Store) inTxOnce(ctx context.Context, fn func(tx *Tx) error) (committing bool, err error) {
	sqltx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("begin: %w", translate(err))
	}
	defer func() {
		if err != nil && !committing {
			_ = sqltx.Rollback() // the error that made us roll back is the one to report
		}
	}()
	tx := &Tx{tx: sqltx, store: s}
	if err = fn(tx); err != nil {
		return false, err
	}
	committing = true
	if err = sqltx.Commit(); err != nil {
		return true, fmt.Errorf("commit: %w", translate(err))
	}
	for _, f := range tx.after {
		f()
	}
	return true, nil
}

// ExecContext runs a statement in the transaction; tests use it to build
// effects of their own inside a job's transaction.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	res, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(query), args...)
	return res, translate(err)
}

// selectNamed runs q, written with :name parameters, bound from arg (a
// struct with db tags or a map) in the engine's placeholder style, and
// scans every row into dest. An optional filter reads `(:shop_id = 0 OR
// shop_id = :shop_id)`: one name, however often the query uses it.
func (s *Store) selectNamed(ctx context.Context, dest any, q string, arg any) error {
	bound, args, err := s.db.BindNamed(q, arg)
	if err != nil {
		return fmt.Errorf("bind: %w", err)
	}
	return translate(s.db.SelectContext(ctx, dest, bound, args...))
}

// selectNamedIn is selectNamed for a query that binds a slice to a name
// written `IN (:name)`: the slice is expanded to its elements (it must not
// be empty).
func (s *Store) selectNamedIn(ctx context.Context, dest any, q string, arg any) error {
	bound, args, err := bindNamedIn(q, arg, s.db.Rebind)
	if err != nil {
		return err
	}
	return translate(s.db.SelectContext(ctx, dest, bound, args...))
}

// selectNamed is Store.selectNamed inside the transaction; a slice bound
// to a name written `IN (:name)` is expanded to its elements.
func (tx *Tx) selectNamed(ctx context.Context, dest any, q string, arg any) error {
	bound, args, err := bindNamedIn(q, arg, tx.tx.Rebind)
	if err != nil {
		return err
	}
	return translate(tx.tx.SelectContext(ctx, dest, bound, args...))
}

// bindNamedIn binds arg's fields to q's names, expands a slice bound to
// `IN (:name)`, and rebinds the placeholders for the engine.
func bindNamedIn(q string, arg any, rebind func(string) string) (string, []any, error) {
	named, args, err := sqlx.Named(q, arg)
	if err != nil {
		return "", nil, fmt.Errorf("bind: %w", err)
	}
	expanded, args, err := sqlx.In(named, args...)
	if err != nil {
		return "", nil, fmt.Errorf("bind: %w", err)
	}
	return rebind(expanded), args, nil
}

// forUpdate is the row-lock clause: PostgreSQL locks the row; SQLite's
// immediate transactions already hold the one write lock.
func (s *Store) forUpdate() string {
	if s.engine == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// translate maps driver errors onto the store's sentinels.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" {
		return fmt.Errorf("%w: %s", ErrDuplicate, pgErr.ConstraintName)
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code()
		if code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return fmt.Errorf("%w: %s", ErrDuplicate, liteErr.Error())
		}
	}
	return err
}

// newer is the condition under which an upsert replaces a row's state: the
// incoming version (excluded) is after the stored one.
const newer = `(%[1]s.state_at < excluded.state_at OR (%[1]s.state_at = excluded.state_at AND %[1]s.state_seq < excluded.state_seq))`

func (tx *Tx) upsertVersioned(ctx context.Context, what, q string, args ...any) (bool, error) {
	rows, err := tx.tx.QueryxContext(ctx, tx.tx.Rebind(q), args...)
	if err != nil {
		return false, fmt.Errorf("apply %s: %w", what, translate(err))
	}
	applied := rows.Next()
	if err := closeRows(rows); err != nil {
		return false, fmt.Errorf("apply %s: %w", what, err)
	}
	return applied, nil
}

func closeRows(rows *sqlx.Rows) error {
	if err := rows.Err(); err != nil {
		_ = rows.Close()
		return translate(err)
	}
	return translate(rows.Close())
}

// aggTime scans a time that an aggregate returns: PostgreSQL keeps its
// type, SQLite gives back the text it stored.
type aggTime time.Time

// Scan implements sql.Scanner.
func (t *aggTime) Scan(v any) error {
	switch x := v.(type) {
	case time.Time:
		*t = aggTime(x.UTC())
		return nil
	case string:
		return t.parse(x)
	case []byte:
		return t.parse(string(x))
	}
	return fmt.Errorf("scan %T as a time", v)
}

func (t *aggTime) parse(s string) error {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05"} {
		if p, err := time.Parse(layout, s); err == nil {
			*t = aggTime(p.UTC())
			return nil
		}
	}
	return fmt.Errorf("scan %q as a time", s)
}
