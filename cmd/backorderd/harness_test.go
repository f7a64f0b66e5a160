package main

// The one test harness of the backorderd command: the process started in
// its own goroutine (start, runFor), real Redis and PostgreSQL servers of
// its own (startRedisServer, startPostgres), the test Redis, and the
// helpers that post signed fixtures and wait for what they cause.

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/jobs/jobstest"
	"github.com/backorderd/backorderd/store"
)

const (
	redisDB       = 4
	shopifySecret = "fixture-secret-shopify-do-not-use"
	shopDomain    = "harbor-kiln-supply.myshopify.com"
)

// testdata is resolved before any test changes the working directory.
var testdata, _ = filepath.Abs(filepath.Join("..", "..", "testdata"))

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// testRedis is the test's own Redis database: an inspector of it, and its
// URL for REDIS_URL.
func testRedis(t *testing.T) (*asynq.Inspector, string) {
	t.Helper()
	rc, opts := jobstest.Redis(t, redisDB)
	return asynq.NewInspectorFromRedisClient(rc), redisURL(opts)
}

func redisURL(opts *redis.Options) string {
	u := url.URL{Scheme: "redis", Host: opts.Addr, Path: fmt.Sprintf("/%d", opts.DB)}
	if opts.Password != "" {
		u.User = url.UserPassword(opts.Username, opts.Password)
	}
	return u.String()
}

// syncBuffer is a log sink the process and the test read concurrently.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// process is backorderd running in this test, through the same run() main
// calls.
type process struct {
	addr   string
	stdout *syncBuffer
	stderr *syncBuffer
	stop   context.CancelFunc
	done   chan error
}

func start(t *testing.T, args []string, env map[string]string) *process {
	t.Helper()
	p := &process{addr: freeAddr(t), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan error, 1)}
	env["HTTP_ADDR"] = p.addr
	env["SHUTDOWN_GRACE"] = "3s"
	ctx, cancel := context.WithCancel(context.Background())
	p.stop = cancel
	go func() { p.done <- run(ctx, args, func(k string) string { return env[k] }, p.stdout, p.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-p.done:
			if err != nil {
				t.Errorf("process exited with %v\n%s", err, p.stderr)
			}
		case <-time.After(15 * time.Second):
			t.Error("process did not stop within 15s")
		}
	})
	return p
}

func (p *process) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			p.done <- err // for the cleanup
			t.Fatalf("process exited: %v\n%s", err, p.stderr)
		default:
		}
		resp, err := http.Get("http://" + p.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not ready within 20s:\n%s", p.stderr)
}

// stopped cancels the process (as SIGTERM does) and returns run's error.
func (p *process) stopped(t *testing.T) error {
	t.Helper()
	p.stop()
	select {
	case err := <-p.done:
		p.done <- err // for the cleanup
		return err
	case <-time.After(15 * time.Second):
		t.Fatal("process did not stop within 15s")
		return nil
	}
}

func postFixture(t *testing.T, addr, name string) *http.Response {
	t.Helper()
	return postFixtureWith(t, addr, name, nil)
}

