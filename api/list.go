package api

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gin-gonic/gin"
)

// listQuery is what every list endpoint reads from its request besides its
// own filters.
type listQuery struct {
	shopID int64
	before int64
	limit  int
	status string
}

// list serves a paged list, newest first: it checks limit, cursor, status
// (one of statuses) and shop, fetches a page and shows each row through
// view, which also gives the row's id for the next cursor.
func list[R any](st AdminStore, statuses []string, fetch func(*gin.Context, listQuery) ([]R, error),
	view func(R) (any, int64)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var q listQuery
		var err error
		q.limit, q.before, err = page(c)
		q.status = c.Query("status")
		switch {
		case err != nil || q.status == "" || slices.Contains(statuses, q.status):
		case len(statuses) == 0:
			err = errBadRequest("this list has no status filter")
		default:
			err = errBadRequest("status must be one of " + strings.Join(statuses, ", "))
		}
		if err == nil {
			q.shopID, err = shopFilter(c, st)
		}
		if err != nil {
			fail(c, err)
			return
		}
		rows, err := fetch(c, q)
		if err != nil {
			fail(c, err)
			return
		}
		items := make([]any, len(rows))
		var last int64
		for i, r := range rows {
			items[i], last = view(r)
		}
		c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": nextCursor(len(rows), q.limit, last)})
	}
}
