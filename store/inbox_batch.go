package store

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Recorded is what became of one delivery of a batch.
type Recorded struct {
	ID int64
	// Duplicate says the shop already had the delivery's dedupe key,
	// recorded before or earlier in the same batch: the original's
	// duplicates count went up and ID is the original's.
	Duplicate bool
	// Err says this delivery alone could not be recorded: the database
	// refused it, not the batch.
	Err error
}

// RecordDeliveries records ds together, as RecordDelivery would one by
// one, and says what became of each, in the order given: on PostgreSQL one
// multi-row statement, on SQLite one transaction. A dedupe key that comes
// more than once is recorded once, the first time, and the others count as
// its duplicates. When the database refuses the batch for what one delivery
// holds (its server answered), each is recorded on its own, so that only
// that one fails; an error means none was recorded (the database did not
// answer).
func (s *Store) RecordDeliveries(ctx context.Context, ds []Delivery) ([]Recorded, error) {
	groups, err := groupDeliveries(ds)
	if err != nil {
		return nil, err
	}
	if s.engine == Postgres {
		err = s.recordPostgres(ctx, groups)
	} else {
		err = s.recordSQLite(ctx, groups)
	}
	if err != nil {
		if len(ds) > 1 && refused(err) {
			return s.recordEach(ctx, ds), nil
		}
		return nil, fmt.Errorf("record deliveries: %w", err)
	}
	out := make([]Recorded, len(ds))
	for _, g := range groups {
		for i, at := range g.at {
			out[at] = Recorded{ID: g.id, Duplicate: g.existed || i > 0}
		}
	}
	return out, nil
}

// inboxGroup is one dedupe key of a batch.
type inboxGroup struct {
	d       Delivery
	headers string
	at      []int // where the key comes in the batch; the first is recorded
	id      int64
	existed bool // the key was recorded before the batch
}

// inboxKey names a delivery within the inbox.
type inboxKey struct {
	shop  int64
	dedup string
}

// groupDeliveries gathers ds by (shop, dedupe key), sorted by it: two
// batches that share keys then take their row locks in the same order and
// cannot deadlock.
func groupDeliveries(ds []Delivery) ([]*inboxGroup, error) {
	byKey := make(map[inboxKey]*inboxGroup, len(ds))
	groups := make([]*inboxGroup, 0, len(ds))
	for i, d := range ds {
		k := inboxKey{d.ShopID, d.DedupeKey}
		if g, ok := byKey[k]; ok {
			g.at = append(g.at, i)
			continue
		}
		headers, err := json.Marshal(d.Headers)
		if err != nil {
			return nil, fmt.Errorf("encode headers: %w", err)
		}
		g := &inboxGroup{d: d, headers: string(headers), at: []int{i}}
		byKey[k] = g
		groups = append(groups, g)
	}
	slices.SortFunc(groups, func(a, b *inboxGroup) int {
		return cmp.Or(cmp.Compare(a.d.ShopID, b.d.ShopID), strings.Compare(a.d.DedupeKey, b.d.DedupeKey))
	})
	return groups, nil
}

