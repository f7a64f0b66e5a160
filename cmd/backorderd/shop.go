package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/backorderd/backorderd/config"
	"github.com/backorderd/backorderd/store"
)

const shopUsage = `usage:
  backorderd shop add --platform shopify|woocommerce --domain DOMAIN_OR_STORE_URL --secret SECRET [settings]
  backorderd shop set ID|DOMAIN [--secret NEW_SECRET] [--drop-previous-secret] [--reactivate] [credentials] [settings]
  backorderd shop list
  backorderd shop connect ID|DOMAIN   (register the webhooks in the store: needs store credentials and PUBLIC_URL)
  backorderd shop item-cap ID|DOMAIN ITEM_ID N|none
  backorderd shop clear-bounce ID|DOMAIN ADDRESS   (mail a bounced customer address again)
settings: --name --merchant-email --from --reply-to --time-zone --handling-days
          --policy --incentive --update-every-days --templates '{"kind":"d-…"}'
          --waiting-cap N|none (an item's waiting units before it is at its cap)
          --reorder periodic|immediate (also right after an item's waiting units grow)
          --po-approval manual|auto (drafts wait for approval, or are sent at once)
          --max-wait-days N|none (the customer and the merchant are told when a wait passes it)
          --store-writes all|none|LIST (with store credentials, the writes made: tag,hold,eta,status,selling,stock)
          --customer-note yes|no (WooCommerce's order note is shown to the customer)
          --cancel-after-max-wait yes|no (with credentials, cancel and refund in the store an order past --max-wait-days)
credentials (sealed with SECRETS_KEY, which must be set; they replace any the shop had):
          --shopify-token TOKEN (a Shopify shop's Admin API access token)
          --woo-key ck_… --woo-secret cs_… (a WooCommerce shop's REST API key, Read/Write, both together)
          --clear-credentials (forget them: the shop works on webhooks alone)
--secret on set rotates: the old secret stays accepted until --drop-previous-secret`

// shopCommand registers and configures shops in DATABASE_URL (or the
// embedded SQLite file), which it migrates first like `run` does.
func shopCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) == 0 {
		return errors.New(shopUsage)
	}
	st, err := commandStore(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	defer st.Close()
	switch args[0] {
	case "add":
		return shopAdd(ctx, st, args[1:], stdout)
	case "set":
		cfg, err := config.Load(getenv) // commandStore loaded it once already
		if err != nil {
			return err
		}
		sealer, err := newSealer(cfg)
		if err != nil {
			return err
		}
		return shopSet(ctx, st, sealer, args[1:], stdout)
	case "list":
		return shopList(ctx, st, stdout)
	case "connect":
		deps, closeDeps, err := openStoreDeps(getenv, st)
		if err != nil {
			return err
		}
		defer closeDeps()
		return shopConnect(ctx, st, deps, args[1:], stdout)
	case "item-cap":
		return shopItemCap(ctx, st, args[1:], stdout)
	case "clear-bounce":
		return shopClearBounce(ctx, st, args[1:], stdout)
	default:
		return fmt.Errorf("unknown shop command %q\n%s", args[0], shopUsage)
	}
}

// shopSettings binds the flags every shop command shares; apply copies the
// ones given onto a shop, checked by the rules the admin API uses too
// (store.Shop.Set).
type shopSettings struct {
	fs     *flag.FlagSet
	values map[string]*string
}

// settingFlags maps each settings flag to the shop setting it sets: the
// setting's own name with dashes, but for a few shorter flags.
var settingFlags = func() map[string]string {
	m := map[string]string{}
	for _, name := range store.ShopSettings {
		m[strings.ReplaceAll(name, "_", "-")] = name
	}
	for flagName, setting := range map[string]string{"from": store.SettingFromEmail, "policy": store.SettingBackorderPolicy,
		"update-every-days": store.SettingUpdateCadenceDays, "templates": store.SettingTemplateIDs} {
		delete(m, strings.ReplaceAll(setting, "_", "-"))
		m[flagName] = setting
	}
	return m
}()

func newShopFlags(name string) *shopSettings {
	fs := flag.NewFlagSet("shop "+name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	s := &shopSettings{fs: fs, values: map[string]*string{}}
	for n := range settingFlags {
		s.values[n] = fs.String(n, "", "")
	}
	return s
}

func (s *shopSettings) apply(shop *store.Shop) error {
	var errs []error
	s.fs.Visit(func(f *flag.Flag) {
		v, ok := s.values[f.Name]
		if !ok {
			return
		}
		if err := shop.Set(settingFlags[f.Name], *v); err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", f.Name, err))
		}
	})
	return errors.Join(errs...)
}

func shopAdd(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	s := newShopFlags("add")
	platform := s.fs.String("platform", "", "")
	domain := s.fs.String("domain", "", "")
	secret := s.fs.String("secret", "", "")
	if err := s.fs.Parse(args); err != nil {
		return fmt.Errorf("%w\n%s", err, shopUsage)
	}
	p := store.Platform(*platform)
	if p != store.Shopify && p != store.WooCommerce {
		return errors.New("--platform must be shopify or woocommerce")
	}
	if *domain == "" || *secret == "" {
		return errors.New("--domain and --secret are required")
	}
	if err := store.CheckDomain(p, *domain); err != nil {
		return fmt.Errorf("--domain: %w", err)
	}
	shop := store.NewShop(p, *domain, *secret)
	if err := s.apply(&shop); err != nil {
		return err
	}
	shop, err := st.AddShop(ctx, shop)
	if errors.Is(err, store.ErrDuplicate) {
		return fmt.Errorf("a %s shop %s is already registered; use `backorderd shop set`", p, store.NormalizeDomain(p, *domain))
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "shop %d registered: %s %s\n", shop.ID, shop.Platform, shop.Domain)
	return err
}

