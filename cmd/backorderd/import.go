package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/backorderd/backorderd/api"
	"github.com/backorderd/backorderd/store"
)

const importUsage = `usage:
  backorderd import suppliers FILE.csv
      columns: name,email,channel,url,secret,lead_time_days,currency
  backorderd import terms FILE.csv
      columns: shop,item_id,sku,supplier,supplier_sku,unit_cost,moq,pack_size,lead_time_days,safety_stock,preferred
Every row is checked first: if one is bad, nothing from the file is applied`

// importCommand loads suppliers or items' terms from a CSV file, all rows
// or none, checked by the rules the admin API applies.
func importCommand(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	if len(args) != 2 || (args[0] != "suppliers" && args[0] != "terms") {
		return errors.New(importUsage)
	}
	f, err := readCSV(args[1], map[string][]string{
		"suppliers": {"name", "email", "channel", "url", "secret", "lead_time_days", "currency"},
		"terms": {"shop", "item_id", "sku", "supplier", "supplier_sku", "unit_cost", "moq", "pack_size",
			"lead_time_days", "safety_stock", "preferred"},
	}[args[0]])
	if err != nil {
		return err
	}
	st, err := commandStore(ctx, getenv, stdout)
	if err != nil {
		return err
	}
	defer st.Close()
	if args[0] == "suppliers" {
		return importSuppliers(ctx, st, f, stdout)
	}
	return importTerms(ctx, st, f, stdout)
}

// csvFile is a CSV file read whole: its rows by column name, and the line
// each row starts on.
type csvFile struct {
	name  string
	rows  []map[string]string
	lines []int
	bad   []string // FILE:LINE: column COLUMN: reason
}

// maxReported is how many bad rows an import lists.
const maxReported = 20

// readCSV reads name, whose header must hold only the columns given (in
// any order, some left out).
func readCSV(name string, columns []string) (*csvFile, error) {
	fh, err := os.Open(name) //nolint:gosec // the operator names the file to import
	if err != nil {
		return nil, fmt.Errorf("import: %w", err)
	}
	defer fh.Close()
	r := csv.NewReader(fh)
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: header: %w", name, err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if !slices.Contains(columns, header[i]) {
			return nil, fmt.Errorf("%s:1: column %q is not one of %s", name, header[i], strings.Join(columns, ","))
		}
	}
	f := &csvFile{name: name}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := r.FieldPos(0)
		row := make(map[string]string, len(header))
		for i, h := range header {
			row[h] = strings.TrimSpace(rec[i])
		}
		f.rows = append(f.rows, row)
		f.lines = append(f.lines, line)
	}
	if len(f.rows) == 0 {
		return nil, fmt.Errorf("%s: no rows after the header", name)
	}
	return f, nil
}

// reject notes row i as bad: err's field (a *api.FieldError) names the
// column unless column does.
func (f *csvFile) reject(i int, column string, err error) {
	reason := err.Error()
	var fe *api.FieldError
	if errors.As(err, &fe) {
		reason = fe.Reason
		if column == "" {
			column = fe.Field
		}
	}
	f.bad = append(f.bad, fmt.Sprintf("%s:%d: column %s: %s", f.name, f.lines[i], column, reason))
}

// err is the bad rows, up to maxReported of them, or nil.
func (f *csvFile) err() error {
	if len(f.bad) == 0 {
		return nil
	}
	shown := f.bad[:min(len(f.bad), maxReported)]
	msg := fmt.Sprintf("%s: %d bad rows; nothing was imported:\n%s", f.name, len(f.bad), strings.Join(shown, "\n"))
	if len(f.bad) > maxReported {
		msg += fmt.Sprintf("\n… and %d more", len(f.bad)-maxReported)
	}
	return errors.New(msg)
}

// whole reads a column as a whole number, def when it is empty.
func whole(row map[string]string, column string, def int) (int, error) {
	v := row[column]
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, &api.FieldError{Field: column, Reason: fmt.Sprintf("%q is not a whole number", v)}
	}
	return n, nil
}

// allSuppliers reads every supplier, by name.
func allSuppliers(ctx context.Context, st *store.Store) (map[string]store.Supplier, error) {
	out := map[string]store.Supplier{}
	var after int64
	for {
		page, err := st.Suppliers(ctx, after, 500)
		if err != nil {
			return nil, err
		}
		for _, sp := range page {
			out[sp.Name] = sp
			after = sp.ID
		}
		if len(page) < 500 {
			return out, nil
		}
	}
}
