// Package config reads backorderd's settings from the environment once, at
// start-up, and validates them. A malformed value stops start-up with an error
// naming the variable and what it accepts; nothing else in the program reads
// the environment.
package config

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/backorderd/backorderd/integrations/sendgrid"
	"github.com/backorderd/backorderd/store"
)

// Config is the whole of backorderd's configuration.
type Config struct {
	// HTTPAddr is where the receiver, admin API and monitor listen (and, for
	// `work`, where its health endpoints listen).
	HTTPAddr string
	// DatabaseURL is a postgres:// URL, a sqlite: path, or empty for the
	// embedded SQLite file.
	DatabaseURL string
	// RedisURL is a redis:// or rediss:// URL of one server, or a
	// redis-sentinel:// URL of a master Sentinel watches; empty (with
	// RedisClusterURLs) for the embedded in-process Redis.
	RedisURL string
	// RedisClusterURLs are the comma-separated redis:// URLs of a Redis
	// Cluster's nodes, instead of RedisURL.
	RedisClusterURLs string

	SendGridAPIKey string
	SendGridAPIURL string
	// SendGridWebhookKey verifies SendGrid's signed Event Webhook; empty
	// turns POST /webhooks/sendgrid off.
	SendGridWebhookKey string

	// AdminToken guards the admin API and the monitor; empty turns both off.
	AdminToken string
	// MonitorReadOnly shows the monitor without its buttons: queues and
	// tasks can be looked at, not paused, deleted or retried.
	MonitorReadOnly bool

	LogFormat string
	LogLevel  slog.Level

	WorkerConcurrency int
	ShutdownGrace     time.Duration

	// RelayInterval is how often the relays look for rows whose task never
	// reached Redis or was lost there; RelayAfter is how old such a row must
	// be before the relay looks at it. The intervals of periodic tasks
	// (RelayInterval, FullCheckInterval, NoticeWindow, ReorderInterval,
	// ReconcileInterval) are whole seconds: asynq's scheduler has no finer
	// tick.
	RelayInterval time.Duration
	RelayAfter    time.Duration

	// SettleQuiet and SettleMax say when an item's facts have settled: no
	// new fact for SettleQuiet, or SettleMax after the first.
	SettleQuiet time.Duration
	SettleMax   time.Duration
	// FullCheckInterval is how often every item with open lines is
	// recomputed (once per period across all replicas).
	FullCheckInterval time.Duration
	// NoticeWindow is the period merchants' new-backorder notices gather
	// over, and how often customers due a status update are looked for.
	NoticeWindow time.Duration
	// ReorderInterval is how often the supply run reorders what customers
	// wait for (once per period across all replicas).
	ReorderInterval time.Duration

	// MaxBodyBytes bounds a webhook body.
	MaxBodyBytes int64

	// One-shop installs register their shop from the environment.
	ShopifyShopDomain        string
	ShopifyWebhookSecret     string
	WooCommerceStoreURL      string
	WooCommerceWebhookSecret string
	// EmailFrom, EmailReplyTo and MerchantEmail are the sender, reply-to
	// and merchant addresses of the environment's shops.
	EmailFrom     string
	EmailReplyTo  string
	MerchantEmail string

	// SecretsKey seals the shops' store credentials (AES-256-GCM): exactly
	// 32 bytes, given base64-encoded in SECRETS_KEY; nil when unset, and
	// then no shop can have credentials.
	SecretsKey []byte
	// ShopifyAPIKey and ShopifyAPISecret are a public app's client id and
	// secret, for the OAuth install; both or neither.
	ShopifyAPIKey    string
	ShopifyAPISecret string
	// ShopifyAPIBaseURL replaces https://{shop domain} for the Admin API
	// and the OAuth endpoints: for tests and proxies only.
	ShopifyAPIBaseURL string
	// PublicURL is where the stores reach backorderd: the base of the
	// webhook callback URLs and of the OAuth redirect. When it is https,
	// the browser login's cookie is always Secure.
	PublicURL string
	// TrustedProxies are the addresses (IPs or CIDR ranges) of the proxies
	// in front of backorderd whose X-Forwarded-For names the client; empty:
	// none, the client is the connection's address.
	TrustedProxies []string
	// ReconcileInterval is how often each shop with credentials is polled
	// for what changed since its watermark; ReconcileLookback is how far
	// back the first poll of a shop looks.
	ReconcileInterval time.Duration
	ReconcileLookback time.Duration
}

