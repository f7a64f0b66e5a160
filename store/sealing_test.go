package store_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func newSealer(t *testing.T, b byte) *store.Sealer {
	t.Helper()
	s, err := store.NewSealer(testKey(b))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestNewSealerTakesOnlyA32ByteKey(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			if _, err := store.NewSealer(make([]byte, n)); err == nil {
				t.Errorf("NewSealer(%d bytes) = nil error, want a refusal", n)
			}
		})
	}
}

func TestSealedCredentialsOpenOnlyWithTheirKeyForTheirShop(t *testing.T) {
	sealer := newSealer(t, 1)
	plain := []byte(`{"shopify_token":"shpat_0123"}`)
	sealed, err := sealer.Seal(7, plain)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := sealer.Seal(7, plain)
	if bytes.Equal(sealed, again) {
		t.Error("two seals of the same credentials are equal, want a fresh nonce each time")
	}
	if bytes.Contains(sealed, []byte("shpat_0123")) {
		t.Error("the sealed form holds the token in the clear")
	}
	if len(sealed) != 1+12+len(plain)+16 || sealed[0] != 1 {
		t.Errorf("sealed = %d bytes, version %d; want version 1, 12-byte nonce, ciphertext and 16-byte tag (%d bytes)",
			len(sealed), sealed[0], 1+12+len(plain)+16)
	}
	if got, err := sealer.Open(7, sealed); err != nil || !bytes.Equal(got, plain) {
		t.Fatalf("Open = %q, %v; want %q", got, err, plain)
	}
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 1
		return b
	}
	tests := []struct {
		name   string
		sealer *store.Sealer
		shopID int64
		sealed []byte
	}{
		{"another key", newSealer(t, 2), 7, sealed},
		{"another shop", sealer, 8, sealed},
		{"another version", sealer, 7, flip(0)},
		{"altered nonce", sealer, 7, flip(1)},
		{"altered ciphertext", sealer, 7, flip(14)},
		{"altered tag", sealer, 7, flip(len(sealed) - 1)},
		{"truncated", sealer, 7, sealed[:20]},
		{"empty", sealer, 7, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.shopID, tt.sealed)
			if !errors.Is(err, store.ErrUnsealable) || got != nil {
				t.Errorf("Open = %q, %v; want nothing and ErrUnsealable", got, err)
			}
		})
	}
}

func TestCredentialsAreKeptSealedAndOpenOnlyForTheirShop(t *testing.T) {
	storetest.Each(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		sealer := newSealer(t, 3)
		shopify, _ := s.AddShop(ctx, store.NewShop(store.Shopify, "sealed.myshopify.com", "s"))
		woo, _ := s.AddShop(ctx, store.NewShop(store.WooCommerce, "https://sealed.example/", "s"))
		if err := s.CheckSealedCredentials(ctx, sealer); err != nil {
			t.Errorf("check with no credentials at all = %v, want nil", err)
		}
		if _, err := s.Credentials(ctx, sealer, shopify.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("credentials of a shop without = %v, want ErrNotFound", err)
		}
		token := store.Credentials{ShopifyToken: "shpat_sealed-token"}
		keys := store.Credentials{WooKey: "ck_sealed", WooSecret: "cs_sealed"}
		if err := s.SetCredentials(ctx, sealer, shopify.ID, token); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCredentials(ctx, sealer, woo.ID, keys); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			id   int64
			want store.Credentials
		}{{shopify.ID, token}, {woo.ID, keys}} {
			got, err := s.Credentials(ctx, sealer, tc.id)
			if err != nil || got != tc.want {
				t.Errorf("credentials of shop %d = %#v, %v; want them as set", tc.id, got, err)
			}
			raw, _ := s.ShopCredentials(ctx, tc.id)
			for _, v := range []string{tc.want.ShopifyToken, tc.want.WooKey, tc.want.WooSecret} {
				if v != "" && bytes.Contains(raw, []byte(v)) {
					t.Errorf("the row of shop %d holds %q in the clear", tc.id, v)
				}
			}
		}
		// The Shopify shop's sealed row copied onto the WooCommerce shop
		// does not open there.
		raw, _ := s.ShopCredentials(ctx, shopify.ID)
		if err := s.SetShopCredentials(ctx, woo.ID, raw); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Credentials(ctx, sealer, woo.ID); !errors.Is(err, store.ErrUnsealable) {
			t.Errorf("credentials copied to another shop: err = %v, want ErrUnsealable", err)
		}
		if err := s.CheckSealedCredentials(ctx, sealer); err != nil {
			t.Errorf("check with the key that sealed them = %v, want nil", err)
		}
		if err := s.CheckSealedCredentials(ctx, newSealer(t, 4)); !errors.Is(err, store.ErrUnsealable) {
			t.Errorf("check with another key = %v, want ErrUnsealable", err)
		}
	})
}

func TestCredentialsNeverShowTheirValues(t *testing.T) {
	c := store.Credentials{ShopifyToken: "shpat_secret1", WooKey: "ck_secret2", WooSecret: "cs_secret3"}
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("connect", "creds", c)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("connect", "creds", c)
	encoded, err := json.Marshal(struct{ C store.Credentials }{c})
	if err != nil {
		t.Fatal(err)
	}
	shown := map[string]string{
		"%v": fmt.Sprintf("%v", c), "%+v": fmt.Sprintf("%+v", c), "%#v": fmt.Sprintf("%#v", c),
		"String": c.String(), "in a struct": fmt.Sprintf("%+v", struct{ C store.Credentials }{c}),
		"pointer": fmt.Sprintf("%v", &c), "error": fmt.Errorf("connect: %v", c).Error(),
		"slog text": text.String(), "slog json": js.String(), "json": string(encoded),
	}
	for how, out := range shown {
		t.Run(how, func(t *testing.T) {
			for _, secret := range []string{"secret1", "secret2", "secret3"} {
				if strings.Contains(out, secret) {
					t.Errorf("%s shows %q: %s", how, secret, out)
				}
			}
			if !strings.Contains(out, "****") {
				t.Errorf("%s = %s, want it to say which credentials are set (****)", how, out)
			}
		})
	}
}

func TestCredentialsFitTheirPlatform(t *testing.T) {
	tests := []struct {
		name     string
		platform store.Platform
		c        store.Credentials
		ok       bool
	}{
		{"shopify token", store.Shopify, store.Credentials{ShopifyToken: "t"}, true},
		{"shopify nothing", store.Shopify, store.Credentials{}, false},
		{"shopify with woo keys", store.Shopify, store.Credentials{WooKey: "k", WooSecret: "s"}, false},
		{"woo pair", store.WooCommerce, store.Credentials{WooKey: "k", WooSecret: "s"}, true},
		{"woo key alone", store.WooCommerce, store.Credentials{WooKey: "k"}, false},
		{"woo secret alone", store.WooCommerce, store.Credentials{WooSecret: "s"}, false},
		{"woo with a shopify token", store.WooCommerce, store.Credentials{ShopifyToken: "t", WooKey: "k", WooSecret: "s"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.c.CheckFor(tt.platform); (err == nil) != tt.ok {
				t.Errorf("CheckFor(%s) = %v, want ok %t", tt.platform, err, tt.ok)
			}
		})
	}
}