func shopSet(ctx context.Context, st *store.Store, sealer *store.Sealer, args []string, stdout io.Writer) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return errors.New(shopUsage)
	}
	shop, err := findShop(ctx, st, args[0])
	if err != nil {
		return err
	}
	s := newShopFlags("set")
	secret := s.fs.String("secret", "", "")
	dropPrevious := s.fs.Bool("drop-previous-secret", false, "")
	reactivate := s.fs.Bool("reactivate", false, "")
	cf := newCredentialFlags(s.fs)
	if err := s.fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w\n%s", err, shopUsage)
	}
	// Changed in one transaction holding the shop's row, as the admin API
	// does: a rotation or a PATCH landing meanwhile is not written over.
	var change credentialChange
	shop, err = st.ModifyShop(ctx, shop.ID, func(sh *store.Shop) error {
		if err := s.apply(sh); err != nil {
			return err
		}
		var err error
		if change, err = cf.change(s.fs, *sh, sealer); err != nil {
			return err
		}
		sh.RotateSecret(*secret)
		if *dropPrevious {
			sh.DropPreviousSecret()
		}
		return nil
	})
	if err != nil {
		return err
	}
	if *reactivate {
		if err := st.ReactivateShop(ctx, shop.ID); err != nil {
			return err
		}
	}
	if err := change.apply(ctx, st, sealer, shop, stdout); err != nil {
		return err
	}
	if _, err = fmt.Fprintf(stdout, "shop %d updated: %s %s\n", shop.ID, shop.Platform, shop.Domain); err != nil || shop.FromEmail == "" {
		return err
	}
	// Mail held for want of a sender goes now that there is one.
	r, err := releaseHeld(ctx, st, shop.ID)
	if err != nil || r.Queued+r.Dropped == 0 {
		return err
	}
	_, err = fmt.Fprintf(stdout, "%d held email(s) queued to send, %d confirmation(s) older than 7 days dropped\n", r.Queued, r.Dropped)
	return err
}

// findShop finds a shop by id, or by domain or store URL on either platform.
func findShop(ctx context.Context, st *store.Store, ref string) (store.Shop, error) {
	if id, err := strconv.ParseInt(ref, 10, 64); err == nil {
		return st.Shop(ctx, id)
	}
	for _, p := range []store.Platform{store.Shopify, store.WooCommerce} {
		shop, err := st.ShopByDomain(ctx, p, ref)
		if err == nil || !errors.Is(err, store.ErrNotFound) {
			return shop, err
		}
	}
	return store.Shop{}, fmt.Errorf("no shop %q; `backorderd shop list` shows them", ref)
}

func shopList(ctx context.Context, st *store.Store, stdout io.Writer) error {
	shops, err := st.Shops(ctx)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "ID\tPLATFORM\tDOMAIN\tNAME\tSTATUS\tSECRETS\tCREDENTIALS\tSTORE WRITES\tMERCHANT EMAIL\tTIME ZONE")
	for _, s := range shops {
		// Whether the shop has credentials, never what they are: the
		// sealed row is not even opened.
		creds := "yes"
		if _, err := st.ShopCredentials(ctx, s.ID); errors.Is(err, store.ErrNotFound) {
			creds = "no"
		} else if err != nil {
			return err
		}
		fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", s.ID, s.Platform, s.Domain, s.Name, s.Status,
			len(s.Secrets()), creds, storeWrites(s), s.MerchantEmail, s.TimeZone)
	}
	return w.Flush()
}

// shopItemCap sets one item's own cap, overriding the shop's.
func shopItemCap(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	if len(args) != 3 {
		return errors.New(shopUsage)
	}
	shop, err := findShop(ctx, st, args[0])
	if err != nil {
		return err
	}
	limit, err := store.ParseCap(args[2])
	if err != nil {
		return err
	}
	if err := st.SetItemCap(ctx, shop.ID, args[1], limit); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "item %s of shop %d: cap set to %s\n", args[1], shop.ID, args[2])
	return err
}

// shopClearBounce lets the shop mail an address that bounced again, once
// the merchant has fixed it.
func shopClearBounce(ctx context.Context, st *store.Store, args []string, stdout io.Writer) error {
	if len(args) != 2 {
		return errors.New(shopUsage)
	}
	shop, err := findShop(ctx, st, args[0])
	if err != nil {
		return err
	}
	cleared, err := st.ClearSuppression(ctx, shop.ID, args[1])
	if err != nil {
		return err
	}
	if !cleared {
		return fmt.Errorf("%s is not suppressed for shop %d", args[1], shop.ID)
	}
	_, err = fmt.Fprintf(stdout, "%s will be mailed again\n", args[1])
	return err
}