// Defaults, exported so that tests and documentation agree with the code.
const (
	DefaultHTTPAddr          = ":8080"
	DefaultSQLitePath        = "backorderd.db"
	DefaultSendGridAPIURL    = "https://api.sendgrid.com"
	DefaultWorkerConcurrency = 10
	DefaultShutdownGrace     = 25 * time.Second
	DefaultRelayInterval     = 30 * time.Second
	DefaultRelayAfter        = time.Minute
	DefaultMaxBodyBytes      = 10 << 20
	DefaultSettleQuiet       = 5 * time.Second
	DefaultSettleMax         = time.Minute
	DefaultFullCheckInterval = 15 * time.Minute
	DefaultNoticeWindow      = 15 * time.Minute
	DefaultReorderInterval   = 30 * time.Minute
	DefaultReconcileInterval = 10 * time.Minute
	DefaultReconcileLookback = 24 * time.Hour
	minAdminTokenLen         = 16
	// SecretsKeySize is the length of SECRETS_KEY once decoded: an
	// AES-256 key.
	SecretsKeySize = 32
)

// Load reads the configuration through getenv (os.Getenv in production) and
// validates it. The error names every malformed variable, one per line.
func Load(getenv func(string) string) (Config, error) {
	p := parser{getenv: getenv}
	c := Config{
		HTTPAddr:                 p.str("HTTP_ADDR", DefaultHTTPAddr),
		DatabaseURL:              p.str("DATABASE_URL", ""),
		RedisURL:                 p.str("REDIS_URL", ""),
		RedisClusterURLs:         p.str("REDIS_CLUSTER_URLS", ""),
		SendGridAPIKey:           p.str("SENDGRID_API_KEY", ""),
		SendGridAPIURL:           p.str("SENDGRID_API_URL", DefaultSendGridAPIURL),
		SendGridWebhookKey:       p.str("SENDGRID_WEBHOOK_PUBLIC_KEY", ""),
		AdminToken:               p.str("ADMIN_TOKEN", ""),
		MonitorReadOnly:          p.boolean("MONITOR_READ_ONLY"),
		LogFormat:                p.oneOf("LOG_FORMAT", "json", "json", "text"),
		LogLevel:                 p.level("LOG_LEVEL"),
		WorkerConcurrency:        p.intIn("WORKER_CONCURRENCY", DefaultWorkerConcurrency, 1, 1000),
		ShutdownGrace:            p.duration("SHUTDOWN_GRACE", DefaultShutdownGrace, time.Second, 10*time.Minute),
		RelayInterval:            p.period("RELAY_INTERVAL", DefaultRelayInterval, time.Second, time.Hour),
		RelayAfter:               p.duration("RELAY_AFTER", DefaultRelayAfter, 0, 24*time.Hour),
		SettleQuiet:              p.duration("SETTLE_QUIET", DefaultSettleQuiet, 0, 5*time.Minute),
		SettleMax:                p.duration("SETTLE_MAX", DefaultSettleMax, 0, time.Hour),
		FullCheckInterval:        p.period("FULL_CHECK_INTERVAL", DefaultFullCheckInterval, time.Minute, 24*time.Hour),
		NoticeWindow:             p.period("NOTICE_WINDOW", DefaultNoticeWindow, time.Minute, 24*time.Hour),
		ReorderInterval:          p.period("REORDER_INTERVAL", DefaultReorderInterval, time.Second, 24*time.Hour),
		MaxBodyBytes:             int64(p.intIn("WEBHOOK_MAX_BODY_BYTES", DefaultMaxBodyBytes, 1024, 1<<30)),
		ShopifyShopDomain:        p.str("SHOPIFY_SHOP_DOMAIN", ""),
		ShopifyWebhookSecret:     p.str("SHOPIFY_WEBHOOK_SECRET", ""),
		WooCommerceStoreURL:      p.str("WOOCOMMERCE_STORE_URL", ""),
		WooCommerceWebhookSecret: p.str("WOOCOMMERCE_WEBHOOK_SECRET", ""),
		EmailFrom:                p.address("EMAIL_FROM"),
		EmailReplyTo:             p.address("EMAIL_REPLY_TO"),
		MerchantEmail:            p.address("MERCHANT_EMAIL"),
		SecretsKey:               p.key("SECRETS_KEY"),
		ShopifyAPIKey:            p.str("SHOPIFY_API_KEY", ""),
		ShopifyAPISecret:         p.str("SHOPIFY_API_SECRET", ""),
		ShopifyAPIBaseURL:        p.str("SHOPIFY_API_BASE_URL", ""),
		PublicURL:                strings.TrimRight(p.str("PUBLIC_URL", ""), "/"),
		TrustedProxies:           p.addresses("TRUSTED_PROXIES"),
		ReconcileInterval:        p.period("RECONCILE_INTERVAL", DefaultReconcileInterval, time.Second, 24*time.Hour),
		ReconcileLookback:        p.duration("RECONCILE_LOOKBACK", DefaultReconcileLookback, time.Second, 365*24*time.Hour),
	}
	var invalid Error
	if errors.As(c.Validate(), &invalid) {
		p.errs = append(p.errs, invalid...)
	}
	if len(p.errs) > 0 {
		return Config{}, Error(p.errs)
	}
	return c, nil
}

