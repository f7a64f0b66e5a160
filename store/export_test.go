package store

import (
	"context"
	"fmt"
	"strings"
)

// Test hooks into the store's unexported parts.

// DemandQueries are HourlyDemand's queries.
func (s *Store) DemandQueries() [2]string { return s.demandQueries() }

// The queries of EmailCounts and MailWaitingForAccount.
const (
	EmailCountsQuery      = emailCounts
	AccountWaitCountQuery = accountWaitCount
)

// QueryPlan is the engine's plan for q run with args, as text: SQLite's
// EXPLAIN QUERY PLAN, PostgreSQL's EXPLAIN with sequential scans off, so
// that it uses an index wherever one serves, whatever the tables' sizes.
func (s *Store) QueryPlan(ctx context.Context, q string, args ...any) (string, error) {
	var plan []string
	err := s.InTx(ctx, func(tx *Tx) error {
		explain := "EXPLAIN QUERY PLAN "
		if s.engine == Postgres {
			explain = "EXPLAIN "
			if _, err := tx.tx.ExecContext(ctx, "SET LOCAL enable_seqscan = off"); err != nil {
				return err
			}
		}
		rows, err := tx.tx.QueryxContext(ctx, tx.tx.Rebind(explain+q), args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			cols, err := rows.SliceScan()
			if err != nil {
				return err
			}
			// The step's text is the last column (SQLite: id, parent,
			// notused, detail).
			switch v := cols[len(cols)-1].(type) {
			case []byte:
				plan = append(plan, string(v))
			default:
				plan = append(plan, fmt.Sprint(v))
			}
		}
		return rows.Err()
	})
	return strings.Join(plan, "\n"), err
}
