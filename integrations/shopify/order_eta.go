package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// An order's ETAs are written twice: as JSON in the backorderd.eta
// metafield, for themes and flows to read, and as backorderd's block of
// the order note, for the merchant.

// etaLine is one waiting line in the backorderd.eta metafield: a stable
// shape for the merchant's themes and flows to read.
type etaLine struct {
	LineID  string `json:"line_id"`
	SKU     string `json:"sku"`
	Waiting int    `json:"waiting"`
	ETA     string `json:"eta"` // YYYY-MM-DD, "" when unknown
	Kind    string `json:"kind"`
}

// etaValue is the metafield's JSON for the order's waiting lines; "" when
// none waits.
func etaValue(o storeapi.Order) string {
	lines := o.WaitingLines()
	if len(lines) == 0 {
		return ""
	}
	out := make([]etaLine, 0, len(lines))
	for _, l := range lines {
		e := etaLine{LineID: l.LineID, SKU: l.SKU, Waiting: l.Waiting, Kind: l.ETAKind}
		if l.ETA != nil {
			e.ETA = l.ETA.UTC().Format(time.DateOnly)
		}
		out = append(out, e)
	}
	b, _ := json.Marshal(out) // a slice of plain structs always encodes
	return string(b)
}

// sameJSON reports whether two JSON texts hold the same value, however
// Shopify respaced or reordered them.
func sameJSON(a, b string) bool {
	var va, vb any
	if json.Unmarshal([]byte(a), &va) != nil || json.Unmarshal([]byte(b), &vb) != nil {
		return a == b
	}
	ja, _ := json.Marshal(va)
	jb, _ := json.Marshal(vb)
	return bytes.Equal(ja, jb)
}

const metafieldsSetMutation = `mutation MetafieldsSet($metafields: [MetafieldsSetInput!]!) {
  metafieldsSet(metafields: $metafields) { metafields { id } userErrors { field message code } }
}`

const metafieldsDeleteMutation = `mutation MetafieldsDelete($metafields: [MetafieldIdentifierInput!]!) {
  metafieldsDelete(metafields: $metafields) { deletedMetafields { key } userErrors { field message } }
}`

// syncMetafield sets backorderd.eta to the waiting lines, or deletes it
// once none waits.
func (c *Client) syncMetafield(ctx context.Context, st *orderState, o storeapi.Order) error {
	want := etaValue(o)
	switch {
	case want == "" && st.Metafield == nil:
		return nil
	case want != "" && st.Metafield != nil && sameJSON(st.Metafield.Value, want):
		return nil
	}
	ident := map[string]any{"ownerId": st.ID, "namespace": MetafieldNamespace, "key": MetafieldKey}
	op, mutation := "metafieldsSet", metafieldsSetMutation
	if want == "" {
		op, mutation = "metafieldsDelete", metafieldsDeleteMutation
	} else {
		ident["type"], ident["value"] = "json", want
	}
	var res map[string]struct {
		UserErrors []userError `json:"userErrors"`
	}
	if err := c.do(ctx, op, mutation, map[string]any{"metafields": []map[string]any{ident}}, &res); err != nil {
		return err
	}
	return userErrors(op, res[op].UserErrors)
}

const orderUpdateMutation = `mutation OrderUpdate($input: OrderInput!) {
  orderUpdate(input: $input) { order { id } userErrors { field message } }
}`

// syncNote writes backorderd's block of the order note, keeping the
// merchant's own text.
func (c *Client) syncNote(ctx context.Context, st *orderState, o storeapi.Order) error {
	const op = "orderUpdate"
	current := ""
	if st.Note != nil {
		current = *st.Note
	}
	want := withNoteBlock(current, o.Note())
	if want == current {
		return nil
	}
	var res struct {
		R struct {
			UserErrors []userError `json:"userErrors"`
		} `json:"orderUpdate"`
	}
	if err := c.do(ctx, op, orderUpdateMutation, map[string]any{"input": map[string]any{"id": st.ID, "note": want}}, &res); err != nil {
		return err
	}
	return userErrors(op, res.R.UserErrors)
}

// noteBlockStarts are how storeapi.Order.Note's text begins: backorderd's
// block runs from a line starting so to the next blank line.
var noteBlockStarts = []string{"Backordered (backorderd):", "Backorder allocated (backorderd):"}

// withNoteBlock is note with backorderd's block replaced by block (added
// after a blank line when there is none): the merchant's text before and
// after it is kept as it was.
func withNoteBlock(note, block string) string {
	lines := strings.Split(note, "\n")
	start := slices.IndexFunc(lines, func(l string) bool {
		return slices.ContainsFunc(noteBlockStarts, func(p string) bool { return strings.HasPrefix(l, p) })
	})
	if start < 0 {
		if strings.TrimSpace(note) == "" {
			return block
		}
		return strings.TrimRight(note, "\n ") + "\n\n" + block
	}
	end := start + 1
	for end < len(lines) && strings.TrimSpace(lines[end]) != "" {
		end++
	}
	out := slices.Concat(lines[:start], strings.Split(block, "\n"), lines[end:])
	return strings.Join(out, "\n")
}
