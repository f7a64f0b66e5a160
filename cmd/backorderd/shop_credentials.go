package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/backorderd/backorderd/store"
)

// credentialFlags are `shop set`'s flags for a shop's store credentials.
type credentialFlags struct {
	shopifyToken, wooKey, wooSecret *string
	clear                           *bool
}

func newCredentialFlags(fs *flag.FlagSet) *credentialFlags {
	return &credentialFlags{
		shopifyToken: fs.String("shopify-token", "", ""),
		wooKey:       fs.String("woo-key", "", ""),
		wooSecret:    fs.String("woo-secret", "", ""),
		clear:        fs.Bool("clear-credentials", false, ""),
	}
}

// credentialChange is what `shop set` does to a shop's credentials: keep
// them (neither set nor cleared), replace them, or forget them.
type credentialChange struct {
	set   *store.Credentials
	clear bool
}

// change checks the credential flags given against the shop's platform
// and the key, before anything is written. The values never appear in an
// error.
func (f *credentialFlags) change(fs *flag.FlagSet, shop store.Shop, sealer *store.Sealer) (credentialChange, error) {
	given := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { given[fl.Name] = true })
	setting := given["shopify-token"] || given["woo-key"] || given["woo-secret"]
	switch {
	case *f.clear && setting:
		return credentialChange{}, errors.New("--clear-credentials cannot go with --shopify-token, --woo-key or --woo-secret")
	case *f.clear:
		return credentialChange{clear: true}, nil
	case !setting:
		return credentialChange{}, nil
	}
	c := store.Credentials{ShopifyToken: strings.TrimSpace(*f.shopifyToken),
		WooKey: strings.TrimSpace(*f.wooKey), WooSecret: strings.TrimSpace(*f.wooSecret)}
	if err := c.Check(shop.Platform); err != nil {
		var ce *store.CredentialError
		if errors.As(err, &ce) {
			return credentialChange{}, fmt.Errorf("shop %d: %s", shop.ID,
				ce.Named(func(f string) string { return "--" + strings.ReplaceAll(f, "_", "-") }))
		}
		return credentialChange{}, err
	}
	if sealer == nil {
		return credentialChange{}, errors.New("SECRETS_KEY is not set: store credentials are kept sealed with it " +
			"(set it to the base64 of 32 random bytes, for example from `openssl rand -base64 32`, here and for every backorderd process)")
	}
	return credentialChange{set: &c}, nil
}

// apply makes the change and says what it did.
func (c credentialChange) apply(ctx context.Context, st *store.Store, sealer *store.Sealer, shop store.Shop, stdout io.Writer) error {
	switch {
	case c.set != nil:
		if err := st.SetCredentials(ctx, sealer, shop.ID, *c.set); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "shop %d: store credentials set, sealed with SECRETS_KEY; "+
			"`backorderd shop connect %d` registers its webhooks\n", shop.ID, shop.ID)
		return err
	case c.clear:
		if err := st.DeleteShopCredentials(ctx, shop.ID); err != nil {
			return err
		}
		_, err := fmt.Fprintf(stdout, "shop %d: store credentials forgotten; it works on webhooks alone\n", shop.ID)
		return err
	}
	return nil
}

// storeWrites says which writes the shop wants made in its store: all,
// none, or the list of those on.
func storeWrites(shop store.Shop) string {
	on := shop.OnWrites()
	switch len(on) {
	case len(store.StoreWrites):
		return "all"
	case 0:
		return "none"
	}
	return strings.Join(on, ",")
}
