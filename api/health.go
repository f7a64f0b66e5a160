package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
)

// Check tells whether one dependency can be used now. An optional check is
// reported but does not make the process unready.
type Check struct {
	Name     string
	Check    func(ctx context.Context) error
	Optional bool
}

// Readiness lists what the process needs to do its job now.
type Readiness struct {
	Checks []Check
}

const checkTimeout = 2 * time.Second

// MountHealth adds GET /healthz (the process is alive; checks nothing
// outside it) and GET /readyz (200, or 503 naming what is down).
func MountHealth(r gin.IRouter, ready Readiness) {
	r.GET("/healthz", func(c *gin.Context) {
		c.JSON(http.StatusOK, gin.H{"status": "ok"})
	})
	r.GET("/readyz", func(c *gin.Context) {
		ctx, cancel := context.WithTimeout(c.Request.Context(), checkTimeout)
		defer cancel()
		results := make(map[string]string, len(ready.Checks))
		var down []string
		for _, chk := range ready.Checks {
			if err := chk.Check(ctx); err != nil {
				results[chk.Name] = err.Error()
				if !chk.Optional {
					down = append(down, chk.Name)
				}
				continue
			}
			results[chk.Name] = "ok"
		}
		if len(down) > 0 {
			c.Set("down", down)
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "down": down, "checks": results})
			return
		}
		c.JSON(http.StatusOK, gin.H{"status": "ready", "checks": results})
	})
}
