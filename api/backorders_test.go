package api_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func TestABackordersETAIsShownAsADateWithItsKind(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		shopWaitingForAprons(t, s)
		r := adminRouter(t, s)
		_, l := call(t, r, "GET", "/api/v1/backorders", "")
		b := l["items"].([]any)[0].(map[string]any)
		if b["eta"] != nil || b["eta_kind"] != "unknown" {
			t.Errorf("before any ETA: eta = %v, eta_kind = %v, want null and unknown", b["eta"], b["eta_kind"])
		}
		eta := time.Date(2026, 12, 15, 0, 0, 0, 0, time.UTC)
		err := s.InTx(ctx, func(tx *store.Tx) error {
			return tx.SetETAs(ctx, []store.ETAWrite{{BackorderID: int64(b["id"].(float64)), ETA: &eta, Kind: "confirmed"}})
		})
		if err != nil {
			t.Fatal(err)
		}
		_, l = call(t, r, "GET", "/api/v1/backorders", "")
		b = l["items"].([]any)[0].(map[string]any)
		if b["eta"] != "2026-12-15" || b["eta_kind"] != "confirmed" {
			t.Errorf("list: eta = %v, eta_kind = %v, want 2026-12-15 confirmed", b["eta"], b["eta_kind"])
		}
		code, one := call(t, r, "GET", "/api/v1/backorders/"+jsonID(b["id"]), "")
		if got := one["backorder"].(map[string]any); code != http.StatusOK || got["eta"] != "2026-12-15" || got["eta_kind"] != "confirmed" {
			t.Errorf("one: %d %v, want the ETA", code, one)
		}
	})
}

func TestSettingAnItemsTermsGivesItsWaitingLinesAnEstimateAndRemovingThemTakesItAway(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		shop := shopWaitingForAprons(t, s)
		r := adminRouter(t, s)
		code, sp := call(t, r, "POST", "/api/v1/suppliers", `{"name":"Kiln","email":"po@kiln.example","channel":"email","lead_time_days":10}`)
		if code != http.StatusCreated {
			t.Fatalf("create supplier: %d %v", code, sp)
		}
		terms := "/api/v1/items/1517/suppliers/" + jsonID(sp["id"])
		if code, body := call(t, r, "PUT", terms, `{"preferred":true,"unit_cost":"4.00"}`); code != http.StatusOK {
			t.Fatalf("put terms: %d %v", code, body)
		}
		// Today in the shop's zone (UTC) + 10 days' lead + its handling day.
		y, m, d := time.Now().UTC().Date()
		want := time.Date(y, m, d, 0, 0, 0, 0, time.UTC).AddDate(0, 0, 10+shop.HandlingDays).Format(time.DateOnly)
		_, l := call(t, r, "GET", "/api/v1/backorders", "")
		b := l["items"].([]any)[0].(map[string]any)
		if b["eta"] != want || b["eta_kind"] != "estimate" {
			t.Errorf("after terms: eta = %v %v, want %s estimate", b["eta"], b["eta_kind"], want)
		}
		if code, body := call(t, r, "DELETE", terms, ""); code != http.StatusNoContent {
			t.Fatalf("delete terms: %d %v", code, body)
		}
		_, l = call(t, r, "GET", "/api/v1/backorders", "")
		b = l["items"].([]any)[0].(map[string]any)
		if b["eta"] != nil || b["eta_kind"] != "unknown" {
			t.Errorf("after the terms went: eta = %v %v, want null unknown", b["eta"], b["eta_kind"])
		}
	})
}

// shopWaitingForAprons is a shop whose order 48213 has two units of item
// 1517 waiting.
func shopWaitingForAprons(t *testing.T, s *store.Store) store.Shop {
	t.Helper()
	ctx := context.Background()
	shop := shopWithOrder(t, s)
	err := s.InTx(ctx, func(tx *store.Tx) error {
		return tx.WriteBackorders(ctx, shop.ID, "test", []store.BackorderWrite{{OrderID: "48213", LineID: "1",
			ItemID: "1517", Ordered: 2, Backordered: 2, Waiting: 2, Status: "waiting"}})
	})
	if err != nil {
		t.Fatal(err)
	}
	return shop
}
