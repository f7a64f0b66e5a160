package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
)

// The servers here are this test's own: tests that stop a server never
// touch the shared ones.

// redisServer is a private redis-server that the test can stop and start
// again on the same address.
type redisServer struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
}

// startRedisServer runs a private redis-server on addr until the test ends.
func startRedisServer(t *testing.T, addr string) *redisServer {
	t.Helper()
	r := &redisServer{t: t, addr: addr}
	r.start()
	t.Cleanup(r.stop)
	return r
}

func (r *redisServer) start() {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		needTool(r.t, "redis-server")
	}
	host, port, _ := net.SplitHostPort(r.addr)
	r.cmd = exec.Command(bin, "--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", r.t.TempDir())
	if err := r.cmd.Start(); err != nil {
		r.t.Fatal(err)
	}
	waitListening(r.t, r.addr)
}

func (r *redisServer) stop() {
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// needTool skips outside CI and fails in CI, where every test must run.
func needTool(t *testing.T, name string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is not installed", name)
	}
	t.Skipf("%s is not installed", name)
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s", addr)
}

// pgServer is a private PostgreSQL cluster, run as the postgres user
// (initdb refuses root), on a port of its own.
type pgServer struct {
	t    *testing.T
	dir  string
	port string
}

func startPostgres(t *testing.T) *pgServer {
	t.Helper()
	initdb := pgTool(t, "initdb")
	pgUser, err := user.Lookup("postgres")
	if err != nil {
		needTool(t, "a postgres user")
	}
	dir, err := os.MkdirTemp("", "backorderd-pg-")
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(pgUser.Uid)
	gid, _ := strconv.Atoi(pgUser.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(freeAddr(t))
	p := &pgServer{t: t, dir: dir, port: port}
	t.Cleanup(func() {
		p.stop()
		_ = os.RemoveAll(dir)
	})
	p.asPostgres(initdb, "-D", filepath.Join(dir, "data"), "-A", "trust", "-U", "postgres", "--no-sync")
	p.start()
	return p
}

func (p *pgServer) url() string {
	return "postgres://postgres@127.0.0.1:" + p.port + "/postgres?sslmode=disable"
}

func (p *pgServer) start() {
	p.asPostgres(pgTool(p.t, "pg_ctl"), "-D", filepath.Join(p.dir, "data"), "-l", filepath.Join(p.dir, "log"), "-w",
		"-o", fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off", p.port, p.dir), "start")
}

func (p *pgServer) stop() {
	if _, err := os.Stat(filepath.Join(p.dir, "data", "postmaster.pid")); err != nil {
		return
	}
	p.asPostgres(pgTool(p.t, "pg_ctl"), "-D", filepath.Join(p.dir, "data"), "-m", "immediate", "-w", "stop")
}

func (p *pgServer) asPostgres(bin string, args ...string) {
	p.t.Helper()
	out, err := exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...).CombinedOutput()
	if err != nil {
		p.t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
}

// pgTool finds a PostgreSQL server program: on the PATH, or in Debian's
// versioned folder.
func pgTool(t *testing.T, name string) string {
	t.Helper()
	if bin, err := exec.LookPath(name); err == nil {
		return bin
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		needTool(t, name)
	}
	return matches[len(matches)-1]
}

// deliver posts the order fixture with a fresh event id and returns the
// answer's status.
func deliver(t *testing.T, addr, eventID string) int {
	t.Helper()
	resp := postFixtureWith(t, addr, "shopify/orders-create", map[string]string{"X-Shopify-Event-Id": eventID})
	return resp.StatusCode
}

func waitInbox(t *testing.T, engine, dsn string, want int, status string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last []store.InboxEntry
	for time.Now().Before(deadline) {
		s, err := store.Open(engine, dsn)
		if err == nil {
			last, err = s.ListInbox(context.Background(), store.InboxFilter{Status: status, Limit: 100})
			_ = s.Close()
			if err == nil && len(last) == want {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("inbox never held %d %s deliveries; last saw %+v", want, status, last)
}

func TestRedisDownDeliveryIsAcceptedAndProcessedWhenItReturns(t *testing.T) {
	t.Chdir(t.TempDir())
	rd := startRedisServer(t, freeAddr(t))
	p := start(t, []string{"run"}, map[string]string{
		"REDIS_URL": "redis://" + rd.addr + "/0", "RELAY_INTERVAL": "1s", "RELAY_AFTER": "0s",
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
	})
	p.waitReady(t)
	rd.stop()
	if code := deliver(t, p.addr, "while-redis-down"); code != http.StatusOK {
		t.Fatalf("delivery with Redis down answered %d, want 200 (the relay enqueues it later)", code)
	}
	waitInbox(t, "sqlite", "backorderd.db", 1, store.InboxAccepted)
	rd.start()
	waitInbox(t, "sqlite", "backorderd.db", 1, store.InboxProcessed)
}

func TestDatabaseDownDeliveryGoesThroughRedisAndBothDownIs503(t *testing.T) {
	pg := startPostgres(t)
	rd := startRedisServer(t, freeAddr(t))
	p := start(t, []string{"run"}, map[string]string{
		"DATABASE_URL": pg.url(), "REDIS_URL": "redis://" + rd.addr + "/0",
		"SHOPIFY_SHOP_DOMAIN": shopDomain, "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
	})
	p.waitReady(t)
	pg.stop()
	if code := deliver(t, p.addr, "while-db-down"); code != http.StatusOK {
		t.Fatalf("delivery with the database down answered %d, want 200 (durable in Redis)", code)
	}
	if !strings.Contains(p.stderr.String(), `"outcome":"spooled"`) {
		t.Fatalf("the delivery was not spooled to Redis:\n%s", p.stderr)
	}
	pg.start()
	waitInbox(t, "postgres", pg.url(), 1, store.InboxProcessed)

	pg.stop()
	rd.stop()
	if code := deliver(t, p.addr, "while-both-down"); code != http.StatusServiceUnavailable {
		t.Fatalf("delivery with both down answered %d, want 503", code)
	}
}
