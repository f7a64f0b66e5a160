package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// RedisTarget is the Redis that REDIS_URL or REDIS_CLUSTER_URLS names: at
// most one of its fields is set, and none for the embedded in-process
// Redis.
type RedisTarget struct {
	// Server is one Redis server: REDIS_URL redis:// or rediss://.
	Server *redis.Options
	// Sentinel is a master that Redis Sentinel watches and fails over:
	// REDIS_URL redis-sentinel://.
	Sentinel *redis.FailoverOptions
	// Cluster is a Redis Cluster: REDIS_CLUSTER_URLS.
	Cluster *redis.ClusterOptions
}

// Default ports of a sentinel and of a Redis server, for addresses that
// leave theirs out.
const (
	defaultSentinelPort = "26379"
	defaultRedisPort    = "6379"
	sentinelScheme      = "redis-sentinel://"
)

// Redis parses REDIS_URL and REDIS_CLUSTER_URLS into the Redis this
// configuration uses. The error names the variable at fault.
func (c Config) Redis() (RedisTarget, error) {
	switch {
	case c.RedisURL != "" && c.RedisClusterURLs != "":
		return RedisTarget{}, errors.New("REDIS_CLUSTER_URLS: and REDIS_URL are both set: " +
			"set REDIS_URL for one server or a Sentinel-watched master, REDIS_CLUSTER_URLS for a cluster, not both")
	case c.RedisClusterURLs != "":
		opts, err := ParseRedisClusterURLs(c.RedisClusterURLs)
		if err != nil {
			return RedisTarget{}, fmt.Errorf("REDIS_CLUSTER_URLS: %w", err)
		}
		return RedisTarget{Cluster: opts}, nil
	case strings.HasPrefix(c.RedisURL, sentinelScheme):
		opts, err := ParseRedisSentinelURL(c.RedisURL)
		if err != nil {
			return RedisTarget{}, fmt.Errorf("REDIS_URL: %w", err)
		}
		return RedisTarget{Sentinel: opts}, nil
	case !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") && c.RedisURL != "":
		return RedisTarget{}, errors.New("REDIS_URL: must start with redis://, rediss:// or redis-sentinel:// " +
			"(or be unset, with REDIS_CLUSTER_URLS, for the embedded in-process Redis)")
	case c.RedisURL != "":
		opts, err := ParseRedisURL(c.RedisURL)
		if err != nil {
			return RedisTarget{}, fmt.Errorf("REDIS_URL: %w", err)
		}
		return RedisTarget{Server: opts}, nil
	}
	return RedisTarget{}, nil
}

// ExternalRedis reports whether REDIS_URL or REDIS_CLUSTER_URLS names a
// Redis (otherwise `run` starts the embedded one).
func (c Config) ExternalRedis() bool { return c.RedisURL != "" || c.RedisClusterURLs != "" }

// ParseRedisURL parses a redis:// or rediss:// URL into go-redis options.
func ParseRedisURL(raw string) (*redis.Options, error) {
	if !strings.HasPrefix(raw, "redis://") && !strings.HasPrefix(raw, "rediss://") {
		return nil, errors.New("must start with redis:// or rediss://")
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, fmt.Errorf("not a valid Redis URL: %w", redactURLError(err))
	}
	return opts, nil
}

const sentinelForm = "want redis-sentinel://[:password@]host:26379[,host:26379…]/MASTER[/db]"

// ParseRedisSentinelURL parses
// redis-sentinel://[user:password@]host:26379[,host:26379…]/MASTER[/db]:
// the sentinels to ask, the name of the master they watch and the database.
// The password is the master's (and its replicas'); sentinels that ask for
// one of their own get it from the sentinel_password query parameter.
func ParseRedisSentinelURL(raw string) (*redis.FailoverOptions, error) {
	userinfo, hosts, tail := splitSentinelURL(raw)
	// The host list is not a URL host (commas, several IPv6 literals): the
	// rest is parsed around one that is.
	rest := sentinelScheme + "sentinel" + tail
	if userinfo != "" {
		rest = sentinelScheme + userinfo + "@sentinel" + tail
	}
	u, err := url.Parse(rest)
	if err != nil {
		return nil, fmt.Errorf("not a valid URL: %w", redactURLError(err))
	}
	opts := &redis.FailoverOptions{}
	if u.User != nil {
		opts.Username = u.User.Username()
		opts.Password, _ = u.User.Password()
	}
	if opts.SentinelAddrs, err = hostList(hosts, defaultSentinelPort); err != nil {
		return nil, fmt.Errorf("%w (%s)", err, sentinelForm)
	}
	path := strings.Split(strings.Trim(u.Path, "/"), "/")
	if path[0] == "" {
		return nil, fmt.Errorf("no master name (%s)", sentinelForm)
	}
	opts.MasterName = path[0]
	if len(path) > 2 {
		return nil, fmt.Errorf("%q has more than a master name and a database (%s)", u.Path, sentinelForm)
	}
	if len(path) == 2 {
		if opts.DB, err = strconv.Atoi(path[1]); err != nil || opts.DB < 0 {
			return nil, fmt.Errorf("database %q is not a number from 0 (%s)", path[1], sentinelForm)
		}
	}
	for name, values := range u.Query() {
		if name != "sentinel_password" || len(values) != 1 {
			return nil, fmt.Errorf("unknown parameter %q: the only one is sentinel_password", name)
		}
		opts.SentinelPassword = values[0]
	}
	return opts, nil
}

