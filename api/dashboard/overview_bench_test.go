package dashboard_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// The overview of a shop with a history: 20,000 orders over 180 days (two
// lines each, over 300 items), a fifth of the lines backordered, those of
// the last two weeks still waiting, two emails an order; and a second shop
// as large, so that every read has to pick its shop's rows.
const (
	benchOrders = 20_000
	benchDays   = 180
	benchItems  = 300
)

func BenchmarkOverview20kOrders(b *testing.B) {
	for _, e := range storetest.Engines() {
		b.Run(string(e), func(b *testing.B) {
			s := storetest.New(b, e)
			var shopID int64
			for _, domain := range []string{"other.myshopify.com", "bench.myshopify.com"} {
				shopID = benchShop(b, s, domain)
			}
			r := router(s, nil)
			path := fmt.Sprintf("/?shop=%d", shopID)
			code, body := get(b, r, path)
			if code != http.StatusOK || !strings.Contains(body, `id="units-waiting">`) {
				b.Fatalf("GET %s = %d", path, code)
			}
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer "+token)
			for b.Loop() {
				rec := httptest.NewRecorder()
				r.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("GET %s = %d", path, rec.Code)
				}
			}
		})
	}
}

// benchShop adds a shop and its history, in bulk, and returns its id.
func benchShop(b *testing.B, s *store.Store, domain string) int64 {
	b.Helper()
	ctx := context.Background()
	shop, err := s.AddShop(ctx, store.NewShop(store.Shopify, domain, "secret"))
	if err != nil {
		b.Fatal(err)
	}
	step := benchDays * 24 * time.Hour / benchOrders
	insert := func(tx *store.Tx, table, columns, row string, rows int, args []any) error {
		if rows == 0 {
			return nil
		}
		values := strings.TrimSuffix(strings.Repeat(row+",", rows), ",")
		_, err := tx.ExecContext(ctx, `INSERT INTO `+table+` (`+columns+`) VALUES `+values, args...)
		return err
	}
	for start := 0; start < benchOrders; start += 500 {
		err := s.InTx(ctx, func(tx *store.Tx) error {
			var orders, lines, backorders, emails []any
			nb := 0
			for i := start; i < start+500; i++ {
				id := fmt.Sprint(i)
				at := now.Add(-time.Duration(benchOrders-i) * step)
				orders = append(orders, shop.ID, id, "#"+id, at, at, at)
				for l := range 2 {
					item := fmt.Sprint((i*7 + l*13) % benchItems)
					lines = append(lines, shop.ID, id, fmt.Sprint(l), item, "SKU-"+item, "Item "+item, 1+i%3, 1+i%3)
					if (i+l)%5 == 0 {
						waiting := 0
						status := "shipped"
						if now.Sub(at) < 14*24*time.Hour {
							waiting, status = 1, "waiting"
						}
						backorders = append(backorders, shop.ID, id, fmt.Sprint(l), item, 1+i%3, 1, waiting, status, at, at)
						nb++
					}
				}
				for k, kind := range []string{"confirmation", "shipped"} {
					status := "sent"
					if i%97 == 0 {
						status = "failed"
					}
					emails = append(emails, shop.ID, kind, fmt.Sprintf("order:%s:%d", id, k), id, "c"+id+"@example.net",
						"Your order "+id, "text", "<p>html</p>", status, at)
				}
			}
			if err := insert(tx, "orders", "shop_id, order_id, name, status, placed_at, store_updated_at, state_at, state_seq",
				"(?, ?, ?, 'open', ?, ?, ?, 0)", 500, orders); err != nil {
				return err
			}
			if err := insert(tx, "order_lines", "shop_id, order_id, line_id, item_id, sku, title, quantity, open_units",
				"(?, ?, ?, ?, ?, ?, ?, ?)", 1000, lines); err != nil {
				return err
			}
			if err := insert(tx, "backorders", "shop_id, order_id, line_id, item_id, ordered, backordered, waiting, status, created_at, updated_at",
				"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", nb, backorders); err != nil {
				return err
			}
			return insert(tx, "emails", "shop_id, kind, dedupe_key, order_id, to_email, subject, text_body, html_body, status, created_at",
				"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 1000, emails)
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return shop.ID
}
