package main

// A deployment of backorderd for the fault tests: its own PostgreSQL and
// Redis servers, a fake SendGrid, `serve` and `work` processes of the built
// binary, and a proxy in front of the serves (as a load balancer would be)
// that records which deliveries were answered 2xx.

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the checks read the cluster's database

	"github.com/backorderd/backorderd/cmd/backorderd/simulate"
)

const (
	faultAdminToken = "fault-test-admin-token-0123456789"
	faultSender     = "shop@harbor-kiln-supply.example"
	// faultGrace is SHUTDOWN_GRACE: a third for in-flight requests.
	faultGrace = 9 * time.Second
)

// cluster is one test's deployment.
type cluster struct {
	t        *testing.T
	pg       *pgServer
	redis    *redisServer
	sendgrid *fakeSendGrid
	proxy    *intakeProxy
	env      map[string]string
	db       *sql.DB

	mu      sync.Mutex
	daemons []*daemon
	started map[string]int
}

// clusterOptions shape a cluster: how many of each role, whether Redis
// keeps an append-only file, and how often the reorder run comes (0: the
// default).
type clusterOptions struct {
	serves, works int
	redisAOF      bool
	reorderEvery  time.Duration
	// productionSettle runs the settle window at its defaults (5 s quiet,
	// 1 min at most) instead of the tests' short one.
	productionSettle bool
}

// newCluster starts the servers, migrates the database, then the serves
// (the first registers the shop) and the works, each ready.
func newCluster(t *testing.T, o clusterOptions) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("a fault test runs a sale against real servers for a minute or more")
	}
	backorderdBinary(t) // build before any server runs: the build is the slow part
	c := &cluster{t: t, pg: startPostgres(t), sendgrid: newFakeSendGrid(t), proxy: newIntakeProxy(t), started: map[string]int{}}
	if o.redisAOF {
		c.redis = startRedisAOF(t)
	} else {
		c.redis = startRedisServer(t, freeAddr(t))
	}
	c.env = map[string]string{
		"DATABASE_URL": c.pg.url(), "REDIS_URL": "redis://" + c.redis.addr + "/0",
		"ADMIN_TOKEN": faultAdminToken, "SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
		"SENDGRID_API_KEY": fakeSendGridKey, "SENDGRID_API_URL": c.sendgrid.srv.URL, "EMAIL_FROM": faultSender,
		// Short settle and relay: a lost task comes back within seconds. A
		// relay pass must finish within RELAY_INTERVAL (its task's timeout),
		// and mid-sale it asks asynq about every row older than RELAY_AFTER.
		"SETTLE_QUIET": "1s", "SETTLE_MAX": "10s", "RELAY_INTERVAL": "5s", "RELAY_AFTER": "3s",
		"SHUTDOWN_GRACE": faultGrace.String(), "LOG_FORMAT": "json", "LOG_LEVEL": "info",
	}
	if o.productionSettle {
		delete(c.env, "SETTLE_QUIET")
		delete(c.env, "SETTLE_MAX")
	}
	if o.reorderEvery > 0 {
		c.env["REORDER_INTERVAL"] = o.reorderEvery.String()
	}
	runOnce(t, c.env, "migrate")
	db, err := sql.Open("pgx", c.pg.url())
	if err != nil {
		t.Fatal(err)
	}
	c.db = db
	t.Cleanup(c.finish)
	for range o.serves {
		c.start("serve")
	}
	for range o.works {
		c.start("work")
	}
	return c
}

// start runs one more process of role and waits until it is ready; a serve
// joins the proxy.
func (c *cluster) start(role string) *daemon {
	c.t.Helper()
	c.mu.Lock()
	c.started[role]++
	name := fmt.Sprintf("%s-%d", role, c.started[role])
	c.mu.Unlock()
	d := startDaemon(c.t, name, role, c.env)
	c.mu.Lock()
	c.daemons = append(c.daemons, d)
	c.mu.Unlock()
	d.waitReady(c.t)
	if role == "serve" {
		c.proxy.add(d.addr)
	}
	return d
}

// process is the running process named name (role-n, n from 1).
func (c *cluster) process(name string) *daemon {
	c.t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range c.daemons {
		if d.name == name {
			return d
		}
	}
	c.t.Fatalf("no process %s", name)
	return nil
}

// active counts the tasks asynq's queues (but the periodic one) hold
// active.
func (c *cluster) active() (int, error) {
	queues, err := c.queues()
	n := 0
	for _, q := range queues {
		n += q.Active
	}
	return n, err
}

// logCount is how many lines of all the processes' logs contain text.
func (c *cluster) logCount(text string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, d := range c.daemons {
		n += d.count(text)
	}
	return n
}

// target is the cluster as the simulator sees it: the proxy.
func (c *cluster) target() simulate.Target {
	return simulate.Target{URL: c.proxy.srv.URL, AdminToken: faultAdminToken, ShopDomain: shopDomain, Secret: shopifySecret}
}

// finish runs after the processes have stopped: it scans their logs and
// PostgreSQL's for lines that mean a bug, and prints the tails of the logs
// when the test failed.
func (c *cluster) finish() {
	_ = c.db.Close()
	c.mu.Lock()
	daemons := append([]*daemon(nil), c.daemons...)
	c.mu.Unlock()
	var bugs []string
	for _, d := range daemons {
		bugs = append(bugs, d.bugs()...)
	}
	pgLog, _ := os.ReadFile(filepath.Join(c.pg.dir, "log"))
	bugs = append(bugs, matchingLines("postgresql", string(pgLog), []string{"deadlock detected"})...)
	if len(bugs) > 0 {
		c.t.Errorf("%d log lines that mean a bug:\n%s", len(bugs), strings.Join(bugs[:min(len(bugs), 20)], "\n"))
	}
	if !c.t.Failed() {
		return
	}
	for _, d := range daemons {
		c.t.Log(d.tail(30))
	}
}