// splitSentinelURL cuts a redis-sentinel:// URL into its userinfo, its
// host list and the rest (path and query).
func splitSentinelURL(raw string) (userinfo, hosts, tail string) {
	authority := strings.TrimPrefix(raw, sentinelScheme)
	if i := strings.IndexAny(authority, "/?"); i >= 0 {
		authority, tail = authority[:i], authority[i:]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		return authority[:i], authority[i+1:], tail
	}
	return "", authority, tail
}

// hostList splits comma-separated host[:port] addresses, giving those
// without a port the default one.
func hostList(raw, defaultPort string) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, errors.New("no host")
	}
	var addrs []string
	for _, h := range strings.Split(raw, ",") {
		addr, err := hostPort(strings.TrimSpace(h), defaultPort)
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, addr)
	}
	return addrs, nil
}

func hostPort(h, defaultPort string) (string, error) {
	if h == "" {
		return "", errors.New("an empty host in the list")
	}
	host, port, err := net.SplitHostPort(h)
	if err != nil {
		// No port (or a bare IPv6 literal): the default one.
		host, port = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]"), defaultPort
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "", fmt.Errorf("%q has no valid port", h)
	}
	if host == "" || strings.ContainsAny(host, "[]/@ ") {
		return "", fmt.Errorf("%q is not host:port", h)
	}
	return net.JoinHostPort(host, port), nil
}

const clusterForm = "want comma-separated redis://[:password@]host:port nodes of one cluster"

// ParseRedisClusterURLs parses comma-separated redis:// or rediss:// URLs of
// a cluster's nodes (some of them suffice: the rest are discovered). They
// share one scheme and one user and password, given on any of them; a
// cluster has only database 0.
func ParseRedisClusterURLs(raw string) (*redis.ClusterOptions, error) {
	opts := &redis.ClusterOptions{}
	var scheme string
	for i, node := range strings.Split(raw, ",") {
		node = strings.TrimSpace(node)
		if node == "" {
			return nil, fmt.Errorf("node %d is empty (%s)", i+1, clusterForm)
		}
		u, err := url.Parse(node)
		if err != nil {
			return nil, fmt.Errorf("node %d is not a valid URL: %w", i+1, redactURLError(err))
		}
		if u.Scheme != "redis" && u.Scheme != "rediss" {
			return nil, fmt.Errorf("node %d must start with redis:// or rediss:// (%s)", i+1, clusterForm)
		}
		if scheme != "" && u.Scheme != scheme {
			return nil, fmt.Errorf("node %d is %s:// and node 1 %s://: a cluster's nodes take one scheme", i+1, u.Scheme, scheme)
		}
		scheme = u.Scheme
		if db := strings.Trim(u.Path, "/"); db != "" && db != "0" {
			return nil, fmt.Errorf("node %d names database %q: a cluster has only database 0", i+1, db)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("node %d has a query or fragment; a cluster node takes none (%s)", i+1, clusterForm)
		}
		if err := clusterCredentials(opts, u.User, i+1); err != nil {
			return nil, err
		}
		addr, err := hostPort(u.Host, defaultRedisPort)
		if err != nil {
			return nil, fmt.Errorf("node %d: %w", i+1, err)
		}
		opts.Addrs = append(opts.Addrs, addr)
	}
	if scheme == "rediss" {
		// No ServerName: each node's certificate is checked against the
		// address it is dialled at.
		opts.TLSConfig = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	return opts, nil
}

// clusterCredentials takes a node's user and password into opts: nodes
// that give none share those of the others; two that differ are refused.
func clusterCredentials(opts *redis.ClusterOptions, user *url.Userinfo, node int) error {
	if user == nil {
		return nil
	}
	password, _ := user.Password()
	if opts.Username == "" && opts.Password == "" {
		opts.Username, opts.Password = user.Username(), password
		return nil
	}
	if opts.Username != user.Username() || opts.Password != password {
		return fmt.Errorf("node %d has another user or password than the nodes before it: a cluster has one", node)
	}
	return nil
}

// maskRedis shows REDIS_URL with its passwords masked.
func maskRedis(raw string) string {
	if !strings.HasPrefix(raw, sentinelScheme) {
		return maskURL(raw)
	}
	userinfo, hosts, tail := splitSentinelURL(raw)
	path, query, hasQuery := strings.Cut(tail, "?")
	shown := sentinelScheme
	if userinfo != "" {
		user, _, hasPassword := strings.Cut(userinfo, ":")
		if hasPassword {
			user += ":****"
		}
		shown += user + "@"
	}
	shown += hosts + path
	if hasQuery {
		shown += "?" + maskQuery(query)
	}
	return shown
}

// maskClusterURLs shows REDIS_CLUSTER_URLS with each node's password
// masked.
func maskClusterURLs(raw string) string {
	nodes := strings.Split(raw, ",")
	for i, n := range nodes {
		nodes[i] = maskURL(strings.TrimSpace(n))
	}
	return strings.Join(nodes, ",")
}