// Error lists every malformed variable on one line.
type Error []error

func (e Error) Error() string {
	parts := make([]string, len(e))
	for i, err := range e {
		parts[i] = err.Error()
	}
	return "invalid configuration: " + strings.Join(parts, "; ")
}

// Unwrap lets errors.Is and errors.As see each variable's error.
func (e Error) Unwrap() []error { return e }

// Validate checks the values that have a shape: addresses, URLs and pairs of
// variables that only make sense together. It returns an Error listing
// every problem, or nil.
func (c Config) Validate() error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.HTTPAddr); err != nil || port == "" {
		bad("HTTP_ADDR", "%q is not host:port (for example :8080 or 127.0.0.1:8080)", c.HTTPAddr)
	}
	if c.DatabaseURL != "" {
		if engine, dsn, err := ParseDatabaseURL(c.DatabaseURL); err != nil {
			bad("DATABASE_URL", "%v", err)
		} else if engine == "sqlite" {
			if err := checkSQLiteFile(dsn); err != nil {
				bad("DATABASE_URL", "%v", err)
			}
		}
	}
	if _, err := c.Redis(); err != nil {
		errs = append(errs, err) // it names the variable
	}
	if u, err := url.Parse(c.SendGridAPIURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		bad("SENDGRID_API_URL", "%q is not an http(s) URL", c.SendGridAPIURL)
	}
	if c.SendGridWebhookKey != "" {
		if _, err := sendgrid.ParsePublicKey(c.SendGridWebhookKey); err != nil {
			bad("SENDGRID_WEBHOOK_PUBLIC_KEY", "%v (want the base64 verification key SendGrid shows for its signed Event Webhook)", err)
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < minAdminTokenLen {
		bad("ADMIN_TOKEN", "must be at least %d characters (or unset to turn the admin API off)", minAdminTokenLen)
	}
	if (c.ShopifyShopDomain == "") != (c.ShopifyWebhookSecret == "") {
		bad("SHOPIFY_SHOP_DOMAIN", "and SHOPIFY_WEBHOOK_SECRET must be set together")
	}
	if c.ShopifyShopDomain != "" {
		if err := store.CheckDomain(store.Shopify, c.ShopifyShopDomain); err != nil {
			bad("SHOPIFY_SHOP_DOMAIN", "%v", err)
		}
	}
	if (c.WooCommerceStoreURL == "") != (c.WooCommerceWebhookSecret == "") {
		bad("WOOCOMMERCE_STORE_URL", "and WOOCOMMERCE_WEBHOOK_SECRET must be set together")
	}
	if c.WooCommerceStoreURL != "" {
		if err := store.CheckDomain(store.WooCommerce, c.WooCommerceStoreURL); err != nil {
			bad("WOOCOMMERCE_STORE_URL", "%v", err)
		}
	}
	errs = append(errs, c.validateStoreAPI()...)
	if len(errs) == 0 {
		return nil
	}
	return Error(errs)
}

// validateStoreAPI checks the settings of the stores' Admin APIs: the key
// that seals credentials, the public app and the URLs.
func (c Config) validateStoreAPI() []error {
	var errs []error
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if c.SecretsKey != nil && len(c.SecretsKey) != SecretsKeySize {
		bad("SECRETS_KEY", "must be the base64 of exactly %d bytes (for example the output of `openssl rand -base64 32`)", SecretsKeySize)
	}
	if (c.ShopifyAPIKey == "") != (c.ShopifyAPISecret == "") {
		bad("SHOPIFY_API_KEY", "and SHOPIFY_API_SECRET must be set together (the public app's client id and secret)")
	}
	if c.ShopifyAPIBaseURL != "" {
		if err := checkBaseURL(c.ShopifyAPIBaseURL, false); err != nil {
			bad("SHOPIFY_API_BASE_URL", "%v", err)
		}
	}
	if c.PublicURL != "" {
		if err := checkBaseURL(c.PublicURL, true); err != nil {
			bad("PUBLIC_URL", "%v", err)
		}
	}
	return errs
}

// checkBaseURL says why raw cannot be the base of URLs: it must be an
// absolute http(s) URL without query or fragment; a public one must be
// https unless it is on this machine.
func checkBaseURL(raw string, public bool) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return fmt.Errorf("%q is not an absolute http(s) URL (for example https://backorderd.example.com)", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.ForceQuery {
		return fmt.Errorf("%q has a query or fragment; want the base URL alone", raw)
	}
	if public && u.Scheme == "http" && !isLocalHost(u.Hostname()) {
		return fmt.Errorf("%q is plain http: the stores send webhooks and Shopify redirects only to https (http is allowed for localhost)", raw)
	}
	return nil
}

func isLocalHost(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// OAuthInstall reports whether the Shopify public app's install is served:
// it needs the app's key and secret, a public URL to come back to and a
// key to seal the tokens it gets.
func (c Config) OAuthInstall() bool {
	return c.ShopifyAPIKey != "" && c.PublicURL != "" && c.SecretsKey != nil
}

// Embedded reports whether this configuration runs on the embedded default
// (SQLite file or in-process Redis) for either server.
func (c Config) Embedded() bool { return c.DatabaseURL == "" || !c.ExternalRedis() }

// Summary is the effective configuration as key/value pairs for the start-up
// log line, with secrets masked.
func (c Config) Summary() []any {
	db := c.Database()
	rd := "embedded in-process Redis (development only, not persistent)"
	if c.RedisURL != "" {
		rd = maskRedis(c.RedisURL)
	}
	cluster := "(unset)"
	if c.RedisClusterURLs != "" {
		rd, cluster = "(unset)", maskClusterURLs(c.RedisClusterURLs)
	}
	return []any{
		"HTTP_ADDR", c.HTTPAddr,
		"DATABASE_URL", db,
		"REDIS_URL", rd,
		"REDIS_CLUSTER_URLS", cluster,
		"SENDGRID_API_KEY", mask(c.SendGridAPIKey),
		"SENDGRID_API_URL", c.SendGridAPIURL,
		"SENDGRID_WEBHOOK_PUBLIC_KEY", mask(c.SendGridWebhookKey),
		"ADMIN_TOKEN", mask(c.AdminToken),
		"MONITOR_READ_ONLY", c.MonitorReadOnly,
		"LOG_FORMAT", c.LogFormat,
		"LOG_LEVEL", c.LogLevel.String(),
		"WORKER_CONCURRENCY", c.WorkerConcurrency,
		"SHUTDOWN_GRACE", c.ShutdownGrace.String(),
		"RELAY_INTERVAL", c.RelayInterval.String(),
		"RELAY_AFTER", c.RelayAfter.String(),
		"SETTLE_QUIET", c.SettleQuiet.String(),
		"SETTLE_MAX", c.SettleMax.String(),
		"FULL_CHECK_INTERVAL", c.FullCheckInterval.String(),
		"NOTICE_WINDOW", c.NoticeWindow.String(),
		"REORDER_INTERVAL", c.ReorderInterval.String(),
		"WEBHOOK_MAX_BODY_BYTES", c.MaxBodyBytes,
		"SHOPIFY_SHOP_DOMAIN", c.ShopifyShopDomain,
		"SHOPIFY_WEBHOOK_SECRET", mask(c.ShopifyWebhookSecret),
		"WOOCOMMERCE_STORE_URL", c.WooCommerceStoreURL,
		"WOOCOMMERCE_WEBHOOK_SECRET", mask(c.WooCommerceWebhookSecret),
		"EMAIL_FROM", c.EmailFrom,
		"EMAIL_REPLY_TO", c.EmailReplyTo,
		"MERCHANT_EMAIL", c.MerchantEmail,
		"SECRETS_KEY", maskKey(c.SecretsKey),
		"SHOPIFY_API_KEY", c.ShopifyAPIKey,
		"SHOPIFY_API_SECRET", mask(c.ShopifyAPISecret),
		"SHOPIFY_API_BASE_URL", c.ShopifyAPIBaseURL,
		"PUBLIC_URL", c.PublicURL,
		"TRUSTED_PROXIES", strings.Join(c.TrustedProxies, ","),
		"RECONCILE_INTERVAL", c.ReconcileInterval.String(),
		"RECONCILE_LOOKBACK", c.ReconcileLookback.String(),
	}
}

// Database names the database this configuration writes to, for people:
// the SQLite file's absolute path, or the PostgreSQL URL with its passwords
// masked.
func (c Config) Database() string {
	if c.DatabaseURL == "" {
		return "embedded SQLite " + absPath(DefaultSQLitePath)
	}
	if engine, path, err := ParseDatabaseURL(c.DatabaseURL); err == nil && engine == "sqlite" {
		return "SQLite " + absPath(path)
	}
	return maskURL(c.DatabaseURL)
}

func absPath(path string) string {
	if abs, err := filepath.Abs(path); err == nil {
		return abs
	}
	return path
}

// ParseDatabaseURL tells the engine of a DATABASE_URL and the data source name
// its driver takes: "postgres" with the URL itself, or "sqlite" with a path.
func ParseDatabaseURL(raw string) (engine, dsn string, err error) {
	switch {
	case strings.HasPrefix(raw, "postgres://"), strings.HasPrefix(raw, "postgresql://"):
		u, err := url.Parse(raw)
		if err != nil {
			return "", "", fmt.Errorf("not a valid URL: %w", redactURLError(err))
		}
		if u.Host == "" {
			return "", "", errors.New("postgres URL has no host (want postgres://user@host:5432/dbname)")
		}
		if strings.Trim(u.Path, "/") == "" {
			return "", "", errors.New("postgres URL has no database name (want postgres://user@host:5432/dbname)")
		}
		// pgx's own parser knows every parameter (sslmode values,
		// certificate files): what it refuses no retry can fix.
		if _, err := pgconn.ParseConfig(raw); err != nil {
			return "", "", fmt.Errorf("not a PostgreSQL URL pgx accepts: %s", parseReason(err))
		}
		return "postgres", raw, nil
	case strings.HasPrefix(raw, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(raw, "sqlite:"), "//")
		if path == "" {
			return "", "", errors.New("sqlite: URL has no file path (want sqlite:/var/lib/backorderd/backorderd.db)")
		}
		return "sqlite", path, nil
	default:
		return "", "", errors.New("must start with postgres://, postgresql:// or sqlite: (or be unset for the embedded SQLite file)")
	}
}

// parseReason is why pgx refused a URL, without the URL (it may hold a
// password).
func parseReason(err error) string {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		if inner := errors.Unwrap(pe); inner != nil {
			return inner.Error()
		}
		return "cannot parse it"
	}
	return err.Error()
}

// checkSQLiteFile says why path cannot be a SQLite file SQLite can create
// or open: its directory must exist.
func checkSQLiteFile(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory (want a file path in it, for example %s)", path, filepath.Join(path, DefaultSQLitePath))
	}
	dir := filepath.Dir(path)
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return fmt.Errorf("the directory %s of the SQLite file does not exist (create it first)", dir)
	}
	return nil
}

