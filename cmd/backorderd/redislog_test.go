package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRedisClientLinesAreJSONAndAtMostOnePerKindPerInterval(t *testing.T) {
	var out bytes.Buffer
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	l := newRedisLog(slog.New(slog.NewJSONHandler(&out, nil)), 30*time.Second)
	l.now = func() time.Time { return now }
	const dial = "redis: %s: connection pool: failed to dial after %d attempts: %v"
	// Two lines a second for a minute, as go-redis writes them with Redis down,
	// and one of another kind.
	for i := range 120 {
		l.Printf(context.Background(), dial, "127.0.0.1:6379", 5, "dial tcp 127.0.0.1:6379: connect: connection refused")
		if i == 60 {
			l.Printf(context.Background(), "redis: discarding bad PubSub connection: %v", "EOF")
		}
		now = now.Add(500 * time.Millisecond)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("got %d lines, want 3 (the first dial failure, one 30 s later, the other kind):\n%s", len(lines), out.String())
	}
	var suppressed float64
	for _, line := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("line is not JSON: %s", line)
		}
		if rec["level"] != "WARN" || rec["msg"] != "redis client" {
			t.Errorf("line = %s, want a WARN \"redis client\"", line)
		}
		if n, ok := rec["suppressed"].(float64); ok {
			suppressed += n
		}
	}
	if !strings.Contains(lines[0], "connection refused") {
		t.Errorf("first line lost the detail: %s", lines[0])
	}
	if suppressed != 59 {
		t.Errorf("suppressed counts add up to %v, want the 59 dial failures not shown in the first 30 s", suppressed)
	}
}

func TestTheMasterSentinelNamesIsInfoAndAFailingSentinelAWarning(t *testing.T) {
	var out bytes.Buffer
	l := newRedisLog(slog.New(slog.NewJSONHandler(&out, nil)), 30*time.Second)
	l.Printf(context.Background(), "sentinel: new master=%q addr=%q", "backorderd", "10.0.0.2:6379")
	l.Printf(context.Background(), "sentinel: GetMasterAddrByName addr=%s, master=%q failed: %s", "10.0.0.9:26379", "backorderd", "i/o timeout")
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"level":"INFO"`) || !strings.Contains(lines[0], "10.0.0.2:6379") ||
		!strings.Contains(lines[1], `"level":"WARN"`) {
		t.Errorf("lines = %q, want the new master at INFO and the failing sentinel at WARN", lines)
	}
}
