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
	// status is the one status asked for ("": any); statuses every one
	// asked for, on a list that takes several (listAnyOf).
	status   string
	statuses []string
}

// list serves a paged list, newest first: it checks limit, cursor, status
// (one of statuses) and shop, fetches a page and shows each row through
// view, which also gives the row's id for the next cursor.
func list[R any](st AdminStore, statuses []string, fetch func(*gin.Context, listQuery) ([]R, error),
	view func(R) (any, int64)) gin.HandlerFunc {
	return listing(st, statuses, false, fetch, view)
}

// listAnyOf is list for a list whose status filter takes several statuses
// at once: status=held,failed or status=held&status=failed.
func listAnyOf[R any](st AdminStore, statuses []string, fetch func(*gin.Context, listQuery) ([]R, error),
	view func(R) (any, int64)) gin.HandlerFunc {
	return listing(st, statuses, true, fetch, view)
}

func listing[R any](st AdminStore, statuses []string, several bool, fetch func(*gin.Context, listQuery) ([]R, error),
	view func(R) (any, int64)) gin.HandlerFunc {
	return func(c *gin.Context) {
		var q listQuery
		var err error
		q.limit, q.before, err = page(c)
		if err == nil {
			q.statuses, err = statusFilter(c, statuses, several)
		}
		if len(q.statuses) == 1 {
			q.status = q.statuses[0]
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

// statusFilter reads ?status=: every status the query names, each one of
// statuses, in the order first named. A list that takes one status at a
// time refuses several, rather than filter on one of them silently.
func statusFilter(c *gin.Context, statuses []string, several bool) ([]string, error) {
	var asked []string
	for _, v := range c.QueryArray("status") {
		for s := range strings.SplitSeq(v, ",") {
			s = strings.TrimSpace(s)
			switch {
			case s == "":
			case len(statuses) == 0:
				return nil, errBadRequest("this list has no status filter")
			case !slices.Contains(statuses, s):
				return nil, errBadRequest("status must be one of " + strings.Join(statuses, ", "))
			case !slices.Contains(asked, s):
				asked = append(asked, s)
			}
		}
	}
	if len(asked) > 1 && !several {
		return nil, errBadRequest("status takes one value on this list, one of " + strings.Join(statuses, ", "))
	}
	return asked, nil
}
