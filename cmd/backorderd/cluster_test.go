package main

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestOnARedisClusterASaleIsProcessedAndTheMonitorShowsTheCluster(t *testing.T) {
	nodes := startCluster(t)
	// Two of the three nodes: the third is found through them.
	p, sale := startSale(t, map[string]string{
		"REDIS_CLUSTER_URLS": "redis://" + nodes[0].addr + ",redis://" + nodes[1].addr})
	sale.orders(1, 6)
	sale.waitApplied(6)

	for path, want := range map[string]string{
		"/monitor/api/redis_info": `"cluster":true`,
		"/monitor/api/queues":     `"queue":"intake"`,
		"/readyz":                 `"redis":"ok"`,
	} {
		if code, body := getAsOperator(t, p.addr, path); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s = %d, want it to show %s:\n%.500s", path, code, want, body)
		}
	}
	// A multi-key command across slots, or a script reaching a key of
	// another node, would fail a task. (Other task failures are not this
	// test's: a 1 s relay may time out on a loaded machine.)
	if logs := p.stderr.String(); strings.Contains(logs, "CROSSSLOT") || strings.Contains(logs, "non local key") {
		t.Errorf("errors logged on the cluster:\n%s", logs)
	}

	// A cluster that lost a master (no replica here) holds slots no node
	// serves: not ready, though the other nodes answer PING.
	nodes[2].kill()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(200 * time.Millisecond) {
		code, body := getAsOperator(t, p.addr, "/readyz")
		if code == http.StatusServiceUnavailable && strings.Contains(body, `"down":["redis"]`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("readyz a minute after a master was killed = %d, want 503 naming redis:\n%s", code, body)
		}
	}
	if err := p.stopped(t); err != nil {
		t.Fatalf("run after SIGTERM returned %v, want nil", err)
	}
}