// redactURLError drops the URL that net/url quotes in its errors, since it
// may hold a password.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func mask(secret string) string {
	if secret == "" {
		return "(unset)"
	}
	return "****"
}

func maskKey(key []byte) string {
	if key == nil {
		return "(unset)"
	}
	return "****"
}

func maskURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable)"
	}
	if u.User != nil {
		if _, ok := u.User.Password(); ok {
			u.User = url.UserPassword(u.User.Username(), "****")
		}
	}
	u.RawQuery = maskQuery(u.RawQuery)
	return u.Redacted()
}

// maskQuery masks the values of query parameters that hold a password
// (libpq's password and sslpassword), keeping their order and the rest.
func maskQuery(raw string) string {
	if raw == "" {
		return raw
	}
	params := strings.Split(raw, "&")
	for i, kv := range params {
		k, _, _ := strings.Cut(kv, "=")
		if name, err := url.QueryUnescape(k); err != nil || strings.Contains(strings.ToLower(name), "password") {
			params[i] = k + "=****"
		}
	}
	return strings.Join(params, "&")
}

// parser collects every malformed variable so that one start-up reports all.
type parser struct {
	getenv func(string) string
	errs   []error
}

func (p *parser) str(name, def string) string {
	if v := strings.TrimSpace(p.getenv(name)); v != "" {
		return v
	}
	return def
}