// recordPostgres inserts every group in one statement; a key the shop has
// gets its duplicates counted instead. xmax is 0 only in a row the
// statement inserted. The bodies travel as one bytea that each row slices
// (offset, length): as an array of bytea, the driver grew its buffer by
// doubling across every body of the batch, and that garbage — three times
// the bodies' size — set how often the receiver collected it.
func (s *Store) recordPostgres(ctx context.Context, groups []*inboxGroup) error {
	const q = `INSERT INTO inbox (shop_id, topic, dedupe_key, headers, body, status, received_at, duplicates)
	SELECT v.shop_id, v.topic, v.dedupe_key, v.headers, substring($9::bytea FROM v.body_at + 1 FOR v.body_len),
		'accepted', v.received_at, v.duplicates
	FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::int[], $6::int[], $7::timestamptz[], $8::int[])
		AS v(shop_id, topic, dedupe_key, headers, body_at, body_len, received_at, duplicates)
	ON CONFLICT (shop_id, dedupe_key) DO UPDATE SET duplicates = inbox.duplicates + excluded.duplicates + 1
	RETURNING id, shop_id, dedupe_key, xmax <> 0 AS existed`
	n := len(groups)
	shops, dups := make([]int64, n), make([]int32, n)
	topics, keys, headers := make([]string, n), make([]string, n), make([]string, n)
	bodyAt, bodyLen, received := make([]int32, n), make([]int32, n), make([]time.Time, n)
	size := 0
	for _, g := range groups {
		size += len(g.d.Body)
	}
	bodies := make([]byte, 0, size)
	byKey := make(map[inboxKey]*inboxGroup, n)
	for i, g := range groups {
		shops[i], topics[i], keys[i], headers[i] = g.d.ShopID, g.d.Topic, g.d.DedupeKey, g.headers
		//nolint:gosec // a batch is small: MaxBatch bodies of at most the receiver's limit each
		bodyAt[i], bodyLen[i] = int32(len(bodies)), int32(len(g.d.Body))
		bodies = append(bodies, g.d.Body...)
		received[i], dups[i] = g.d.ReceivedAt.UTC(), int32(len(g.at)-1) //nolint:gosec // a batch is small
		byKey[inboxKey{g.d.ShopID, g.d.DedupeKey}] = g
	}
	rows, err := s.db.QueryxContext(ctx, q, shops, topics, keys, headers, bodyAt, bodyLen, received, dups, bodies)
	if err != nil {
		return translate(err)
	}
	defer rows.Close() //nolint:errcheck // closeRows reports the error
	found := 0
	for rows.Next() {
		var r struct {
			ID        int64  `db:"id"`
			ShopID    int64  `db:"shop_id"`
			DedupeKey string `db:"dedupe_key"`
			Existed   bool   `db:"existed"`
		}
		if err := rows.StructScan(&r); err != nil {
			return translate(err)
		}
		if g := byKey[inboxKey{r.ShopID, r.DedupeKey}]; g != nil {
			g.id, g.existed = r.ID, r.Existed
			found++
		}
	}
	if err := closeRows(rows); err != nil {
		return err
	}
	if found != n {
		return fmt.Errorf("inbox returned %d of %d deliveries", found, n)
	}
	return nil
}

// recordSQLite records every group in one transaction: one writer, one
// commit, statements that cost no round trip.
func (s *Store) recordSQLite(ctx context.Context, groups []*inboxGroup) error {
	return s.InTx(ctx, func(tx *Tx) error {
		for _, g := range groups {
			id, existed, err := recordOne(ctx, tx.tx, g.d, g.headers, len(g.at)-1)
			if err != nil {
				return err
			}
			g.id, g.existed = id, existed
		}
		return nil
	})
}

// recordEach records ds one by one, each with its own outcome.
func (s *Store) recordEach(ctx context.Context, ds []Delivery) []Recorded {
	out := make([]Recorded, len(ds))
	for i, d := range ds {
		id, dup, err := s.RecordDelivery(ctx, d)
		out[i] = Recorded{ID: id, Duplicate: dup, Err: err}
	}
	return out
}

// refused says whether the database answered err about the statement
// itself (what it was given), rather than failing to answer: then a delivery
// of the batch may be at fault, and the others can be recorded without it.
func refused(err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// 08: connection; 53: resources; 57: operator intervention.
		return !strings.HasPrefix(pgErr.Code, "08") && !strings.HasPrefix(pgErr.Code, "53") &&
			!strings.HasPrefix(pgErr.Code, "57")
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		code := liteErr.Code() & 0xff
		return code != sqlite3.SQLITE_BUSY && code != sqlite3.SQLITE_FULL && code != sqlite3.SQLITE_IOERR
	}
	return false
}
