// Package api serves operators: health and readiness, the admin API and the
// asynq monitor behind the admin token, and the middleware every route
// shares (request ids, one log line per request, panic recovery). It holds no
// business rules and no SQL.
package api

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
)

// RequestIDHeader carries the request id in and out.
const RequestIDHeader = "X-Request-Id"

// RequestLog gives each request an id (the caller's X-Request-Id when it
// sends a sane one) and logs one line when it ends, with every gin context
// key the handler set (inbox_id, topic, refused, …) and its errors. 5xx log
// as errors, 4xx and handled errors as warnings — and so does /readyz's 503,
// which is the probe's answer (not ready, naming what is down), not a
// failure to handle the request: a process starting or a server down is
// told once by its own log line, not as an error per probe.
func RequestLog(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		id := c.GetHeader(RequestIDHeader)
		if id == "" || len(id) > 64 {
			id = newRequestID()
		}
		c.Set("request_id", id)
		c.Header(RequestIDHeader, id)
		c.Next()

		status := c.Writer.Status()
		level := slog.LevelInfo
		switch {
		case status >= 500 && c.FullPath() != ReadyPath:
			level = slog.LevelError
		case status >= 400 || len(c.Errors) > 0:
			level = slog.LevelWarn
		}
		if !log.Enabled(c.Request.Context(), level) {
			return // below LOG_LEVEL: build nothing
		}
		attrs := []any{
			"method", c.Request.Method, "path", loggedPath(c), "status", status,
			"duration_ms", float64(time.Since(start).Microseconds()) / 1000, "remote", c.ClientIP(),
		}
		keys := make([]string, 0, len(c.Keys))
		vals := make(map[string]any, len(c.Keys))
		for k, v := range c.Keys {
			name := fmt.Sprint(k)
			keys = append(keys, name)
			vals[name] = v
		}
		sort.Strings(keys)
		for _, k := range keys {
			attrs = append(attrs, k, vals[k])
		}
		if len(c.Errors) > 0 {
			attrs = append(attrs, "errors", c.Errors.String())
		}
		log.Log(c.Request.Context(), level, "request", attrs...)
	}
}

// personalParams are the route parameters whose values may be personal
// data (DELETE /api/v1/shops/{id}/suppressions/{address} names a
// customer's email address): the log shows their name instead.
var personalParams = map[string]bool{"address": true}

// loggedPath is the request's path with the values of personalParams
// replaced by their names (":address"): the log carries nothing personal
// beyond ids.
func loggedPath(c *gin.Context) string {
	path := c.Request.URL.Path
	for _, p := range c.Params {
		if !personalParams[p.Key] || p.Value == "" {
			continue
		}
		if i := strings.LastIndex(path, "/"+p.Value); i >= 0 {
			path = path[:i] + "/:" + p.Key + path[i+1+len(p.Value):]
		}
	}
	return path
}

// Recover turns a panic into a 500, logged once with its stack.
func Recover(log *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler { //nolint:errorlint // net/http's sentinel is compared this way
					panic(p)
				}
				log.Error("panic", "request_id", c.GetString("request_id"), "path", loggedPath(c),
					"panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				c.AbortWithStatusJSON(http.StatusInternalServerError, errorBody(codeInternal, "internal error"))
			}
		}()
		c.Next()
	}
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
