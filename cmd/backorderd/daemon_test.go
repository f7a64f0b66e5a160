package main

// The backorderd binary run as real OS processes, for the fault tests: a
// process can then be killed with SIGKILL or sent SIGTERM as an operator's
// supervisor would, which the in-process start() cannot do.

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pkgDir is this package's folder, resolved before any test changes the
// working directory: the binary is built from it.
var pkgDir, _ = os.Getwd()

// binary is the backorderd command built once per test run (without
// -race: the fault tests run it as a service, not as the code under the
// race detector).
var binary struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binary.dir != "" {
		_ = os.RemoveAll(binary.dir)
	}
	os.Exit(code)
}

// backorderdBinary builds the command the first time a test asks for it.
func backorderdBinary(t *testing.T) string {
	t.Helper()
	binary.once.Do(func() {
		if binary.dir, binary.err = os.MkdirTemp("", "backorderd-bin-"); binary.err != nil {
			return
		}
		binary.path = filepath.Join(binary.dir, "backorderd")
		cmd := exec.Command("go", "build", "-o", binary.path, ".")
		cmd.Dir = pkgDir
		if out, err := cmd.CombinedOutput(); err != nil {
			binary.err = fmt.Errorf("build backorderd: %w\n%s", err, out)
		}
	})
	if binary.err != nil {
		t.Fatal(binary.err)
	}
	return binary.path
}

// daemon is one backorderd process (serve or work) of a test, its output in
// a log file of the test's own.
type daemon struct {
	name   string
	addr   string
	log    string
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // the exit status, once exited is closed
}

// startDaemon runs `backorderd <role>` with env (only env: nothing of the
// test's own environment leaks in) and HTTP_ADDR on a free port. The
// process is stopped when the test ends, if it still runs.
func startDaemon(t *testing.T, name, role string, env map[string]string) *daemon {
	t.Helper()
	d := &daemon{name: name, addr: freeAddr(t), log: filepath.Join(t.TempDir(), name+".log"), exited: make(chan struct{})}
	f, err := os.Create(d.log)
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(backorderdBinary(t), role)
	d.cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "HTTP_ADDR=" + d.addr}
	for k, v := range env {
		d.cmd.Env = append(d.cmd.Env, k+"="+v)
	}
	d.cmd.Stdout, d.cmd.Stderr = f, f
	if err := d.cmd.Start(); err != nil {
		_ = f.Close()
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		d.err = d.cmd.Wait()
		_ = f.Close()
		close(d.exited)
	}()
	t.Cleanup(func() {
		if !d.running() {
			return
		}
		if _, err := d.terminate(20 * time.Second); err != nil {
			t.Errorf("%s at the test's end: %v", d.name, err)
		}
	})
	return d
}

func (d *daemon) running() bool {
	select {
	case <-d.exited:
		return false
	default:
		return true
	}
}

// waitReady waits for /readyz to answer 200.
func (d *daemon) waitReady(t *testing.T) {
	t.Helper()
	if err := d.ready(60 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// ready waits up to limit for /readyz to answer 200.
func (d *daemon) ready(limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if !d.running() {
			return fmt.Errorf("%s exited before it was ready: %w\n%s", d.name, d.err, d.tail(40))
		}
		resp, err := http.Get("http://" + d.addr + "/readyz")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s not ready within %s:\n%s", d.name, limit, d.tail(40))
}

// kill ends the process with SIGKILL: nothing of it runs after.
func (d *daemon) kill() {
	_ = d.cmd.Process.Kill()
	<-d.exited
}

// killHolding kills a worker, the only one running, while it holds
// tasks: it freezes the process (SIGSTOP), and if asynq's queues have
// tasks active — all this worker's — kills it (SIGKILL); if not, lets it
// run a moment and tries again. It returns how many tasks it held.
func (d *daemon) killHolding(t *testing.T, active func() (int, error)) int {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if err := d.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatalf("stop %s: %v", d.name, err)
		}
		n, err := active()
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			d.kill()
			return n
		}
		if err := d.cmd.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatalf("continue %s: %v", d.name, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s held no task in 30s of the sale", d.name)
	return 0
}

// count is how many lines of the log contain text.
func (d *daemon) count(text string) int {
	return d.countAfter("", text)
}

// countAfter is how many lines of the log after the first containing
// marker contain text.
func (d *daemon) countAfter(marker, text string) int {
	b, _ := os.ReadFile(d.log)
	_, after, _ := strings.Cut(string(b), marker)
	return strings.Count(after, text)
}

// terminate sends SIGTERM and waits up to limit for the process to exit;
// it returns how long the exit took and the exit status (nil for 0).
func (d *daemon) terminate(limit time.Duration) (time.Duration, error) {
	start := time.Now()
	if err := d.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		return 0, fmt.Errorf("signal %s: %w", d.name, err)
	}
	select {
	case <-d.exited:
		return time.Since(start), d.err
	case <-time.After(limit):
		_ = d.cmd.Process.Kill()
		<-d.exited
		return time.Since(start), fmt.Errorf("%s still running %s after SIGTERM: killed", d.name, limit)
	}
}

// tail is the last n lines of the process's log.
func (d *daemon) tail(n int) string {
	b, err := os.ReadFile(d.log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	lines = lines[max(0, len(lines)-n):]
	return fmt.Sprintf("--- %s (%s), last %d lines:\n%s", d.name, d.log, len(lines), strings.Join(lines, "\n"))
}

// bugLines are log texts that mean a bug whatever the fault: a panic (the
// recovery middleware logs it), a runtime crash, a transaction deadlock
// (the lock order says none can happen), a row's task archived (a dead
// letter).
var bugLines = []string{"panic", "fatal error:", "deadlock detected", "40P01", `"archived":true,"err"`}

// bugs lists the lines of the log that contain any of bugLines, but for
// archived periodic tasks: a period missed, which the next one makes up.
func (d *daemon) bugs() []string {
	b, err := os.ReadFile(d.log)
	if err != nil {
		return []string{err.Error()}
	}
	var found []string
	for _, l := range matchingLines(d.name, string(b), bugLines) {
		if !strings.Contains(l, `"type":"periodic:`) {
			found = append(found, l)
		}
	}
	return found
}

func matchingLines(name, text string, needles []string) []string {
	var found []string
	for _, line := range strings.Split(text, "\n") {
		for _, n := range needles {
			if strings.Contains(line, n) {
				found = append(found, name+": "+line)
				break
			}
		}
	}
	return found
}

// runOnce runs a one-shot subcommand (migrate) with env and fails the test
// if it fails or takes over a minute.
func runOnce(t *testing.T, env map[string]string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, backorderdBinary(t), args...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("backorderd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}
