package api

import (
	_ "embed"
	"net/http"

	"github.com/gin-gonic/gin"
)

// openAPIDocument describes every route under /api/v1: parameters, bodies,
// answers and errors. It is the one description: the tests check it
// against the routes gin has and against the real answers of each.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPIPath is where the admin API serves its OpenAPI 3.1 document.
const OpenAPIPath = "/api/v1/openapi.json"

// serveOpenAPI serves GET /api/v1/openapi.json.
func serveOpenAPI(c *gin.Context) {
	c.Data(http.StatusOK, "application/json", openAPIDocument)
}
