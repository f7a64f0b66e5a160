package store

import (
	"context"
	"fmt"
	"time"
)

// Operator actions on a backorder, as operator_actions spells them.
const (
	ActionCancel     = "cancel"
	ActionPrioritize = "prioritize"
)

// EventPrioritized is the trail's entry of an operator's prioritizing (an
// operator's cancellation's is the status it moves to, cancelled).
const EventPrioritized = "prioritized"

// OperatorAction is one thing an operator did to a backorder: who (the
// admin token, or a login's name), what, why and when.
type OperatorAction struct {
	ID          int64     `db:"id"`
	ShopID      int64     `db:"shop_id"`
	BackorderID int64     `db:"backorder_id"`
	Action      string    `db:"action"`
	Actor       string    `db:"actor"`
	Reason      string    `db:"reason"`
	CreatedAt   time.Time `db:"created_at"`
}

// OperatorActionFilter selects operator actions. Zero values select all.
type OperatorActionFilter struct {
	ShopID      int64  `db:"shop_id"`
	BackorderID int64  `db:"backorder_id"`
	Action      string `db:"action"`
	Before      int64  `db:"before"`
	Limit       int    `db:"limit"`
}

// BackorderForAction reads one backorder in the transaction, for an
// operator's action on it; callers lock its item's ledger first and read it
// again (docs/architecture.md, "Lock order").
func (tx *Tx) BackorderForAction(ctx context.Context, id int64) (BackorderEntry, error) {
	var b BackorderEntry
	if err := tx.tx.GetContext(ctx, &b, tx.tx.Rebind(backorderSelect+` WHERE b.id = ?`), id); err != nil {
		return BackorderEntry{}, fmt.Errorf("backorder %d: %w", id, translate(err))
	}
	return b, nil
}

// LockOrder holds a shop's order row until the transaction ends: two
// operators' cancellations of lines of one order, whose items' ledgers
// differ, run one after the other, so that the second sees what the first
// left of the order. Orders come before item ledgers in the lock order
// (docs/architecture.md).
func (tx *Tx) LockOrder(ctx context.Context, shopID int64, orderID string) error {
	q := `SELECT order_id FROM orders WHERE shop_id = ? AND order_id = ?` + tx.store.forUpdate()
	var id string
	if err := tx.tx.GetContext(ctx, &id, tx.tx.Rebind(q), shopID, orderID); err != nil {
		return fmt.Errorf("lock order %s: %w", orderID, translate(err))
	}
	return nil
}

