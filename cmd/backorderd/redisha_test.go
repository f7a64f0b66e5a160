package main

// Private Redis deployments beyond one server, for the tests that run
// backorderd on them: a master, its replica and three sentinels; a
// three-master cluster. Every process is the test's own, on free ports,
// killed when it ends.

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisProc is one redis-server (or sentinel) of the test's.
type redisProc struct {
	addr   string
	cmd    *exec.Cmd
	output *syncBuffer
	exited chan struct{}
	once   sync.Once
}

// runRedis starts redis-server with args (a config file first, if any)
// and waits for it to listen on addr; one that exits first (its port taken
// meanwhile) fails the test with what it said.
func runRedis(t *testing.T, addr string, args ...string) *redisProc {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		needTool(t, "redis-server")
	}
	p := &redisProc{addr: addr, cmd: exec.Command(bin, args...), output: &syncBuffer{}, exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.output, p.output
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		_ = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		select {
		case <-p.exited:
			t.Fatalf("redis-server %s exited before listening on %s:\n%s", strings.Join(args, " "), addr, p.output)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			_ = c.Close()
			return p
		}
	}
	t.Fatalf("redis-server %s not listening on %s within 30s:\n%s", strings.Join(args, " "), addr, p.output)
	return nil
}

func (p *redisProc) kill() {
	p.once.Do(func() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	})
}

// freeAddrs are n distinct loopback addresses free a moment ago (each
// held until all are picked, so that none is given twice).
func freeAddrs(t *testing.T, n int) []string {
	t.Helper()
	addrs := make([]string, n)
	for i := range addrs {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		addrs[i] = ln.Addr().String()
	}
	return addrs
}

// serverArgs are a non-persistent server's on addr, in its own folder.
func serverArgs(t *testing.T, addr string, extra ...string) []string {
	host, port, _ := net.SplitHostPort(addr)
	return append([]string{"--bind", host, "--port", port, "--save", "", "--appendonly", "no", "--dir", t.TempDir()}, extra...)
}

// sentinelSet is a master, one replica and three sentinels watching the
// master as sentinelMaster (quorum 2, down after 1 s).
type sentinelSet struct {
	master, replica *redisProc
	sentinels       []*redisProc
}

const sentinelMaster = "backorderd"

func startSentinels(t *testing.T) *sentinelSet {
	t.Helper()
	s := &sentinelSet{}
	addrs := freeAddrs(t, 5)
	s.master = runRedis(t, addrs[0], serverArgs(t, addrs[0])...)
	mhost, mport, _ := net.SplitHostPort(s.master.addr)
	s.replica = runRedis(t, addrs[1], serverArgs(t, addrs[1], "--replicaof", mhost, mport)...)
	for _, addr := range addrs[2:] {
		host, port, _ := net.SplitHostPort(addr)
		dir := t.TempDir()
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf("bind %s\nport %s\ndir %s\nsentinel monitor %s %s %s 2\n"+
			"sentinel down-after-milliseconds %[4]s 1000\nsentinel failover-timeout %[4]s 5000\n",
			host, port, dir, sentinelMaster, mhost, mport)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		s.sentinels = append(s.sentinels, runRedis(t, addr, conf, "--sentinel"))
	}
	// A failover needs the replica in sync and every sentinel to know the
	// replica and the two other sentinels.
	s.waitSentinels(t, "every sentinel to see the replica and the others", func(ctx context.Context, sc *redis.SentinelClient) bool {
		others, err := sc.Sentinels(ctx, sentinelMaster).Result()
		if err != nil || len(others) != 2 {
			return false
		}
		replicas, err := sc.Replicas(ctx, sentinelMaster).Result()
		return err == nil && len(replicas) == 1 && replicas[0]["flags"] == "slave" && replicas[0]["master-link-status"] == "ok"
	})
	return s
}

// url is REDIS_URL for this set: all its sentinels, the master's name.
func (s *sentinelSet) url() string {
	addrs := make([]string, len(s.sentinels))
	for i, p := range s.sentinels {
		addrs[i] = p.addr
	}
	return "redis-sentinel://" + strings.Join(addrs, ",") + "/" + sentinelMaster + "/0"
}

// waitSentinels waits, at most a minute, until ok holds for every sentinel.
func (s *sentinelSet) waitSentinels(t *testing.T, what string, ok func(context.Context, *redis.SentinelClient) bool) {
	t.Helper()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		all := true
		for _, p := range s.sentinels {
			sc := redis.NewSentinelClient(&redis.Options{Addr: p.addr})
			all = all && ok(ctx, sc)
			_ = sc.Close()
		}
		if all {
			return
		}
	}
	t.Fatalf("waited a minute for %s", what)
}

// waitPromoted waits for the sentinels to name the replica master in the
// place of the one killed.
func (s *sentinelSet) waitPromoted(t *testing.T) {
	t.Helper()
	s.waitSentinels(t, "the replica to be promoted", func(ctx context.Context, sc *redis.SentinelClient) bool {
		addr, err := sc.GetMasterAddrByName(ctx, sentinelMaster).Result()
		return err == nil && net.JoinHostPort(addr[0], addr[1]) == s.replica.addr
	})
}

// startCluster runs three masters, each with a third of the slots, and
// waits for every node to say the cluster is ok.
func startCluster(t *testing.T) []*redisProc {
	t.Helper()
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		needTool(t, "redis-cli")
	}
	var nodes []*redisProc
	ports := freeAddrs(t, 6)
	addrs := ports[:3]
	for i, addr := range addrs {
		_, bus, _ := net.SplitHostPort(ports[3+i]) // port+10000, the default, may be past 65535
		dir := t.TempDir()
		nodes = append(nodes, runRedis(t, addr, serverArgs(t, addr, "--cluster-enabled", "yes", "--cluster-port", bus,
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "2000")...))
	}
	out, err := exec.Command(cli, append(append([]string{"--cluster", "create"}, addrs...),
		"--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	ctx := context.Background()
	for _, addr := range addrs {
		rc := redis.NewClient(&redis.Options{Addr: addr})
		for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
			info, err := rc.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: cluster not ok within a minute: %v\n%s", addr, err, info)
			}
		}
		_ = rc.Close()
	}
	return nodes
}

// getAsOperator GETs path with the operator's credentials (the monitor's
// Basic login) and returns the status and body.
func getAsOperator(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	req.SetBasicAuth("operator", monitorToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}
