package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Check tells whether one dependency can be used now.
type Check struct {
	Name  string
	Check func(ctx context.Context) error
}

// Readiness decides whether the process can do its job now: every check
// must pass, or with Any one is enough (a receiver can make a delivery
// durable in the database or in Redis). Details are reported beside the
// checks and named under "warnings" when they fail, but never make the
// process unready (a refused SendGrid account is no reason to leave the
// load balancer).
type Readiness struct {
	Checks  []Check
	Any     bool
	Details []Check
}

const checkTimeout = 2 * time.Second

// ReadyPath is the readiness probe's route.
const ReadyPath = "/readyz"

// MountHealth adds GET /healthz (the process is alive; checks nothing
// outside it) and GET /readyz (200, or 503 naming what is down; failing
// details are named under "warnings" either way).
func MountHealth(r gin.IRouter, ready Readiness) {
	r.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET(ReadyPath, func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), checkTimeout)
		defer cancel()
		results := make(map[string]string, len(ready.Checks))
		var down []string
		for _, chk := range ready.Checks {
			if err := chk.Check(ctx); err != nil {
				results[chk.Name] = err.Error()
				down = append(down, chk.Name)
				continue
			}
			results[chk.Name] = "ok"
		}
		var warnings []string
		for _, chk := range ready.Details {
			results[chk.Name] = "ok"
			if err := chk.Check(ctx); err != nil {
				results[chk.Name] = err.Error()
				warnings = append(warnings, chk.Name)
			}
		}
		body := gin.H{"status": "ready", "checks": results}
		if len(warnings) > 0 {
			body["warnings"] = warnings
		}
		if len(down) > 0 && (!ready.Any || len(down) == len(ready.Checks)) {
			c.Set("down", down)
			body["status"], body["down"] = "not ready", down
			c.JSON(http.StatusServiceUnavailable, body)
			return
		}
		c.JSON(http.StatusOK, body)
	})
}
