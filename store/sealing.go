package store

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
)

// Sealer seals a shop's store credentials with SECRETS_KEY (AES-256-GCM)
// before the store keeps them, and opens them again. The sealed form is
// versioned (one byte, then a random 12-byte nonce, then the ciphertext
// and its tag) and bound to its shop: the shop id is additional data, so a
// sealed blob copied to another shop's row does not open.
type Sealer struct {
	aead cipher.AEAD
}

// sealVersion is the first byte of every sealed blob: the format and
// cipher that made it, so that a later one can be told apart.
const sealVersion byte = 1

// ErrUnsealable is sealed credentials that this key cannot open: another
// SECRETS_KEY sealed them, or they were altered or moved to another shop.
var ErrUnsealable = errors.New("credentials cannot be opened with this SECRETS_KEY (another key sealed them, or they were altered)")

// NewSealer returns a sealer for a 32-byte key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("new sealer: key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	aead, err := cipher.NewGCM(block) // 12-byte nonce, 16-byte tag
	if err != nil {
		return nil, fmt.Errorf("new sealer: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// additionalData binds a sealed blob to its version and shop.
func additionalData(version byte, shopID int64) []byte {
	ad := []byte("backorderd shop credentials\x00")
	ad = append(ad, version)
	return strconv.AppendInt(append(ad, 0), shopID, 10)
}

// Seal encrypts plaintext for the shop.
func (s *Sealer) Seal(shopID int64, plaintext []byte) ([]byte, error) {
	nonce := make([]byte, s.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("seal credentials: %w", err)
	}
	out := make([]byte, 0, 1+len(nonce)+len(plaintext)+s.aead.Overhead())
	out = append(append(out, sealVersion), nonce...)
	return s.aead.Seal(out, nonce, plaintext, additionalData(sealVersion, shopID)), nil
}

// Open decrypts what Seal made for the same shop; ErrUnsealable when this
// key did not seal it for this shop.
func (s *Sealer) Open(shopID int64, sealed []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() {
		return nil, fmt.Errorf("open credentials of shop %d: too short: %w", shopID, ErrUnsealable)
	}
	if sealed[0] != sealVersion {
		return nil, fmt.Errorf("open credentials of shop %d: unknown format version %d: %w", shopID, sealed[0], ErrUnsealable)
	}
	plain, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], additionalData(sealed[0], shopID))
	if err != nil {
		return nil, fmt.Errorf("open credentials of shop %d: %w", shopID, ErrUnsealable)
	}
	return plain, nil
}

// Credentials are a shop's keys to its store's Admin API: a Shopify access
// token, or WooCommerce's REST consumer key and secret. They print, log
// and encode as which of them are set, never their values.
type Credentials struct {
	ShopifyToken string
	WooKey       string
	WooSecret    string
}

// credentialsPlain is how Credentials are sealed: Credentials itself
// encodes masked.
type credentialsPlain struct {
	ShopifyToken string `json:"shopify_token,omitempty"`
	WooKey       string `json:"woo_key,omitempty"`
	WooSecret    string `json:"woo_secret,omitempty"`
}

// Empty reports whether no credential is set.
func (c Credentials) Empty() bool { return c == Credentials{} }

// CheckFor says why the credentials cannot serve a shop of platform: a
// Shopify shop needs its token alone, a WooCommerce shop its key and
// secret together.
func (c Credentials) CheckFor(platform Platform) error {
	switch platform {
	case Shopify:
		if c.ShopifyToken == "" || c.WooKey != "" || c.WooSecret != "" {
			return errors.New("a Shopify shop takes an Admin API access token, and no WooCommerce keys")
		}
	case WooCommerce:
		if c.WooKey == "" || c.WooSecret == "" || c.ShopifyToken != "" {
			return errors.New("a WooCommerce shop takes a consumer key and secret together, and no Shopify token")
		}
	default:
		return fmt.Errorf("unknown platform %q", platform)
	}
	return nil
}

func masked(v string) string {
	if v == "" {
		return "(unset)"
	}
	return "****"
}

// String shows which credentials are set, never their values.
func (c Credentials) String() string {
	return fmt.Sprintf("Credentials{ShopifyToken:%s WooKey:%s WooSecret:%s}",
		masked(c.ShopifyToken), masked(c.WooKey), masked(c.WooSecret))
}

// GoString is String, so that %#v masks too.
func (c Credentials) GoString() string { return c.String() }

// LogValue masks the credentials in slog's output.
func (c Credentials) LogValue() slog.Value {
	return slog.GroupValue(slog.String("shopify_token", masked(c.ShopifyToken)),
		slog.String("woo_key", masked(c.WooKey)), slog.String("woo_secret", masked(c.WooSecret)))
}

// MarshalJSON masks the credentials in any JSON made of them.
func (c Credentials) MarshalJSON() ([]byte, error) {
	return json.Marshal(map[string]string{"shopify_token": masked(c.ShopifyToken),
		"woo_key": masked(c.WooKey), "woo_secret": masked(c.WooSecret)})
}

// SetCredentials seals the shop's credentials and keeps them, replacing
// any it had.
func (s *Store) SetCredentials(ctx context.Context, sealer *Sealer, shopID int64, c Credentials) error {
	plain, err := json.Marshal(credentialsPlain(c))
	if err != nil {
		return fmt.Errorf("encode credentials of shop %d: %w", shopID, err)
	}
	sealed, err := sealer.Seal(shopID, plain)
	if err != nil {
		return err
	}
	return s.SetShopCredentials(ctx, shopID, sealed)
}

// Credentials opens the shop's credentials: ErrNotFound when it has none,
// ErrUnsealable when the sealer's key cannot open them.
func (s *Store) Credentials(ctx context.Context, sealer *Sealer, shopID int64) (Credentials, error) {
	sealed, err := s.ShopCredentials(ctx, shopID)
	if err != nil {
		return Credentials{}, err
	}
	return openCredentials(sealer, shopID, sealed)
}

func openCredentials(sealer *Sealer, shopID int64, sealed []byte) (Credentials, error) {
	plain, err := sealer.Open(shopID, sealed)
	if err != nil {
		return Credentials{}, err
	}
	var p credentialsPlain
	if err := json.Unmarshal(plain, &p); err != nil {
		// The JSON error could quote the plaintext: say only what failed.
		return Credentials{}, fmt.Errorf("decode credentials of shop %d: not the sealed form: %w", shopID, ErrUnsealable)
	}
	return Credentials(p), nil
}

// CheckSealedCredentials opens the oldest shop's sealed credentials with
// sealer, so that a process started with the wrong SECRETS_KEY stops at
// once rather than failing every write-back. No credentials at all is no
// error.
func (s *Store) CheckSealedCredentials(ctx context.Context, sealer *Sealer) error {
	const q = `SELECT shop_id, sealed FROM shop_credentials ORDER BY shop_id LIMIT 1`
	var row struct {
		ShopID int64  `db:"shop_id"`
		Sealed []byte `db:"sealed"`
	}
	err := s.db.GetContext(ctx, &row, q)
	if errors.Is(translate(err), ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check sealed credentials: %w", translate(err))
	}
	_, err = openCredentials(sealer, row.ShopID, row.Sealed)
	return err
}
