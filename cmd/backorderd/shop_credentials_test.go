package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
)

func shopCLIWith(env map[string]string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"shop"}, args...), func(k string) string { return env[k] }, &out, &out)
	return out.String(), err
}

// listRow is the `shop list` row of the shop with domain, split on blanks
// (a shop without a name: CREDENTIALS is field 5, STORE WRITES 6).
func listRow(t *testing.T, domain string) []string {
	t.Helper()
	out, err := shopCLI("list")
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(out, "\n") {
		if fields := strings.Fields(line); len(fields) > 2 && fields[2] == domain {
			return fields
		}
	}
	t.Fatalf("shop list has no row for %s:\n%s", domain, out)
	return nil
}

func TestShopSetKeepsStoreCredentialsSealedAndListShowsOnlyThatTheyExist(t *testing.T) {
	t.Chdir(t.TempDir())
	key := bytes.Repeat([]byte{9}, 32)
	withKey := map[string]string{"SECRETS_KEY": base64.StdEncoding.EncodeToString(key)}
	const shopify, woo = "creds.myshopify.com", "https://creds.example/"
	if _, err := shopCLI("add", "--platform", "shopify", "--domain", shopify, "--secret", "s1"); err != nil {
		t.Fatal(err)
	}
	if _, err := shopCLI("add", "--platform", "woocommerce", "--domain", woo, "--secret", "s2"); err != nil {
		t.Fatal(err)
	}
	const token, ck, cs = "shpat_cli-token-1", "ck_cli-key-2", "cs_cli-secret-3"
	refused := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no key", nil, []string{"1", "--shopify-token", token}, "SECRETS_KEY is not set"},
		{"token for woocommerce", withKey, []string{"2", "--shopify-token", token}, "--shopify-token is for Shopify shops"},
		{"woo keys for shopify", withKey, []string{"1", "--woo-key", ck, "--woo-secret", cs}, "--woo-key and --woo-secret are for WooCommerce shops"},
		{"woo key alone", withKey, []string{"2", "--woo-key", ck}, "--woo-key and --woo-secret go together"},
		{"woo secret alone", withKey, []string{"2", "--woo-secret", cs}, "--woo-key and --woo-secret go together"},
		{"woo pair swapped", withKey, []string{"2", "--woo-key", cs, "--woo-secret", ck}, "--woo-key and --woo-secret start with ck_ and cs_"},
		{"empty token", withKey, []string{"1", "--shopify-token", " "}, "--shopify-token is empty"},
		{"clear and set", withKey, []string{"1", "--clear-credentials", "--shopify-token", token}, "--clear-credentials cannot go with"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			out, err := shopCLIWith(tt.env, append([]string{"set"}, tt.args...)...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("set %v = %v, want an error containing %q", tt.args, err, tt.want)
			}
			for _, secret := range []string{token, ck, cs} {
				if strings.Contains(err.Error()+out, secret) {
					t.Errorf("the refusal shows %q: %v %s", secret, err, out)
				}
			}
		})
	}
	for _, d := range []string{shopify, woo} {
		if row := listRow(t, d); row[5] != "no" {
			t.Fatalf("after refusals, %s has credentials %q, want no", d, row[5])
		}
	}

	for _, args := range [][]string{{"1", "--shopify-token", token}, {woo, "--woo-key", ck, "--woo-secret", cs}} {
		out, err := shopCLIWith(withKey, append([]string{"set"}, args...)...)
		if err != nil || !strings.Contains(out, "store credentials set") {
			t.Fatalf("set %s = %v, said %q; want credentials set", args[0], err, out)
		}
		if strings.Contains(out, args[2]) {
			t.Errorf("set said the credential: %s", out)
		}
	}
	st, err := store.Open("sqlite", "backorderd.db")
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := store.NewSealer(key)
	ctx := context.Background()
	for id, want := range map[int64]store.Credentials{1: {ShopifyToken: token}, 2: {WooKey: ck, WooSecret: cs}} {
		if got, err := st.Credentials(ctx, sealer, id); err != nil || got != want {
			t.Errorf("shop %d's credentials opened with SECRETS_KEY = %#v, %v; want the ones set", id, got, err)
		}
	}
	st.Close()

	if _, err := shopCLI("set", "2", "--store-writes", "eta,status"); err != nil {
		t.Fatal(err)
	}
	out, _ := shopCLI("list")
	for _, secret := range []string{token, ck, cs} {
		if strings.Contains(out, secret) {
			t.Errorf("shop list shows %q:\n%s", secret, out)
		}
	}
	if !strings.Contains(out, "CREDENTIALS") || !strings.Contains(out, "STORE WRITES") {
		t.Errorf("shop list has no credentials or store writes column:\n%s", out)
	}
	for _, tc := range []struct{ domain, creds, writes string }{{shopify, "yes", "all"}, {woo, "yes", "eta,status"}} {
		if row := listRow(t, tc.domain); row[5] != tc.creds || row[6] != tc.writes {
			t.Errorf("%s: credentials %q, store writes %q; want %q, %q", tc.domain, row[5], row[6], tc.creds, tc.writes)
		}
	}

	// Forgetting them needs no key: it is how a shop whose key is lost
	// gets back to webhooks alone.
	if out, err := shopCLI("set", "1", "--clear-credentials"); err != nil || !strings.Contains(out, "webhooks alone") {
		t.Fatalf("clear = %v, said %q", err, out)
	}
	if row := listRow(t, shopify); row[5] != "no" {
		t.Errorf("after clear: credentials %q, want no", row[5])
	}
	st, _ = store.Open("sqlite", "backorderd.db")
	defer st.Close()
	if _, err := st.ShopCredentials(ctx, 1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after clear: sealed row %v, want none", err)
	}
}
