package shopifytest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
)

// operation is a root field the fake answers: handle returns the root
// field's value, or an error for variables of the wrong shape. It runs
// with the server's lock held.
type operation struct {
	root     string
	mutation bool
	handle   func(s *Server, c Call, vars json.RawMessage) (any, error)
}

// operations are the root fields the fake knows, queries and mutations.
var operations = map[string]operation{}

func init() {
	for _, op := range []operation{
		{"webhookSubscriptions", false, (*Server).webhookSubscriptions},
		{"order", false, (*Server).order},
		{"fulfillmentOrder", false, (*Server).fulfillmentOrderQuery},
		{"orders", false, (*Server).ordersPage},
		{"productVariant", false, (*Server).productVariant},
		{"productVariants", false, (*Server).productVariantsPage},
		{"inventoryItem", false, (*Server).inventoryItem},
		{"webhookSubscriptionCreate", true, (*Server).webhookSubscriptionCreate},
		{"webhookSubscriptionUpdate", true, (*Server).webhookSubscriptionUpdate},
		{"webhookSubscriptionDelete", true, (*Server).webhookSubscriptionDelete},
		{"tagsAdd", true, (*Server).tagsAdd},
		{"tagsRemove", true, (*Server).tagsRemove},
		{"fulfillmentOrderHold", true, (*Server).fulfillmentOrderHold},
		{"fulfillmentOrderReleaseHold", true, (*Server).fulfillmentOrderReleaseHold},
		{"metafieldsSet", true, (*Server).metafieldsSet},
		{"metafieldsDelete", true, (*Server).metafieldsDelete},
		{"orderUpdate", true, (*Server).orderUpdate},
		{"productVariantsBulkUpdate", true, (*Server).productVariantsBulkUpdate},
		{"inventoryAdjustQuantities", true, (*Server).inventoryAdjustQuantities},
		{"orderCancel", true, (*Server).orderCancel},
	} {
		operations[op.root] = op
	}
}

// decodeVars decodes variables strictly: a variable the operation does
// not take is the client's mistake.
func decodeVars(vars json.RawMessage, v any) error {
	d := json.NewDecoder(bytes.NewReader(vars))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("decode variables: %w", err)
	}
	return nil
}

// legacy is the digits of a gid of kind ("gid://shopify/Order/12" → "12").
func legacy(kind, gid string) (string, error) {
	id, ok := strings.CutPrefix(gid, "gid://shopify/"+kind+"/")
	if !ok || id == "" || strings.Trim(id, "0123456789") != "" {
		return "", fmt.Errorf("id %q is not a gid://shopify/%s/…", gid, kind)
	}
	return id, nil
}

func gid(kind, id string) string { return "gid://shopify/" + kind + "/" + id }

func ts(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// paging is one connection's page in a request: how many nodes the
// query asks for and after which cursor. A connection the query does not
// page (or does not name) is answered whole.
type paging struct {
	first, offset int
}

// pagingOf reads conn's first: from the query text and, when the query
// passes $after to conn, the cursor in after (the index of the next node,
// as the fake gives it).
func pagingOf(query, conn string, after *string) (paging, error) {
	re := regexp.MustCompile(`\b` + conn + `\(\s*first:\s*(\d+)(\s*,\s*after:\s*\$after)?`)
	m := re.FindStringSubmatch(query)
	if m == nil {
		return paging{first: -1}, nil
	}
	pg := paging{}
	pg.first, _ = strconv.Atoi(m[1])
	if pg.first < 1 || pg.first > 250 {
		return pg, fmt.Errorf("%s(first: %d): want 1..250", conn, pg.first)
	}
	if m[2] != "" && after != nil {
		i, err := strconv.Atoi(strings.TrimPrefix(*after, "cursor:"))
		if err != nil || !strings.HasPrefix(*after, "cursor:") || i < 0 {
			return pg, fmt.Errorf("after %q is not a cursor the fake gave", *after)
		}
		pg.offset = i
	}
	return pg, nil
}

// window is the page's range of n nodes, capped at size when size > 0,
// and its pageInfo.
func (pg paging) window(n, size int) (lo, hi int, info map[string]any) {
	first := pg.first
	if first < 0 {
		first = n
	}
	if size > 0 {
		first = min(first, size)
	}
	lo = min(pg.offset, n)
	hi = min(lo+first, n)
	return lo, hi, map[string]any{"hasNextPage": hi < n, "endCursor": "cursor:" + strconv.Itoa(hi)}
}

// connection is nodes paged as the query asks for conn.
func connection(query, conn string, after *string, nodes []any) (map[string]any, error) {
	pg, err := pagingOf(query, conn, after)
	if err != nil {
		return nil, err
	}
	lo, hi, info := pg.window(len(nodes), 0)
	return map[string]any{"nodes": nodes[lo:hi], "pageInfo": info}, nil
}

// page is a top-level list's page of n nodes: it must name first:, and
// PageSize caps it.
func (s *Server) page(query, conn string, after *string, n int) (lo, hi int, info map[string]any, err error) {
	pg, err := pagingOf(query, conn, after)
	if err != nil {
		return 0, 0, nil, err
	}
	if pg.first < 0 {
		return 0, 0, nil, fmt.Errorf("%s: want first: and after: $after", conn)
	}
	lo, hi, info = pg.window(n, s.PageSize)
	return lo, hi, info, nil
}

// keysetPage is a top-level list's page as Shopify's cursors make it: the
// cursor names the sort key of the last node returned, so a node updated
// while a client pages moves behind the cursor and comes again on a later
// page, and none is skipped. keys are the nodes' sort keys, ascending.
// (Offsets, as connection uses for nested lists, skipped an order each time
// a write-back moved one behind the cursor mid-poll.)
func (s *Server) keysetPage(query, conn string, after *string, keys []string) (lo, hi int, info map[string]any, err error) {
	pg, err := pagingOf(query, conn, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	if pg.first < 0 {
		return 0, 0, nil, fmt.Errorf("%s: want first: and after: $after", conn)
	}
	if after != nil {
		last, ok := strings.CutPrefix(*after, "key:")
		if !ok {
			return 0, 0, nil, fmt.Errorf("after %q is not a cursor the fake gave", *after)
		}
		lo = sort.Search(len(keys), func(i int) bool { return keys[i] > last })
	}
	first := pg.first
	if s.PageSize > 0 {
		first = min(first, s.PageSize)
	}
	hi = min(lo+first, len(keys))
	info = map[string]any{"hasNextPage": hi < len(keys), "endCursor": nil}
	if hi > lo {
		info["endCursor"] = "key:" + keys[hi-1]
	} else if after != nil {
		info["endCursor"] = *after
	}
	return lo, hi, info, nil
}

// idKey is a numeric id as a key that sorts as the number does.
func idKey(id string) string {
	return strings.Repeat("0", max(0, 30-len(id))) + id
}
