package main

// backorderd on Redis beyond one server: a Sentinel-watched master that
// fails over mid-sale, and a Redis Cluster (harness in redisha_test.go).

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func TestAMasterKilledMidSaleFailsOverThroughSentinelAndNoDeliveryIsLost(t *testing.T) {
	set := startSentinels(t)

	// A master name the sentinels do not watch stops start-up, naming
	// REDIS_URL: waiting would not change it.
	wrong := strings.Replace(set.url(), "/"+sentinelMaster+"/", "/no-such-master/", 1)
	out, err := runFor(t, 30*time.Second, []string{"run"}, saleEnv(filepath.Join(t.TempDir(), "b.db"), map[string]string{"REDIS_URL": wrong}))
	if err == nil || !strings.Contains(err.Error(), `REDIS_URL: `) || !strings.Contains(err.Error(), `no sentinel knows a master named "no-such-master"`) {
		t.Fatalf("run with an unknown master = %v, want a refusal naming REDIS_URL and the master\n%s", err, out)
	}

	p, sale := startSale(t, map[string]string{"REDIS_URL": set.url()})
	sale.orders(1, 4)
	// Killed, not failed over politely: what it had not passed to its
	// replica is lost, and the relay must enqueue it again.
	killed := time.Now()
	set.master.kill()
	sale.orders(5, 6) // while no master answers: recorded, enqueued later
	set.waitPromoted(t)
	promoted := time.Since(killed)
	sale.orders(7, 8)
	sale.waitApplied(8)
	t.Logf("replica promoted %s after the kill; every delivery applied %s after it", promoted, time.Since(killed))

	// The process works on the promoted replica now.
	rc := redis.NewClient(&redis.Options{Addr: set.replica.addr})
	defer rc.Close()
	if n, err := rc.Exists(context.Background(), "asynq:queues").Result(); err != nil || n != 1 {
		t.Errorf("the promoted master has no asynq queues (%d, %v)", n, err)
	}
	if role, err := rc.Do(context.Background(), "ROLE").Slice(); err != nil || role[0] != "master" {
		t.Errorf("ROLE of the replica = %v, %v, want master", role, err)
	}
	// Readiness and the monitor (its own client) follow the new master.
	for path, want := range map[string]string{"/readyz": `"redis":"ok"`, "/monitor/api/queues": `"queue":"intake"`} {
		if code, body := getAsOperator(t, p.addr, path); code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("GET %s after the failover = %d, want 200 showing %s:\n%.500s", path, code, want, body)
		}
	}
	if err := p.stopped(t); err != nil {
		t.Fatalf("run after SIGTERM returned %v, want nil", err)
	}
}

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
