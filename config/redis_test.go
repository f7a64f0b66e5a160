package config_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/config"
)

func TestRedisSettingsNameOneServerASentinelMasterOrACluster(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want func(config.RedisTarget) bool
	}{
		{"nothing: the embedded Redis", nil, func(r config.RedisTarget) bool {
			return r.Server == nil && r.Sentinel == nil && r.Cluster == nil
		}},
		{"one server", map[string]string{"REDIS_URL": "redis://:pw@cache:6380/3"}, func(r config.RedisTarget) bool {
			return r.Server != nil && r.Server.Addr == "cache:6380" && r.Server.DB == 3 && r.Server.Password == "pw"
		}},
		{"sentinels, master and database", map[string]string{
			"REDIS_URL": "redis-sentinel://:pw@s1:26379,s2:26380,s3/orders/2"}, func(r config.RedisTarget) bool {
			s := r.Sentinel
			return s != nil && s.MasterName == "orders" && s.DB == 2 && s.Password == "pw" && s.SentinelPassword == "" &&
				slices.Equal(s.SentinelAddrs, []string{"s1:26379", "s2:26380", "s3:26379"})
		}},
		{"sentinel without a database is database 0", map[string]string{
			"REDIS_URL": "redis-sentinel://127.0.0.1:26379/mymaster"}, func(r config.RedisTarget) bool {
			s := r.Sentinel
			return s != nil && s.MasterName == "mymaster" && s.DB == 0 && s.Password == "" &&
				slices.Equal(s.SentinelAddrs, []string{"127.0.0.1:26379"})
		}},
		{"sentinels on IPv6 with a password of their own", map[string]string{
			"REDIS_URL": "redis-sentinel://app:pw@[::1]:26379,[fe80::2]/m/1?sentinel_password=sp"}, func(r config.RedisTarget) bool {
			s := r.Sentinel
			return s != nil && s.Username == "app" && s.Password == "pw" && s.SentinelPassword == "sp" && s.DB == 1 &&
				slices.Equal(s.SentinelAddrs, []string{"[::1]:26379", "[fe80::2]:26379"})
		}},
		{"cluster nodes share the password given on one", map[string]string{
			"REDIS_CLUSTER_URLS": "redis://:pw@n1:7000, redis://n2:7001,redis://n3"}, func(r config.RedisTarget) bool {
			c := r.Cluster
			return c != nil && c.Password == "pw" && c.TLSConfig == nil &&
				slices.Equal(c.Addrs, []string{"n1:7000", "n2:7001", "n3:6379"})
		}},
		{"cluster over TLS checks each node's own name", map[string]string{
			"REDIS_CLUSTER_URLS": "rediss://n1:7000/0,rediss://n2:7001"}, func(r config.RedisTarget) bool {
			return r.Cluster != nil && r.Cluster.TLSConfig != nil && r.Cluster.TLSConfig.ServerName == ""
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(env(tt.vars))
			if err != nil {
				t.Fatalf("Load(%v) = %v, want no error", tt.vars, err)
			}
			r, err := c.Redis()
			if err != nil || !tt.want(r) {
				t.Errorf("Redis() of %v = %+v, %v: not what the case wants", tt.vars, r, err)
			}
			if c.ExternalRedis() == (tt.vars == nil) {
				t.Errorf("ExternalRedis() = %v with %v", c.ExternalRedis(), tt.vars)
			}
		})
	}
}

