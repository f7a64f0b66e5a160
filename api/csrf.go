package api

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// SameOrigin refuses a state-changing request (anything but GET, HEAD and
// OPTIONS) that a browser sent from another origin. A browser keeps the
// operator's Basic credentials for the monitor and attaches them to any
// request to it, including a form another site's page posts: without this
// check such a page could pause queues or delete tasks.
//
// It is the standard library's check (net/http.CrossOriginProtection):
// Sec-Fetch-Site must be "same-origin" or "none" ("same-site" is refused
// too: a sibling subdomain is another party as far as this service knows);
// a browser too old to send it must send an Origin whose host is the
// request's Host. A request with neither header (curl, a script with a
// bearer token) is not from a browser and passes.
func SameOrigin() gin.HandlerFunc {
	protection := http.NewCrossOriginProtection()
	return func(c *gin.Context) {
		if err := protection.Check(c.Request); err != nil {
			c.Set("refused", "cross-origin")
			c.AbortWithStatusJSON(http.StatusForbidden, errorBody(codeForbidden, "cross-origin request refused: "+err.Error()))
			return
		}
		c.Next()
	}
}
