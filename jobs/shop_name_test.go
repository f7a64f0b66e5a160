package jobs

import (
	"testing"

	"github.com/backorderd/backorderd/store"
)

func TestAShopNobodyNamedIsNamedByItsAddressInMessages(t *testing.T) {
	for _, tt := range []struct {
		shop store.Shop
		want string
	}{
		{store.Shop{Name: "Larchwood Goods", Domain: "https://larchwood-goods.example/"}, "Larchwood Goods"},
		{store.Shop{Domain: "https://larchwood-goods.example/"}, "larchwood-goods.example"},
		{store.Shop{Domain: "harbor-kiln-supply.myshopify.com"}, "harbor-kiln-supply.myshopify.com"},
	} {
		if got := emailShop(tt.shop).Name; got != tt.want {
			t.Errorf("name of %+v = %q, want %q", tt.shop, got, tt.want)
		}
	}
}
