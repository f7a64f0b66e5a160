package main

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
)

func TestShopAddStoresTheAddressThePlatformSendsWhicheverWayItIsWritten(t *testing.T) {
	tests := []struct {
		platform, domain, want string
	}{
		{"woocommerce", "larchwood-goods.example", "https://larchwood-goods.example/"},
		{"woocommerce", "HTTPS://Larchwood-Goods.example", "https://larchwood-goods.example/"},
		{"shopify", "https://Harbor-Kiln-Supply.myshopify.com/", "harbor-kiln-supply.myshopify.com"},
		{"shopify", "harbor-kiln-supply.myshopify.com/admin", "harbor-kiln-supply.myshopify.com"},
	}
	for _, tt := range tests {
		t.Run(tt.platform+" "+tt.domain, func(t *testing.T) {
			t.Chdir(t.TempDir())
			out, err := shopCLI("add", "--platform", tt.platform, "--domain", tt.domain, "--secret", "s1")
			if err != nil {
				t.Fatalf("add: %v", err)
			}
			if !strings.Contains(out, " "+tt.want) {
				t.Errorf("add said %q, want it to name %s", out, tt.want)
			}
			list, _ := shopCLI("list")
			if !strings.Contains(list, tt.want+" ") {
				t.Errorf("list = %q, want the shop stored as %s", list, tt.want)
			}
			// Written the other way, it is the same shop.
			if _, err := shopCLI("add", "--platform", tt.platform, "--domain", tt.want, "--secret", "s2"); err == nil ||
				!strings.Contains(err.Error(), "already registered") {
				t.Errorf("add of %s after %s = %v, want already registered", tt.want, tt.domain, err)
			}
		})
	}
}

func TestShopAddRefusesAnAddressDeliveriesCannotComeFrom(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, tt := range []struct{ platform, domain, want string }{
		{"shopify", "shop.harbor-kiln.example", "*.myshopify.com"},
		{"woocommerce", "ftp://larchwood-goods.example/", "https://"},
	} {
		_, err := shopCLI("add", "--platform", tt.platform, "--domain", tt.domain, "--secret", "s1")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("add %s %s = %v, want a refusal showing the form %s", tt.platform, tt.domain, err, tt.want)
		}
	}
}

func TestEnvironmentShopsWrittenWithOrWithoutSchemeReceiveDeliveries(t *testing.T) {
	t.Chdir(t.TempDir())
	p := start(t, []string{"run"}, map[string]string{
		"SHOPIFY_SHOP_DOMAIN": "https://" + strings.ToUpper(shopDomain) + "/", "SHOPIFY_WEBHOOK_SECRET": shopifySecret,
		"WOOCOMMERCE_STORE_URL": "larchwood-goods.example", "WOOCOMMERCE_WEBHOOK_SECRET": "fixture-secret-woo-do-not-use",
	})
	p.waitReady(t)
	for _, name := range []string{"shopify/orders-create", "woocommerce/order-created"} {
		if resp := postFixture(t, p.addr, name); resp.StatusCode != http.StatusOK {
			t.Errorf("%s answered %d, want 200", name, resp.StatusCode)
		}
	}
}

func TestShopSetChoosesHowItemsAreReorderedAndHowLongCustomersMayWait(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := shopCLI("add", "--platform", "shopify", "--domain", "reorder.myshopify.com", "--secret", "s1"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--reorder", "hourly"},
		{"--po-approval", "yes"},
		{"--max-wait-days", "-3"},
		{"--max-wait-days", "soon"},
	} {
		if _, err := shopCLI(append([]string{"set", "1"}, args...)...); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("set %v = %v, want an error naming %s", args, err, args[0])
		}
	}
	read := func() store.Shop { return readShop(t, 1) }
	if shop := read(); shop.Reorder != "periodic" || shop.POApproval != "manual" || shop.MaxWaitDays != nil {
		t.Fatalf("defaults = %s %s %v, want periodic, manual, no maximum wait", shop.Reorder, shop.POApproval, shop.MaxWaitDays)
	}
	if _, err := shopCLI("set", "1", "--reorder", "immediate", "--po-approval", "auto", "--max-wait-days", "21"); err != nil {
		t.Fatal(err)
	}
	if shop := read(); shop.Reorder != "immediate" || shop.POApproval != "auto" || shop.MaxWaitDays == nil || *shop.MaxWaitDays != 21 {
		t.Fatalf("after set = %s %s %v, want immediate, auto, 21 days", shop.Reorder, shop.POApproval, shop.MaxWaitDays)
	}
	for _, none := range []string{"none", "0"} {
		if _, err := shopCLI("set", "1", "--max-wait-days", "7"); err != nil {
			t.Fatal(err)
		}
		if _, err := shopCLI("set", "1", "--max-wait-days", none); err != nil {
			t.Fatal(err)
		}
		if shop := read(); shop.MaxWaitDays != nil {
			t.Errorf("--max-wait-days %s left %d days, want none", none, *shop.MaxWaitDays)
		}
	}
}

func TestShopSetChoosesWhatIsWrittenToTheStore(t *testing.T) {
	t.Chdir(t.TempDir())
	if _, err := shopCLI("add", "--platform", "woocommerce", "--domain", "https://writes.example/", "--secret", "s1"); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--store-writes", "tag,colour"},
		{"--customer-note", "maybe"},
		{"--cancel-after-max-wait", "2"},
	} {
		if _, err := shopCLI(append([]string{"set", "1"}, args...)...); err == nil || !strings.Contains(err.Error(), args[0]) {
			t.Errorf("set %v = %v, want an error naming %s", args, err, args[0])
		}
	}
	read := func() store.Shop { return readShop(t, 1) }
	on := func(shop store.Shop) []string {
		var names []string
		for _, w := range store.StoreWrites {
			if shop.Writes(w) {
				names = append(names, w)
			}
		}
		return names
	}
	if shop := read(); len(on(shop)) != len(store.StoreWrites) || shop.CustomerNote || shop.CancelAfterMaxWait {
		t.Fatalf("defaults: writes %v, customer note %t, cancel %t; want every write, no customer note, no cancel",
			on(shop), shop.CustomerNote, shop.CancelAfterMaxWait)
	}
	for _, tc := range []struct {
		arg  string
		want []string
	}{
		{"eta,status", []string{store.WriteETA, store.WriteStatus}},
		{"none", nil},
		{"all", store.StoreWrites},
	} {
		if _, err := shopCLI("set", "1", "--store-writes", tc.arg); err != nil {
			t.Fatal(err)
		}
		if got := on(read()); !slices.Equal(got, tc.want) {
			t.Errorf("--store-writes %s: writes on = %v, want %v", tc.arg, got, tc.want)
		}
	}
	if _, err := shopCLI("set", "1", "--customer-note", "yes", "--cancel-after-max-wait", "yes"); err != nil {
		t.Fatal(err)
	}
	if shop := read(); !shop.CustomerNote || !shop.CancelAfterMaxWait {
		t.Errorf("after set: customer note %t, cancel %t; want both on", shop.CustomerNote, shop.CancelAfterMaxWait)
	}
}

// readShop reads a shop from the embedded default database in the working
// directory.
func readShop(t *testing.T, id int64) store.Shop {
	t.Helper()
	s, err := store.Open("sqlite", "backorderd.db")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	shop, err := s.Shop(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return shop
}
