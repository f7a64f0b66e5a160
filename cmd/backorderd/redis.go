package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/backorderd/backorderd/config"
)

// redisConn is the Redis every part of the process shares: one go-redis
// client for asynq's client, inspector, server and readiness, and the
// options the monitor (which makes its own client) connects with. The
// client is of one server, of the master Sentinel names (it follows a
// failover), or of a cluster.
type redisConn struct {
	client  redis.UniversalClient
	connOpt asynq.RedisConnOpt
	mini    *miniredis.Miniredis
	// master is the name of the Sentinel master, "" for the others.
	master string
	// cluster: readiness asks for the cluster's state, not one node's.
	cluster bool
}

// Redis timeouts: go-redis's 5 s default dial timeout is all of Shopify's
// budget for an answer.
const (
	redisDialTimeout = 2 * time.Second
	redisIOTimeout   = 3 * time.Second
)

// openRedis connects to REDIS_URL or REDIS_CLUSTER_URLS, or starts the
// embedded in-process Redis on loopback when both are unset.
func openRedis(cfg config.Config, log *slog.Logger) (*redisConn, error) {
	target, err := cfg.Redis()
	if err != nil {
		return nil, err // it names the variable
	}
	switch {
	case target.Sentinel != nil:
		return openSentinel(target.Sentinel), nil
	case target.Cluster != nil:
		return openCluster(target.Cluster), nil
	case target.Server != nil:
		return openServer(target.Server, nil), nil
	}
	mini := miniredis.NewMiniRedis()
	mini.ClockTTL(true) // without it asynq's locks never expire
	if err := mini.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("start embedded redis: %w", err)
	}
	log.Warn("using the embedded in-process Redis: development only, nothing in it survives a restart "+
		"(the relay re-enqueues unfinished work from the database); set REDIS_URL in production",
		"addr", mini.Addr())
	return openServer(&redis.Options{Addr: mini.Addr()}, mini), nil
}

func openServer(opts *redis.Options, mini *miniredis.Miniredis) *redisConn {
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout
	return &redisConn{
		client: redis.NewClient(opts),
		connOpt: asynq.RedisClientOpt{
			Network: opts.Network, Addr: opts.Addr, Username: opts.Username, Password: opts.Password,
			DB: opts.DB, TLSConfig: opts.TLSConfig,
			DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
		},
		mini: mini,
	}
}

// openSentinel connects to the master the sentinels name; go-redis asks
// them again when the master fails over.
func openSentinel(opts *redis.FailoverOptions) *redisConn {
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout
	return &redisConn{
		client: redis.NewFailoverClient(opts),
		connOpt: asynq.RedisFailoverClientOpt{
			MasterName: opts.MasterName, SentinelAddrs: opts.SentinelAddrs,
			SentinelUsername: opts.SentinelUsername, SentinelPassword: opts.SentinelPassword,
			Username: opts.Username, Password: opts.Password, DB: opts.DB,
			DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
		},
		master: opts.MasterName,
	}
}

// openCluster connects to a Redis Cluster through the nodes given; the
// others are discovered.
func openCluster(opts *redis.ClusterOptions) *redisConn {
	opts.DialTimeout, opts.ReadTimeout, opts.WriteTimeout = redisDialTimeout, redisIOTimeout, redisIOTimeout
	return &redisConn{
		client: redis.NewClusterClient(opts),
		connOpt: asynq.RedisClusterClientOpt{
			Addrs: opts.Addrs, Username: opts.Username, Password: opts.Password, TLSConfig: opts.TLSConfig,
			DialTimeout: redisDialTimeout, ReadTimeout: redisIOTimeout, WriteTimeout: redisIOTimeout,
		},
		cluster: true,
	}
}

// ping says whether Redis can take tasks: the server, or the master the
// sentinels name, answers; a cluster says its state is ok (a node answers
// PING while the cluster refuses every key).
func (r *redisConn) ping(ctx context.Context) error {
	if r.cluster {
		info, err := r.client.ClusterInfo(ctx).Result()
		if err != nil {
			return fmt.Errorf("ask the cluster its state: %w", err)
		}
		if !strings.Contains(info, "cluster_state:ok") {
			return errors.New("the Redis cluster's state is not ok (cluster_state:fail: slots without a master)")
		}
		return nil
	}
	err := r.client.Ping(ctx).Err()
	if r.master != "" && errors.Is(err, redis.Nil) {
		return fmt.Errorf("no sentinel knows a master named %q: %w", r.master, err)
	}
	return err
}

// redisVariable names the setting that says where Redis is.
func redisVariable(cfg config.Config) string {
	if cfg.RedisClusterURLs != "" {
		return "REDIS_CLUSTER_URLS"
	}
	return "REDIS_URL"
}

func (r *redisConn) close() {
	_ = r.client.Close()
	if r.mini != nil {
		r.mini.Close()
	}
}
