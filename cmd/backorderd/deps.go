package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/jobs"
	"github.com/backorderd/backorderd/store"
)

// openStore opens DATABASE_URL, or the embedded SQLite file in the working
// directory when it is unset.
func openStore(cfg config.Config) (*store.Store, error) {
	engine, dsn := string(store.SQLite), config.DefaultSQLitePath
	if cfg.DatabaseURL != "" {
		var err error
		if engine, dsn, err = config.ParseDatabaseURL(cfg.DatabaseURL); err != nil {
			return nil, fmt.Errorf("DATABASE_URL: %w", err)
		}
	}
	return store.Open(engine, dsn)
}

// storeFromEnv loads the configuration and opens its store, for the
// commands that need only the database.
func storeFromEnv(getenv func(string) string) (*store.Store, config.Config, error) {
	cfg, err := config.Load(getenv)
	if err != nil {
		return nil, cfg, err
	}
	st, err := openStore(cfg)
	return st, cfg, err
}

// registerEnvShops registers the shop of a one-shop install from the
// environment. A secret that changed is rotated in: the old one stays
// accepted beside it. EMAIL_FROM, EMAIL_REPLY_TO and MERCHANT_EMAIL apply
// to these shops; mail held for want of a sender goes once EMAIL_FROM gives
// one. With a SendGrid key, every shop still without a sender is warned of.
func registerEnvShops(ctx context.Context, cfg config.Config, st *store.Store, log *slog.Logger) error {
	if cfg.ShopifyShopDomain != "" {
		if err := ensureShop(ctx, st, cfg, store.Shopify, cfg.ShopifyShopDomain, cfg.ShopifyWebhookSecret, log); err != nil {
			return fmt.Errorf("SHOPIFY_SHOP_DOMAIN: %w", err)
		}
	}
	if cfg.WooCommerceStoreURL != "" {
		if err := ensureShop(ctx, st, cfg, store.WooCommerce, cfg.WooCommerceStoreURL, cfg.WooCommerceWebhookSecret, log); err != nil {
			return fmt.Errorf("WOOCOMMERCE_STORE_URL: %w", err)
		}
	}
	if cfg.SendGridAPIKey == "" {
		return nil
	}
	shops, err := st.Shops(ctx)
	if err != nil {
		return err
	}
	for _, s := range shops {
		if s.FromEmail == "" && s.Status == store.ShopActive {
			log.Warn("shop has no sender: its mail is held until one is set (EMAIL_FROM, or backorderd shop set --from)",
				"shop_id", s.ID, "domain", s.Domain)
		}
	}
	return nil
}

func ensureShop(ctx context.Context, st *store.Store, cfg config.Config, platform store.Platform, domain, secret string, log *slog.Logger) error {
	shop, err := st.ShopByDomain(ctx, platform, domain)
	if errors.Is(err, store.ErrNotFound) {
		shop, err = st.AddShop(ctx, store.NewShop(platform, domain, secret))
		if err == nil {
			log.Info("shop registered from the environment", "shop_id", shop.ID, "platform", platform, "domain", shop.Domain)
		}
		if errors.Is(err, store.ErrDuplicate) {
			// Another process started with the same environment registered
			// it first.
			shop, err = st.ShopByDomain(ctx, platform, domain)
		}
	}
	if err != nil {
		return err
	}
	// Under the shop's row lock (replicas start together; an operator may
	// change the shop meanwhile); nothing is written when nothing changes.
	rotated, before := false, shop
	shop, err = st.ModifyShop(ctx, shop.ID, func(sh *store.Shop) error {
		if rotated = sh.WebhookSecret != secret; rotated {
			sh.WebhookSecretPrevious, sh.WebhookSecret = sh.WebhookSecret, secret
		}
		sh.FromEmail = cmp.Or(cfg.EmailFrom, sh.FromEmail)
		sh.ReplyTo = cmp.Or(cfg.EmailReplyTo, sh.ReplyTo)
		sh.MerchantEmail = cmp.Or(cfg.MerchantEmail, sh.MerchantEmail)
		return nil
	})
	if err != nil {
		return err
	}
	if rotated {
		log.Info("shop webhook secret rotated from the environment; the previous one is still accepted",
			"shop_id", shop.ID, "platform", platform, "domain", shop.Domain)
	}
	if shop == before || shop.FromEmail == "" {
		return nil
	}
	r, err := releaseHeld(ctx, st, shop.ID)
	if err == nil && r.Queued+r.Dropped > 0 {
		log.Info("held mail released: the shop has a sender", "shop_id", shop.ID, "queued", r.Queued, "dropped", r.Dropped)
	}
	return err
}

// releaseHeld queues the shop's held mail through the outbox, whose relay
// enqueues it (within RELAY_AFTER and RELAY_INTERVAL).
func releaseHeld(ctx context.Context, st *store.Store, shopID int64) (jobs.Released, error) {
	var r jobs.Released
	err := st.InTx(ctx, func(tx *store.Tx) error {
		var err error
		r, err = jobs.ReleaseHeld(ctx, tx, shopID, time.Now())
		return err
	})
	return r, err
}

// commandStore opens the store of a command that writes to it (shop,
// import): the embedded SQLite file is migrated first, as `run` does; a
// DATABASE_URL must have the schema already. It says which database it
// writes to: without DATABASE_URL that is the file in the working
// directory, and it is easy to write where `run` elsewhere never looks.
func commandStore(ctx context.Context, getenv func(string) string, stdout io.Writer) (*store.Store, error) {
	st, cfg, err := storeFromEnv(getenv)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL == "" {
		_, err = st.Migrate(ctx)
	} else {
		err = st.CheckSchema(ctx)
	}
	if err == nil {
		_, err = fmt.Fprintf(stdout, "database: %s\n", cfg.Database())
	} else {
		err = fmt.Errorf("DATABASE_URL (%s): %w", cfg.Database(), err)
	}
	if err != nil {
		st.Close()
		return nil, err
	}
	return st, nil
}

// newSealer is the sealer of SECRETS_KEY, or nil when it is unset (then no
// shop may have store credentials).
func newSealer(cfg config.Config) (*store.Sealer, error) {
	if cfg.SecretsKey == nil {
		return nil, nil
	}
	s, err := store.NewSealer(cfg.SecretsKey)
	if err != nil {
		return nil, fmt.Errorf("SECRETS_KEY: %w", err)
	}
	return s, nil
}

// checkCredentials refuses to start a process that could not open the
// shops' store credentials: every write-back and poll would fail, one by
// one, long after start-up. It opens one of them with SECRETS_KEY.
func checkCredentials(ctx context.Context, st *store.Store, sealer *store.Sealer) error {
	n, err := st.CountShopCredentials(ctx)
	if err != nil || n == 0 {
		return err
	}
	if sealer == nil {
		return fmt.Errorf("%d shop(s) have store credentials but SECRETS_KEY is not set: "+
			"set the key they were sealed with (or remove them: backorderd shop set ID --clear-credentials)", n)
	}
	if err := st.CheckSealedCredentials(ctx, sealer); err != nil {
		if errors.Is(err, store.ErrUnsealable) {
			return fmt.Errorf("SECRETS_KEY cannot open the shops' store credentials: it is not the key that sealed them: %w", err)
		}
		return err
	}
	return nil
}