func (p *parser) oneOf(name, def string, allowed ...string) string {
	v := strings.ToLower(p.str(name, def))
	for _, a := range allowed {
		if v == a {
			return v
		}
	}
	p.errs = append(p.errs, fmt.Errorf("%s: %q is not one of %s", name, v, strings.Join(allowed, ", ")))
	return def
}

func (p *parser) boolean(name string) bool {
	raw := p.str(name, "false")
	b, err := strconv.ParseBool(raw)
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not true or false", name, raw))
	}
	return b
}

func (p *parser) level(name string) slog.Level {
	v := p.oneOf(name, "info", "debug", "info", "warn", "error")
	var l slog.Level
	_ = l.UnmarshalText([]byte(v)) // oneOf allowed only names slog knows
	return l
}

// addresses reads a comma-separated list of IP addresses and CIDR ranges.
func (p *parser) addresses(name string) []string {
	var out []string
	for part := range strings.SplitSeq(p.str(name, ""), ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		_, _, cidrErr := net.ParseCIDR(part)
		if cidrErr != nil && net.ParseIP(part) == nil {
			p.errs = append(p.errs, fmt.Errorf("%s: %q is not an IP address or CIDR range (for example 10.0.0.0/8,192.0.2.7)", name, part))
			continue
		}
		out = append(out, part)
	}
	return out
}