func TestAMalformedRedisSettingNamesItsVariable(t *testing.T) {
	tests := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"sentinel without a master", map[string]string{"REDIS_URL": "redis-sentinel://s1:26379"}, "REDIS_URL: no master name"},
		{"sentinel with only a slash", map[string]string{"REDIS_URL": "redis-sentinel://s1:26379/"}, "REDIS_URL: no master name"},
		{"sentinel bad database", map[string]string{"REDIS_URL": "redis-sentinel://s1/m/x"}, `REDIS_URL: database "x" is not a number`},
		{"sentinel negative database", map[string]string{"REDIS_URL": "redis-sentinel://s1/m/-1"}, `REDIS_URL: database "-1"`},
		{"sentinel path too long", map[string]string{"REDIS_URL": "redis-sentinel://s1/m/0/x"}, "REDIS_URL: \"/m/0/x\" has more than"},
		{"sentinel no hosts", map[string]string{"REDIS_URL": "redis-sentinel:///m"}, "REDIS_URL: no host"},
		{"sentinel no hosts after the password", map[string]string{"REDIS_URL": "redis-sentinel://:pw@/m"}, "REDIS_URL: no host"},
		{"sentinel empty host in the list", map[string]string{"REDIS_URL": "redis-sentinel://s1,,s2/m"}, "REDIS_URL: an empty host"},
		{"sentinel bad port", map[string]string{"REDIS_URL": "redis-sentinel://s1:port/m"}, `REDIS_URL: "s1:port" has no valid port`},
		{"sentinel port out of range", map[string]string{"REDIS_URL": "redis-sentinel://s1:70000/m"}, "has no valid port"},
		{"sentinel unknown parameter", map[string]string{"REDIS_URL": "redis-sentinel://s1/m?master=x"}, `REDIS_URL: unknown parameter "master"`},
		{"sentinel tls scheme", map[string]string{"REDIS_URL": "rediss-sentinel://s1/m"}, "REDIS_URL: must start with redis://, rediss:// or redis-sentinel://"},
		{"both set", map[string]string{"REDIS_URL": "redis://a:6379/0", "REDIS_CLUSTER_URLS": "redis://b:7000"},
			"REDIS_CLUSTER_URLS: and REDIS_URL are both set"},
		{"cluster empty node", map[string]string{"REDIS_CLUSTER_URLS": "redis://a:7000,,redis://b:7001"}, "REDIS_CLUSTER_URLS: node 2 is empty"},
		{"cluster only commas", map[string]string{"REDIS_CLUSTER_URLS": ","}, "REDIS_CLUSTER_URLS: node 1 is empty"},
		{"cluster scheme", map[string]string{"REDIS_CLUSTER_URLS": "a:7000"}, "REDIS_CLUSTER_URLS: node 1 must start with redis://"},
		{"cluster mixed schemes", map[string]string{"REDIS_CLUSTER_URLS": "redis://a:7000,rediss://b:7001"}, "REDIS_CLUSTER_URLS: node 2 is rediss://"},
		{"cluster database", map[string]string{"REDIS_CLUSTER_URLS": "redis://a:7000/2"}, "REDIS_CLUSTER_URLS: node 1 names database \"2\""},
		{"cluster query", map[string]string{"REDIS_CLUSTER_URLS": "redis://a:7000?addr=b:7001"}, "REDIS_CLUSTER_URLS: node 1 has a query"},
		{"cluster two passwords", map[string]string{"REDIS_CLUSTER_URLS": "redis://:one@a:7000,redis://:two@b:7001"},
			"REDIS_CLUSTER_URLS: node 2 has another user or password"},
		{"cluster no host", map[string]string{"REDIS_CLUSTER_URLS": "redis://:pw@"}, "REDIS_CLUSTER_URLS: node 1: an empty host"},
		{"cluster bad port", map[string]string{"REDIS_CLUSTER_URLS": "redis://a:0"}, `REDIS_CLUSTER_URLS: node 1: "a:0" has no valid port`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(env(tt.vars))
			if err == nil {
				t.Fatalf("Load(%v) succeeded, want an error", tt.vars)
			}
			if msg := err.Error(); !strings.Contains(msg, tt.want) || strings.Contains(msg, "\n") {
				t.Errorf("error = %q, want one line containing %q", msg, tt.want)
			}
		})
	}
}

func TestSentinelAndClusterPasswordsNeverShow(t *testing.T) {
	tests := []struct {
		vars  map[string]string
		shown []string
	}{
		{map[string]string{"REDIS_URL": "redis-sentinel://app:hunter2@s1:26379,s2:26379/orders/1?sentinel_password=hunter3"},
			[]string{"REDIS_URL redis-sentinel://app:****@s1:26379,s2:26379/orders/1?sentinel_password=****", "REDIS_CLUSTER_URLS (unset)"}},
		{map[string]string{"REDIS_CLUSTER_URLS": "redis://:hunter2@n1:7000,redis://:hunter2@n2:7001"},
			[]string{"REDIS_CLUSTER_URLS redis://:xxxxx@n1:7000,redis://:xxxxx@n2:7001", "REDIS_URL (unset)"}},
	}
	for _, tt := range tests {
		c, err := config.Load(env(tt.vars))
		if err != nil {
			t.Fatal(err)
		}
		shown := fmt.Sprintln(c.Summary()...)
		for _, secret := range []string{"hunter2", "hunter3"} {
			if strings.Contains(shown, secret) {
				t.Errorf("summary shows %q: %s", secret, shown)
			}
		}
		for _, want := range tt.shown {
			if !strings.Contains(shown, want) {
				t.Errorf("summary lacks %q: %s", want, shown)
			}
		}
	}
	// A malformed one does not echo its password either.
	_, err := config.Load(env(map[string]string{"REDIS_URL": "redis-sentinel://:hunter2@s1:port/m"}))
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("error = %v, want one that hides the password", err)
	}
}