// postFixtureWith posts a signed fixture with some headers replaced (those
// the signature does not cover).
func postFixtureWith(t *testing.T, addr, name string, override map[string]string) *http.Response {
	t.Helper()
	body, err := os.ReadFile(filepath.Join(testdata, name+".json"))
	if err != nil {
		t.Fatal(err)
	}
	platform := filepath.Base(filepath.Dir(name)) // testdata/PLATFORM/… or testdata/walkthrough/PLATFORM/…
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/webhooks/"+platform, bytes.NewReader(body))
	f, err := os.Open(filepath.Join(testdata, name+".headers"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ": "); ok {
			req.Header.Set(k, v)
		}
	}
	for k, v := range override {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// waitProcessed opens the process's database beside it and waits for the
// one delivery to be processed.
func waitProcessed(t *testing.T, engine, dsn string) {
	t.Helper()
	s, err := store.Open(engine, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		row, err := s.Inbox(context.Background(), 1)
		if err == nil && row.Status == store.InboxProcessed {
			if row.Topic != "orders/create" {
				t.Fatalf("processed row topic = %q", row.Topic)
			}
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("delivery not processed within 20s")
}

// waitBackorder waits for the first backorder to exist.
func waitBackorder(t *testing.T, engine, dsn string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		s, err := store.Open(engine, dsn)
		if err == nil {
			es, err := s.ListBackorders(context.Background(), store.BackorderFilter{Limit: 1})
			_ = s.Close()
			if err == nil && len(es) == 1 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no backorder within 20s")
}

// The servers here are this test's own: tests that stop a server never
// touch the shared ones.

// redisServer is a private redis-server that the test can stop and start
// again on the same address.
type redisServer struct {
	t    *testing.T
	addr string
	cmd  *exec.Cmd
	// dir holds the append-only file, kept across restarts.
	dir string
	// appendOnly turns the AOF on (fsync every second, as in production):
	// a restart keeps what was written more than a second before it.
	appendOnly bool
}

// startRedisServer runs a private redis-server on addr until the test ends.
func startRedisServer(t *testing.T, addr string) *redisServer {
	t.Helper()
	r := &redisServer{t: t, addr: addr, dir: t.TempDir()}
	r.start()
	t.Cleanup(r.stop)
	return r
}

// startRedisAOF runs a private redis-server with its append-only file on,
// on a free address, until the test ends.
func startRedisAOF(t *testing.T) *redisServer {
	t.Helper()
	r := &redisServer{t: t, addr: freeAddr(t), dir: t.TempDir(), appendOnly: true}
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
	aof := "no"
	if r.appendOnly {
		aof = "yes"
	}
	r.cmd = exec.Command(bin, "--bind", host, "--port", port, "--save", "", "--appendonly", aof,
		"--appendfsync", "everysec", "--dir", r.dir)
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

const monitorToken = "monitor-test-token-0123456789"

// pauseIntake asks the monitor to pause the intake queue as a browser
// holding the operator's Basic credentials would, with the given headers.
func pauseIntake(t *testing.T, addr string, headers map[string]string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/monitor/api/queues/intake:pause", strings.NewReader(""))
	req.SetBasicAuth("operator", monitorToken)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// intakePaused reads the queue's state from Redis itself: UnpauseQueue
// fails on a queue that is not paused (and resumes one that is).
func intakePaused(inspector *asynq.Inspector) bool {
	return inspector.UnpauseQueue("intake") == nil
}

const wooURL, wooSecret = "https://larchwood-goods.example/", "fixture-secret-woo-do-not-use"

// heldEmail writes a message held for want of a sender.
func heldEmail(t *testing.T, st *store.Store, shopID int64) int64 {
	ctx := context.Background()
	var id int64
	err := st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		if id, _, err = tx.AddEmail(ctx, store.Email{ShopID: shopID, Kind: "ready", DedupeKey: "k" + strconv.Itoa(int(time.Now().UnixNano())),
			ToEmail: "c@example.net", Subject: "s", TextBody: "t", HTMLBody: "h"}); err != nil {
			return err
		}
		return tx.SetEmailStatus(ctx, id, store.EmailHeld, "", "no sender")
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// shopCLI runs `backorderd shop …` on the embedded SQLite file of the
// working directory.
func shopCLI(args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"shop"}, args...), func(string) string { return "" }, &out, &out)
	return out.String(), err
}

// headerOf reads one header's line from a fixture's .headers file.
func headerOf(t *testing.T, name, header string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(testdata, name+".headers"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, header+": ") {
			return line
		}
	}
	t.Fatalf("%s has no %s", name, header)
	return ""
}

// runFor runs backorderd with env until it returns or the time is up.
func runFor(t *testing.T, limit time.Duration, args []string, env map[string]string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var out syncBuffer
	if _, ok := env["HTTP_ADDR"]; !ok {
		env["HTTP_ADDR"] = freeAddr(t)
	}
	err := run(ctx, args, func(k string) string { return env[k] }, &out, &out)
	if ctx.Err() != nil {
		t.Fatalf("%v still running after %s (it retries what it should refuse):\n%s", args, limit, out.String())
	}
	return out.String(), err
}