// SecureCookies tells whether the browser login's cookie is always
// Secure: the browsers reach backorderd at an https PUBLIC_URL.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.PublicURL, "https://") }

// address reads an email address ("Name <a@b>" or a@b) and keeps the
// address alone.
func (p *parser) address(name string) string {
	raw := p.str(name, "")
	if raw == "" {
		return ""
	}
	a, err := mail.ParseAddress(raw)
	if err != nil {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not an email address (for example orders@example.com)", name, raw))
		return ""
	}
	return a.Address
}

// key reads a base64-encoded key (standard or URL alphabet, padded or
// not); its length is checked by Validate. The value never appears in the
// error.
func (p *parser) key(name string) []byte {
	raw := p.str(name, "")
	if raw == "" {
		return nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(raw); err == nil {
			return b
		}
	}
	p.errs = append(p.errs, fmt.Errorf("%s: is not base64 (want the base64 of exactly %d random bytes, for example the output of `openssl rand -base64 32`)", name, SecretsKeySize))
	return nil
}

func (p *parser) intIn(name string, def, lo, hi int) int {
	raw := p.str(name, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(raw)
	if err != nil || n < lo || n > hi {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not a whole number from %d to %d", name, raw, lo, hi))
		return def
	}
	return n
}

// period reads the interval of a periodic task: a duration, as duration
// reads it, of whole seconds. asynq's scheduler ticks in whole seconds,
// and asynq keeps a task's timeout and deadline in whole seconds too: a
// period of 1.5s would tick every 2s, and one of 200ms would be due by a
// deadline asynq rounds down into the past, so that its task failed
// before it ran.
func (p *parser) period(name string, def, lo, hi time.Duration) time.Duration {
	d := p.duration(name, def, lo, hi)
	if d%time.Second != 0 {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not a whole number of seconds (periodic tasks tick in whole seconds)",
			name, p.str(name, "")))
		return def
	}
	return d
}

func (p *parser) duration(name string, def, lo, hi time.Duration) time.Duration {
	raw := p.str(name, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(raw)
	if err != nil || d < lo || d > hi {
		p.errs = append(p.errs, fmt.Errorf("%s: %q is not a duration from %s to %s (for example 30s or 2m)", name, raw, lo, hi))
		return def
	}
	return d
}
