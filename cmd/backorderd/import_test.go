package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/backorderd/backorderd/store"
	"github.com/backorderd/backorderd/store/storetest"
)

// importStore makes a database of engine with one shop whose order names
// item 1517 (SKU LW-APRON-CHR), and the environment that points at it.
func importStore(t *testing.T, engine store.Engine) (*store.Store, func(string) string, int64) {
	t.Helper()
	ctx := context.Background()
	name, dsn := storetest.DSN(t, engine)
	st, err := store.Open(name, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	shop := storetest.ShopWithOrder(t, st, "https://larchwood-goods.example/")
	url := dsn
	if engine == store.SQLite {
		url = "sqlite:" + dsn
	}
	return st, func(k string) string { return map[string]string{"DATABASE_URL": url}[k] }, shop.ID
}

func importCLI(getenv func(string) string, what, file string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), []string{"import", what, filepath.Join("..", "..", "testdata", "supply", file)},
		getenv, &out, &out)
	return out.String(), err
}

func TestImportOfGoodFilesAddsThenUpdatesSuppliersAndTerms(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			st, getenv, shopID := importStore(t, engine)
			out, err := importCLI(getenv, "suppliers", "suppliers.csv")
			secret := regexp.MustCompile(`signing secret \(shown once[^)]*\): ([0-9a-f]{64})`).FindStringSubmatch(out)
			if err != nil || !strings.Contains(out, `added supplier 1 "Lakeside Linen" (email)`) || secret == nil {
				t.Fatalf("import suppliers = %v:\n%s\nwant both added and the http supplier's secret shown", err, out)
			}
			sp, err := st.Supplier(ctx, 2)
			if err != nil || sp.Secret != secret[1] || sp.Currency != "EUR" || sp.LeadTimeDays != 21 {
				t.Errorf("Copperworks = %+v (%v), want the secret shown, EUR, 21 days", sp, err)
			}
			out, err = importCLI(getenv, "suppliers", "suppliers.csv")
			if err != nil || !strings.Contains(out, `updated supplier 2 "Copperworks Foundry"`) || strings.Contains(out, "secret") {
				t.Errorf("second import = %v:\n%s\nwant updates and no new secret", err, out)
			}
			if again, _ := st.Supplier(ctx, 2); again.Secret != secret[1] {
				t.Error("a second import changed the secret")
			}
			out, err = importCLI(getenv, "terms", "terms.csv")
			if err != nil || strings.Count(out, "added terms: shop") != 2 {
				t.Fatalf("import terms = %v:\n%s", err, out)
			}
			terms, err := st.ItemSuppliers(ctx, shopID, "1517")
			if err != nil || len(terms) != 2 || terms[0].SupplierID != 1 || !terms[0].Preferred || terms[0].UnitCost != "12.50" ||
				terms[0].PackSize != 5 || terms[0].MOQ != 10 || terms[0].SafetyStock != 2 || terms[0].LeadTimeDays != nil ||
				terms[1].LeadTimeDays == nil || *terms[1].LeadTimeDays != 30 || terms[1].PackSize != 1 {
				t.Errorf("terms of 1517 = %+v (%v), want the SKU's row preferred and the item id's row as given", terms, err)
			}
			if out, err := importCLI(getenv, "terms", "terms.csv"); err != nil || strings.Count(out, "updated terms") != 2 {
				t.Errorf("second terms import = %v:\n%s", err, out)
			}
		})
	}
}

func TestImportOfABadFileNamesEveryBadRowsLineAndColumnAndAppliesNothing(t *testing.T) {
	for _, engine := range storetest.Engines() {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			st, getenv, shopID := importStore(t, engine)
			_, err := importCLI(getenv, "suppliers", "suppliers-bad.csv")
			for _, want := range []string{"suppliers-bad.csv:3: column url:", "suppliers-bad.csv:4: column lead_time_days:",
				"suppliers-bad.csv:5: column channel:", "3 bad rows; nothing was imported"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("import suppliers-bad = %v, want %q", err, want)
				}
			}
			if sps, _ := st.Suppliers(ctx, 0, 10); len(sps) != 0 {
				t.Errorf("suppliers after a bad file = %+v, want none: not even its good row", sps)
			}
			if _, err := importCLI(getenv, "suppliers", "suppliers.csv"); err != nil {
				t.Fatal(err)
			}
			_, err = importCLI(getenv, "terms", "terms-bad.csv")
			for _, want := range []string{"terms-bad.csv:3: column sku: no item", "terms-bad.csv:4: column supplier: no supplier",
				"terms-bad.csv:5: column unit_cost:", "terms-bad.csv:6: column pack_size:", "terms-bad.csv:7: column preferred:"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("import terms-bad = %v, want %q", err, want)
				}
			}
			if terms, _ := st.ItemSuppliers(ctx, shopID, "1517"); len(terms) != 0 {
				t.Errorf("terms after a bad file = %+v, want none", terms)
			}
		})
	}
}

func TestImportReportsTwentyBadRowsAndCountsTheRest(t *testing.T) {
	t.Chdir(t.TempDir())
	var b strings.Builder
	b.WriteString("name,channel\n")
	for range 25 {
		b.WriteString("Fax Co,fax\n")
	}
	if err := os.WriteFile("many.csv", []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	err := run(context.Background(), []string{"import", "suppliers", "many.csv"}, func(string) string { return "" }, &out, &out)
	if err == nil || strings.Count(err.Error(), "column channel") != 20 || !strings.Contains(err.Error(), "and 5 more") {
		t.Errorf("25 bad rows = %v, want 20 listed and 5 counted", err)
	}
}
