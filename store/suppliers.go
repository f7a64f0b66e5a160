package store

import (
	"context"
	"fmt"
	"time"
)

// Supplier is a company purchase orders are sent to; suppliers are shared
// by every shop.
type Supplier struct {
	ID    int64  `db:"id"`
	Name  string `db:"name"`
	Email string `db:"email"`
	// Channel is how purchase orders reach the supplier: ChannelEmail or
	// ChannelHTTP (a signed JSON POST to URL).
	Channel string `db:"channel"`
	URL     string `db:"url"`
	// Secret signs what the supplier is POSTed and verifies what it answers.
	Secret       string    `db:"secret"`
	LeadTimeDays int       `db:"lead_time_days"`
	Currency     string    `db:"currency"`
	CreatedAt    time.Time `db:"created_at"`
	UpdatedAt    time.Time `db:"updated_at"`
}

// The channels a supplier is sent purchase orders through.
const (
	ChannelEmail = "email"
	ChannelHTTP  = "http"
)

const supplierColumns = `id, name, email, channel, url, secret, lead_time_days, currency, created_at, updated_at`

// AddSupplier registers a supplier (currency USD when none is given);
// ErrDuplicate when one has its name.
func (s *Store) AddSupplier(ctx context.Context, sp Supplier) (Supplier, error) {
	const q = `INSERT INTO suppliers (name, email, channel, url, secret, lead_time_days, currency, created_at, updated_at)
	VALUES (:name, :email, :channel, :url, :secret, :lead_time_days, :currency, :created_at, :updated_at)
	RETURNING id`
	sp = withSupplierDefaults(sp)
	sp.CreatedAt = s.nowUTC()
	sp.UpdatedAt = sp.CreatedAt
	stmt, args, err := s.db.BindNamed(q, sp)
	if err != nil {
		return Supplier{}, fmt.Errorf("bind add supplier: %w", err)
	}
	if err := s.db.QueryRowxContext(ctx, stmt, args...).Scan(&sp.ID); err != nil {
		return Supplier{}, fmt.Errorf("add supplier %q: %w", sp.Name, translate(err))
	}
	return sp, nil
}

// UpdateSupplier writes every field of sp (found by its ID); ErrNotFound
// when there is none, ErrDuplicate when another supplier has its name.
func (s *Store) UpdateSupplier(ctx context.Context, sp Supplier) (Supplier, error) {
	const q = `UPDATE suppliers SET name = :name, email = :email, channel = :channel, url = :url, secret = :secret,
		lead_time_days = :lead_time_days, currency = :currency, updated_at = :updated_at
	WHERE id = :id`
	sp = withSupplierDefaults(sp)
	sp.UpdatedAt = s.nowUTC()
	res, err := s.db.NamedExecContext(ctx, q, sp)
	if err != nil {
		return Supplier{}, fmt.Errorf("update supplier %d: %w", sp.ID, translate(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return Supplier{}, fmt.Errorf("update supplier %d: %w", sp.ID, ErrNotFound)
	}
	return s.Supplier(ctx, sp.ID)
}

// Supplier reads one supplier.
func (s *Store) Supplier(ctx context.Context, id int64) (Supplier, error) {
	const q = `SELECT ` + supplierColumns + ` FROM suppliers WHERE id = ?`
	var sp Supplier
	if err := s.db.GetContext(ctx, &sp, s.db.Rebind(q), id); err != nil {
		return Supplier{}, fmt.Errorf("supplier %d: %w", id, translate(err))
	}
	return sp, nil
}

// Supplier reads one supplier inside the transaction.
func (tx *Tx) Supplier(ctx context.Context, id int64) (Supplier, error) {
	const q = `SELECT ` + supplierColumns + ` FROM suppliers WHERE id = ?`
	var sp Supplier
	if err := tx.tx.GetContext(ctx, &sp, tx.tx.Rebind(q), id); err != nil {
		return Supplier{}, fmt.Errorf("supplier %d: %w", id, translate(err))
	}
	return sp, nil
}

// Suppliers lists up to limit suppliers with ids above afterID, oldest
// first.
func (s *Store) Suppliers(ctx context.Context, afterID int64, limit int) ([]Supplier, error) {
	const q = `SELECT ` + supplierColumns + ` FROM suppliers WHERE id > ? ORDER BY id LIMIT ?`
	var sps []Supplier
	if err := s.db.SelectContext(ctx, &sps, s.db.Rebind(q), afterID, limit); err != nil {
		return nil, fmt.Errorf("list suppliers: %w", translate(err))
	}
	return sps, nil
}

// ImportSuppliers adds the suppliers or, for a name that exists, updates
// it (keeping its secret when sp.Secret is empty), and returns them as
// stored, in the order given. The caller's transaction makes a file's rows
// all or nothing.
func (tx *Tx) ImportSuppliers(ctx context.Context, sps []Supplier) ([]Supplier, error) {
	const q = `INSERT INTO suppliers (name, email, channel, url, secret, lead_time_days, currency, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (name) DO UPDATE SET email = excluded.email, channel = excluded.channel, url = excluded.url,
		secret = CASE WHEN excluded.secret = '' THEN suppliers.secret ELSE excluded.secret END,
		lead_time_days = excluded.lead_time_days, currency = excluded.currency, updated_at = excluded.updated_at
	RETURNING ` + supplierColumns
	now := tx.store.nowUTC()
	out := make([]Supplier, len(sps))
	for i, sp := range sps {
		sp = withSupplierDefaults(sp)
		if err := tx.tx.QueryRowxContext(ctx, tx.tx.Rebind(q), sp.Name, sp.Email, sp.Channel, sp.URL, sp.Secret,
			sp.LeadTimeDays, sp.Currency, now, now).StructScan(&out[i]); err != nil {
			return nil, fmt.Errorf("import supplier %q: %w", sp.Name, translate(err))
		}
	}
	return out, nil
}

func withSupplierDefaults(sp Supplier) Supplier {
	if sp.Currency == "" {
		sp.Currency = "USD"
	}
	return sp
}
