package store

import "strings"

// CredentialError is a store credential given for a shop that cannot
// serve it: Fields are the credentials at fault (shopify_token, woo_key,
// woo_secret), Reason what is wrong, said after their names. It never
// holds a credential's value.
type CredentialError struct {
	Fields []string
	Reason string
}

func (e *CredentialError) Error() string { return e.Named(func(f string) string { return f }) }

// Named says the error with each field named as name says: a flag of
// `backorderd shop set`, a JSON field of the admin API.
func (e *CredentialError) Named(name func(field string) string) string {
	names := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		names[i] = name(f)
	}
	return strings.Join(names, " and ") + " " + e.Reason
}

// Check says why credentials given for a shop of platform cannot serve
// it, as a *CredentialError: the CLI and the admin API both refuse by it.
// Caught here, a swapped WooCommerce pair would otherwise fail every call
// with a 401.
func (c Credentials) Check(platform Platform) error {
	switch platform {
	case Shopify:
		if c.WooKey != "" || c.WooSecret != "" {
			return &CredentialError{[]string{"woo_key", "woo_secret"}, "are for WooCommerce shops; this one is a Shopify shop"}
		}
		if c.ShopifyToken == "" {
			return &CredentialError{[]string{"shopify_token"}, "is empty"}
		}
	case WooCommerce:
		if c.ShopifyToken != "" {
			return &CredentialError{[]string{"shopify_token"}, "is for Shopify shops; this one is a WooCommerce shop"}
		}
		if c.WooKey == "" || c.WooSecret == "" {
			return &CredentialError{[]string{"woo_key", "woo_secret"}, "go together: WooCommerce shows both when it creates the REST API key"}
		}
		if !strings.HasPrefix(c.WooKey, "ck_") || !strings.HasPrefix(c.WooSecret, "cs_") {
			return &CredentialError{[]string{"woo_key", "woo_secret"}, "start with ck_ and cs_ (as WooCommerce shows them)"}
		}
	}
	return c.CheckFor(platform)
}