// WithdrawBackorder cancels a backorder's waiting units at `at`: they wait
// no more (withdrawn, for the reconcile to release) and it is cancelled.
// Its allocated units stay its own.
func (tx *Tx) WithdrawBackorder(ctx context.Context, id int64, at time.Time) error {
	const q = `UPDATE backorders SET withdrawn = waiting, withdrawn_at = ?, waiting = 0, status = 'cancelled',
		updated_at = ? WHERE id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), at.UTC(), tx.store.nowUTC(), id); err != nil {
		return fmt.Errorf("cancel backorder %d: %w", id, translate(err))
	}
	return nil
}

// PrioritizeBackorder moves a backorder to the front of its item's queue,
// as of `at`.
func (tx *Tx) PrioritizeBackorder(ctx context.Context, id int64, at time.Time) error {
	const q = `UPDATE backorders SET prioritized_at = ?, updated_at = ? WHERE id = ?`
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), at.UTC(), tx.store.nowUTC(), id); err != nil {
		return fmt.Errorf("prioritize backorder %d: %w", id, translate(err))
	}
	return nil
}

// AddOperatorAction records an operator's action on a backorder, and the
// entry of the backorder's trail that says what it did (kind, with the
// quantity it concerned), caused by the operator.
func (tx *Tx) AddOperatorAction(ctx context.Context, a OperatorAction, e EventWrite) (OperatorAction, error) {
	const q = `INSERT INTO operator_actions (shop_id, backorder_id, action, actor, reason, created_at)
	VALUES (?, ?, ?, ?, ?, ?) RETURNING id, shop_id, backorder_id, action, actor, reason, created_at`
	const event = `INSERT INTO backorder_events (backorder_id, kind, quantity, detail, cause, created_at)
	VALUES (?, ?, ?, ?, ?, ?)`
	now := tx.store.nowUTC()
	var out OperatorAction
	if err := tx.tx.GetContext(ctx, &out, tx.tx.Rebind(q), a.ShopID, a.BackorderID, a.Action, a.Actor, a.Reason, now); err != nil {
		return OperatorAction{}, fmt.Errorf("record %s of backorder %d: %w", a.Action, a.BackorderID, translate(err))
	}
	cause := "operator:" + a.Actor
	if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(event), a.BackorderID, e.Kind, e.Quantity, e.Detail, cause, now); err != nil {
		return OperatorAction{}, fmt.Errorf("audit backorder %d: %w", a.BackorderID, translate(err))
	}
	return out, nil
}

// OperatorActions lists operators' actions matching f, newest first.
func (s *Store) OperatorActions(ctx context.Context, f OperatorActionFilter) ([]OperatorAction, error) {
	const q = `SELECT id, shop_id, backorder_id, action, actor, reason, created_at FROM operator_actions
	WHERE (:shop_id = 0 OR shop_id = :shop_id) AND (:backorder_id = 0 OR backorder_id = :backorder_id)
		AND (:action = '' OR action = :action) AND (:before = 0 OR id < :before)
	ORDER BY id DESC LIMIT :limit`
	var as []OperatorAction
	if err := s.selectNamed(ctx, &as, q, f); err != nil {
		return nil, fmt.Errorf("list operator actions: %w", err)
	}
	return as, nil
}

// OrderUnitsToShip counts the units an order still has to ship: the open
// units of its lines in the store, less those an operator cancelled. 0
// means cancelling its backorders left nothing of it: the whole order is
// cancelled.
func (tx *Tx) OrderUnitsToShip(ctx context.Context, shopID int64, orderID string) (int, error) {
	const q = `SELECT COALESCE(SUM(CASE WHEN l.open_units > COALESCE(b.withdrawn, 0)
		THEN l.open_units - COALESCE(b.withdrawn, 0) ELSE 0 END), 0)
	FROM order_lines l
	JOIN orders o ON o.shop_id = l.shop_id AND o.order_id = l.order_id
	LEFT JOIN backorders b ON b.shop_id = l.shop_id AND b.order_id = l.order_id AND b.line_id = l.line_id
	WHERE l.shop_id = ? AND l.order_id = ? AND o.status = 'open'`
	var n int
	if err := tx.tx.GetContext(ctx, &n, tx.tx.Rebind(q), shopID, orderID); err != nil {
		return 0, fmt.Errorf("units of order %s to ship: %w", orderID, translate(err))
	}
	return n, nil
}

// redactOperatorReasons erases the reasons operators gave for their actions
// on the backorders of the orders `where` selects (free text that may name
// the customer), in operator_actions and in the backorders' trails; who
// acted, what and when stay.
func (tx *Tx) redactOperatorReasons(ctx context.Context, shopID int64, where string, args []any) error {
	sub := `SELECT b.id FROM backorders b WHERE b.shop_id = ? AND b.order_id IN (SELECT order_id FROM orders WHERE ` + where + `)`
	qs := []string{
		`UPDATE operator_actions SET reason = '' WHERE reason <> '' AND backorder_id IN (` + sub + `)`,
		`UPDATE backorder_events SET detail = '' WHERE cause LIKE 'operator:%' AND detail <> '' AND backorder_id IN (` + sub + `)`,
	}
	for _, q := range qs {
		if _, err := tx.tx.ExecContext(ctx, tx.tx.Rebind(q), append([]any{shopID}, args...)...); err != nil {
			return fmt.Errorf("redact operators' reasons: %w", translate(err))
		}
	}
	return nil
}

// OrderOperatorAction is an operator's action on a backorder of an order,
// for the customer's data document.
type OrderOperatorAction struct {
	OrderID   string    `db:"order_id"`
	LineID    string    `db:"line_id"`
	Action    string    `db:"action"`
	Reason    string    `db:"reason"`
	CreatedAt time.Time `db:"created_at"`
}

// OrdersOperatorActions lists the operators' actions on the backorders of
// a shop's orders, oldest first.
func (tx *Tx) OrdersOperatorActions(ctx context.Context, shopID int64, orderIDs []string) ([]OrderOperatorAction, error) {
	if len(orderIDs) == 0 {
		return nil, nil
	}
	const q = `SELECT b.order_id, b.line_id, a.action, a.reason, a.created_at
	FROM operator_actions a JOIN backorders b ON b.id = a.backorder_id
	WHERE b.shop_id = :shop_id AND b.order_id IN (:order_ids) ORDER BY a.id`
	var as []OrderOperatorAction
	arg := map[string]any{"shop_id": shopID, "order_ids": orderIDs}
	if err := tx.selectNamed(ctx, &as, q, arg); err != nil {
		return nil, fmt.Errorf("operator actions of orders: %w", err)
	}
	return as, nil
}
