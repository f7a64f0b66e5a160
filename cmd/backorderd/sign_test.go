package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

func TestSignPrintsTheSignatureHeaderOfTheFixtures(t *testing.T) {
	tests := []struct{ name, platform, secret, header string }{
		{"shopify/orders-create", "shopify", shopifySecret, "X-Shopify-Hmac-Sha256"},
		{"woocommerce/order-created", "woocommerce", "fixture-secret-woo-do-not-use", "X-WC-Webhook-Signature"},
		{"walkthrough/woocommerce/product-updated-variation-restocked", "woocommerce", "fixture-secret-woo-do-not-use", "X-WC-Webhook-Signature"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := run(context.Background(), []string{"sign", "--platform", tt.platform, "--secret", tt.secret,
				filepath.Join(testdata, tt.name+".json")}, func(string) string { return "" }, &out, &out)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := strings.TrimSpace(out.String()), headerOf(t, tt.name, tt.header); got != want {
				t.Errorf("sign printed %q, want %q", got, want)
			}
		})
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"sign", "--platform", "magento", "--secret", "s", "x.json"},
		func(string) string { return "" }, &out, &out); err == nil {
		t.Error("sign for an unknown platform succeeded")
	}
}
