package main

import (
	"context"
	"fmt"
	"io"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/store"
)

// importSuppliers adds or updates (by name) the file's suppliers in one
// transaction, after every row passed the API's rules. A new http
// supplier without a secret gets one, printed once.
func importSuppliers(ctx context.Context, st *store.Store, f *csvFile, stdout io.Writer) error {
	known, err := allSuppliers(ctx, st)
	if err != nil {
		return err
	}
	sps := make([]store.Supplier, 0, len(f.rows))
	generated := map[string]string{}
	firstLine := map[string]int{}
	for i, row := range f.rows {
		sp, err := supplierRow(row)
		if err == nil {
			err = api.CheckSupplier(sp)
		}
		if err != nil {
			f.reject(i, "", err)
			continue
		}
		if line, twice := firstLine[sp.Name]; twice {
			f.reject(i, "name", fmt.Errorf("%q is on line %d too", sp.Name, line))
			continue
		}
		firstLine[sp.Name] = f.lines[i]
		if sp.Channel == store.ChannelHTTP && sp.Secret == "" && known[sp.Name].Secret == "" {
			if sp.Secret, err = api.NewSupplierSecret(); err != nil {
				return err
			}
			generated[sp.Name] = sp.Secret
		}
		sps = append(sps, sp)
	}
	if err := f.err(); err != nil {
		return err
	}
	var stored []store.Supplier
	err = st.InTx(ctx, func(tx *store.Tx) error {
		stored, err = tx.ImportSuppliers(ctx, sps)
		return err
	})
	if err != nil {
		return fmt.Errorf("%s: %w", f.name, err)
	}
	for _, sp := range stored {
		verb := "added"
		if _, ok := known[sp.Name]; ok {
			verb = "updated"
		}
		if _, err := fmt.Fprintf(stdout, "%s supplier %d %q (%s)\n", verb, sp.ID, sp.Name, sp.Channel); err != nil {
			return err
		}
		if s, ok := generated[sp.Name]; ok {
			if _, err := fmt.Fprintf(stdout, "  signing secret (shown once; the supplier signs its callbacks with it): %s\n", s); err != nil {
				return err
			}
		}
	}
	return nil
}

// supplierRow reads a suppliers row; empty columns take the API's defaults.
func supplierRow(row map[string]string) (store.Supplier, error) {
	lead, err := whole(row, "lead_time_days", api.DefaultLeadTimeDays)
	if err != nil {
		return store.Supplier{}, err
	}
	sp := store.Supplier{Name: row["name"], Email: row["email"], Channel: row["channel"], URL: row["url"],
		Secret: row["secret"], LeadTimeDays: lead, Currency: row["currency"]}
	if sp.Currency == "" {
		sp.Currency = api.DefaultCurrency
	}
	return sp, nil
}
