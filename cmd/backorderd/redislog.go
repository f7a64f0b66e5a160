package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
)

// redisLog carries go-redis's own lines (it logs failed dials of its pool
// by itself, twice a second while Redis is down) into the process's slog
// logger, so that they follow LOG_FORMAT, at most one line per kind (the
// format string) per interval; the next line shown counts those left out.
type redisLog struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu    sync.Mutex
	kinds map[string]*redisLogKind
}

type redisLogKind struct {
	shown      time.Time
	suppressed int
}

func newRedisLog(log *slog.Logger, every time.Duration) *redisLog {
	return &redisLog{log: log, every: every, now: time.Now, kinds: map[string]*redisLogKind{}}
}

// Printf is go-redis's internal.Logging interface (redis.SetLogger).
func (l *redisLog) Printf(ctx context.Context, format string, v ...any) {
	now := l.now()
	l.mu.Lock()
	k, seen := l.kinds[format]
	if !seen {
		k = &redisLogKind{}
		l.kinds[format] = k
	}
	if seen && now.Sub(k.shown) < l.every {
		k.suppressed++
		l.mu.Unlock()
		return
	}
	suppressed, since := k.suppressed, now.Sub(k.shown)
	k.shown, k.suppressed = now, 0
	l.mu.Unlock()
	attrs := []any{"detail", fmt.Sprintf(format, v...)}
	if suppressed > 0 {
		attrs = append(attrs, "suppressed", suppressed, "suppressed_over", since.String())
	}
	l.log.Log(ctx, redisLogLevel(format), "redis client", attrs...)
}

// redisLogLevel is a line's level: Info for the failover client telling
// which master it follows (at start and after each failover), Warn for
// the rest.
func redisLogLevel(format string) slog.Level {
	for _, news := range []string{"sentinel: selected ", "sentinel: new master", "sentinel: discovered new sentinel"} {
		if strings.HasPrefix(format, news) {
			return slog.LevelInfo
		}
	}
	return slog.LevelWarn
}
