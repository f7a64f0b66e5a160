package woocommercetest

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"
)

// page answers one page of objs as WooCommerce lists do: filtered by
// modified_after (GMT when dates_are_gmt is true, else in the site's
// zone), sorted by orderby and order (default: date, newest first), cut
// by per_page (default 10) and page, with X-WP-Total and X-WP-TotalPages.
func (s *Server) page(w http.ResponseWriter, q url.Values, objs []map[string]any) {
	if after := q.Get("modified_after"); after != "" {
		field := "date_modified"
		zone := siteZone
		if q.Get("dates_are_gmt") == "true" || q.Get("dates_are_gmt") == "1" {
			field, zone = "date_modified_gmt", time.UTC
		}
		since, err := parseDate(after, zone)
		if err != nil {
			s.badRequest(w, "modified_after %q: %v", after, err)
			return
		}
		objs = slices.DeleteFunc(objs, func(o map[string]any) bool {
			at, err := parseDate(fmt.Sprint(o[field]), zone)
			return err != nil || !at.After(since)
		})
	}
	orderby := cmp.Or(q.Get("orderby"), "date")
	key := map[string]string{"date": "date_created_gmt", "modified": "date_modified_gmt"}[orderby]
	slices.SortStableFunc(objs, func(a, b map[string]any) int {
		c := 0
		if key != "" {
			c = cmp.Compare(fmt.Sprint(a[key]), fmt.Sprint(b[key]))
		}
		return cmp.Or(c, cmp.Compare(idOf(a), idOf(b)))
	})
	if cmp.Or(q.Get("order"), "desc") == "desc" {
		slices.Reverse(objs)
	}
	perPage, page := 10, 1
	if v := q.Get("per_page"); v != "" {
		perPage, _ = strconv.Atoi(v)
	}
	if v := q.Get("page"); v != "" {
		page, _ = strconv.Atoi(v)
	}
	pages := (len(objs) + perPage - 1) / perPage
	if page > pages && page > 1 {
		writeError(w, http.StatusBadRequest, "woocommerce_rest_invalid_page_number", "The page number requested is larger than the number of pages available.")
		return
	}
	from, to := min((page-1)*perPage, len(objs)), min(page*perPage, len(objs))
	w.Header().Set("X-WP-Total", strconv.Itoa(len(objs)))
	w.Header().Set("X-WP-TotalPages", strconv.Itoa(pages))
	out := make([]map[string]any, 0, to-from)
	for _, o := range objs[from:to] {
		out = append(out, clone(o))
	}
	writeJSON(w, http.StatusOK, out)
}

// parseDate reads a WordPress date: a zone designator is honoured, a date
// without one is in zone.
func parseDate(s string, zone *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation(gmtLayout, s, zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse date: %w", err)
	}
	return t, nil
}
