package main

// What every fault test checks once its sale is over: nothing stuck (the
// inbox, the outbox, asynq's queues), every email accepted by SendGrid
// once, every delivery answered 2xx recorded.

import (
	"context"
	"database/sql"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/hibiken/asynq"

	"github.com/backorderd/backorderd/jobs"
)

// backlog is what is unfinished: inbox and outbox rows by status, and the
// asynq queues (but the periodic one) holding active, pending, retrying or
// archived tasks.
type backlog struct {
	inbox, outbox map[string]int
	queues        []string
}

func (b backlog) empty() bool {
	return b.inbox["accepted"]+b.inbox["failed"]+b.outbox["pending"]+b.outbox["failed"] == 0 && len(b.queues) == 0
}

func (b backlog) String() string {
	return fmt.Sprintf("inbox %v, outbox %v, queues [%s]", b.inbox, b.outbox, strings.Join(b.queues, "; "))
}

// backlog reads the database and Redis once.
func (c *cluster) backlog(ctx context.Context) (backlog, error) {
	var b backlog
	var err error
	if b.inbox, err = countByStatus(ctx, c.db, "inbox"); err != nil {
		return b, err
	}
	if b.outbox, err = countByStatus(ctx, c.db, "outbox"); err != nil {
		return b, err
	}
	queues, err := c.queues()
	if err != nil {
		return b, err
	}
	for _, info := range queues {
		if info.Active+info.Pending+info.Retry+info.Archived > 0 {
			b.queues = append(b.queues, fmt.Sprintf("%s: %d active, %d pending, %d retry, %d archived",
				info.Queue, info.Active, info.Pending, info.Retry, info.Archived))
		}
	}
	return b, nil
}

// queues reads asynq's queues but the periodic one: its tasks are no
// rows, a new one comes every period, and a period missed (a run failed
// while a server was down) is made up by the next, while asynq retries
// the missed one past its deadline for minutes before archiving it.
func (c *cluster) queues() ([]*asynq.QueueInfo, error) {
	inspector := asynq.NewInspector(asynq.RedisClientOpt{Addr: c.redis.addr})
	defer inspector.Close()
	names, err := inspector.Queues()
	if err != nil {
		return nil, fmt.Errorf("list queues: %w", err)
	}
	sort.Strings(names)
	var infos []*asynq.QueueInfo
	for _, q := range names {
		if q == jobs.QueuePeriodic {
			continue
		}
		info, err := inspector.GetQueueInfo(q)
		if err != nil {
			return nil, fmt.Errorf("read queue %s: %w", q, err)
		}
		infos = append(infos, info)
	}
	return infos, nil
}

// countByStatus counts the rows of table (inbox or outbox) per status.
func countByStatus(ctx context.Context, db *sql.DB, table string) (map[string]int, error) {
	rows, err := db.QueryContext(ctx, "SELECT status, count(*) FROM "+table+" GROUP BY status")
	if err != nil {
		return nil, fmt.Errorf("count %s: %w", table, err)
	}
	defer rows.Close()
	counts := map[string]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, fmt.Errorf("count %s: %w", table, err)
		}
		counts[status] = n
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("count %s: %w", table, err)
	}
	return counts, nil
}

// waitQuiet waits up to limit for the backlog to be empty: inbox all
// processed or rejected, outbox all done, asynq's queues drained. It
// returns how long that took.
func (c *cluster) waitQuiet(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var last backlog
	var err error
	said := start
	for {
		if last, err = c.backlog(ctx); err == nil && last.empty() {
			return time.Since(start)
		}
		if time.Since(said) > 20*time.Second {
			t.Logf("after %s still unfinished: %s", time.Since(start).Round(time.Second), last)
			said = time.Now()
		}
		select {
		case <-ctx.Done():
			t.Fatalf("still unfinished after %s: %s (last error: %v)", limit, last, err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// checkEmailsOnce checks every email row against the fake SendGrid: each
// sent and accepted exactly once — more than once only for a row whose
// attempt had an unknown outcome, which backorderd counts (a rare
// duplicate beats a loss) — and nothing accepted that is not a row. It
// returns how many rows there are.
func (c *cluster) checkEmailsOnce(t *testing.T) int {
	t.Helper()
	accepted, _, problems := c.sendgrid.seen()
	for _, p := range problems {
		t.Errorf("SendGrid was sent a bad request: %s", p)
	}
	rows, err := c.db.Query("SELECT id, kind, status, reason, unknown_outcomes FROM emails ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, kinds := 0, map[string]int{}
	for rows.Next() {
		var id int64
		var kind, status, reason string
		var unknown int
		if err := rows.Scan(&id, &kind, &status, &reason, &unknown); err != nil {
			t.Fatal(err)
		}
		n++
		kinds[kind]++
		switch got := accepted[id]; {
		case status != "sent":
			t.Errorf("email %d (%s) is %s (%s), want sent", id, kind, status, reason)
		case got == 0:
			t.Errorf("email %d (%s) is sent but SendGrid never accepted it", id, kind)
		case got > 1 && unknown == 0:
			t.Errorf("email %d (%s) accepted %d times, with no unknown outcome to explain it", id, kind, got)
		case got > 1:
			t.Logf("email %d (%s) accepted %d times after %d unknown outcomes (counted)", id, kind, got, unknown)
		}
		delete(accepted, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	for id := range accepted {
		t.Errorf("SendGrid accepted email %d, which is no row", id)
	}
	t.Logf("emails by kind: %v", kinds)
	return n
}

// checkAnsweredRecorded checks that every delivery a serve answered 2xx
// is an inbox row.
func (c *cluster) checkAnsweredRecorded(t *testing.T) {
	t.Helper()
	rows, err := c.db.Query("SELECT dedupe_key FROM inbox")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			t.Fatal(err)
		}
		have[k] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	var lost []string
	answered := c.proxy.answeredKeys()
	for _, k := range answered {
		if !have[k] {
			lost = append(lost, k)
		}
	}
	if len(lost) > 0 {
		sort.Strings(lost)
		t.Errorf("%d of %d deliveries answered 2xx are not in the inbox, e.g. %v", len(lost), len(answered), lost[:min(5, len(lost))])
	}
}
