package main

import (
	"net/http"
	"strings"
	"testing"
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
