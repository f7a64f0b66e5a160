package shopify

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/backorderd/backorderd/integrations/storeapi"
)

// variantCore is what decodeProduct reads of a variant.
const variantCore = `legacyResourceId title sku inventoryPolicy inventoryQuantity updatedAt`

// changedVariantsQuery asks for 25 variants with up to 10 levels each:
// about 880 of the 1,000 points one query may cost (each level costs 3:
// the level, its location and its quantities).
const changedVariantsQuery = `query ChangedVariants($query: String!, $after: String) {
  productVariants(first: 25, after: $after, query: $query) {
    nodes {
      ` + variantCore + `
      inventoryItem {
        legacyResourceId
        inventoryLevels(first: 10) {
          nodes { updatedAt location { legacyResourceId } quantities(names: ["available"]) { name quantity } }
        }
      }
      product { legacyResourceId title updatedAt }
    }
    pageInfo { hasNextPage endCursor }
  }
}`

// resolveItemQuery reads the item's variant and up to 100 of its
// product's variants, without levels (about 210 points).
const resolveItemQuery = `query ResolveInventoryItem($id: ID!) {
  inventoryItem(id: $id) {
    id
    variant {
      ` + variantCore + ` inventoryItem { legacyResourceId }
      product {
        legacyResourceId title updatedAt
        variants(first: 100) { nodes { ` + variantCore + ` inventoryItem { legacyResourceId } } }
      }
    }
  }
}`

// gqlVariant is a productVariants node.
type gqlVariant struct {
	LegacyResourceID  string  `json:"legacyResourceId"`
	Title             string  `json:"title"`
	SKU               *string `json:"sku"`
	InventoryPolicy   string  `json:"inventoryPolicy"`
	InventoryQuantity *int    `json:"inventoryQuantity"`
	UpdatedAt         string  `json:"updatedAt"`
	InventoryItem     *struct {
		LegacyResourceID string `json:"legacyResourceId"`
		InventoryLevels  struct {
			Nodes []struct {
				UpdatedAt  string    `json:"updatedAt"`
				Location   legacyRef `json:"location"`
				Quantities []struct {
					Name     string `json:"name"`
					Quantity *int   `json:"quantity"`
				} `json:"quantities"`
			} `json:"nodes"`
		} `json:"inventoryLevels"`
	} `json:"inventoryItem"`
	Product *gqlProduct `json:"product"`
}

type gqlProduct struct {
	LegacyResourceID string `json:"legacyResourceId"`
	Title            string `json:"title"`
	UpdatedAt        string `json:"updatedAt"`
}

// restProduct is the REST product of products/update, with the fields
// decodeProduct reads.
type restProduct struct {
	ID        json.Number   `json:"id"`
	Title     string        `json:"title"`
	UpdatedAt string        `json:"updated_at"`
	Variants  []restVariant `json:"variants"`
}

type restVariant struct {
	ID                json.Number  `json:"id"`
	ProductID         json.Number  `json:"product_id"`
	Title             string       `json:"title"`
	SKU               *string      `json:"sku"`
	InventoryItemID   *json.Number `json:"inventory_item_id"`
	InventoryPolicy   string       `json:"inventory_policy"`
	InventoryQuantity *int         `json:"inventory_quantity"`
	UpdatedAt         string       `json:"updated_at"`
}

// restLevel is the body of inventory_levels/update.
type restLevel struct {
	InventoryItemID json.Number `json:"inventory_item_id"`
	LocationID      json.Number `json:"location_id"`
	Available       *int        `json:"available"`
	UpdatedAt       string      `json:"updated_at"`
}

// changedVariants feeds the variants changed since the filter's time as
// one products/update per product (with those variants) and one
// inventory_levels/update per level of each.
func (c *Client) changedVariants(ctx context.Context, filter string, fn func(storeapi.Change) error) error {
	var products []*restProduct
	byID := map[string]*restProduct{}
	var levels []storeapi.Change
	var after *string
	for {
		var data struct {
			Variants struct {
				Nodes    []gqlVariant `json:"nodes"`
				PageInfo pageInfo     `json:"pageInfo"`
			} `json:"productVariants"`
		}
		if err := c.do(ctx, "productVariants", changedVariantsQuery, map[string]any{"query": filter, "after": after}, &data); err != nil {
			return err
		}
		for _, v := range data.Variants.Nodes {
			if v.Product == nil {
				continue
			}
			p := byID[v.Product.LegacyResourceID]
			if p == nil {
				p = &restProduct{ID: json.Number(v.Product.LegacyResourceID), Title: v.Product.Title, UpdatedAt: v.Product.UpdatedAt}
				byID[v.Product.LegacyResourceID] = p
				products = append(products, p)
			}
			p.Variants = append(p.Variants, restVariantOf(v, p.ID))
			ls, err := levelChanges(v)
			if err != nil {
				return err
			}
			levels = append(levels, ls...)
		}
		if !data.Variants.PageInfo.HasNextPage {
			break
		}
		after = &data.Variants.PageInfo.EndCursor
	}
	for _, p := range products {
		ch, err := productChange("poll", *p)
		if err != nil {
			return err
		}
		if err := fn(ch); err != nil {
			return fmt.Errorf("feed product %s: %w", p.ID, err)
		}
	}
	for _, ch := range levels {
		if err := fn(ch); err != nil {
			return fmt.Errorf("feed level %s: %w", ch.DedupeKey, err)
		}
	}
	return nil
}

func restVariantOf(v gqlVariant, productID json.Number) restVariant {
	rv := restVariant{
		ID: json.Number(v.LegacyResourceID), ProductID: productID, Title: v.Title, SKU: v.SKU,
		InventoryPolicy: strings.ToLower(v.InventoryPolicy), InventoryQuantity: v.InventoryQuantity, UpdatedAt: v.UpdatedAt,
	}
	if v.InventoryItem != nil {
		id := json.Number(v.InventoryItem.LegacyResourceID)
		rv.InventoryItemID = &id
	}
	return rv
}

// levelChanges are a variant's levels as inventory_levels/update bodies.
func levelChanges(v gqlVariant) ([]storeapi.Change, error) {
	if v.InventoryItem == nil {
		return nil, nil
	}
	var out []storeapi.Change
	for _, l := range v.InventoryItem.InventoryLevels.Nodes {
		body := restLevel{
			InventoryItemID: json.Number(v.InventoryItem.LegacyResourceID),
			LocationID:      json.Number(l.Location.LegacyResourceID), UpdatedAt: l.UpdatedAt,
		}
		for _, q := range l.Quantities {
			if q.Name == "available" {
				body.Available = q.Quantity
			}
		}
		at, err := parseUpdated("inventoryLevels", l.UpdatedAt)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("encode level: %w", err)
		}
		out = append(out, storeapi.Change{
			Topic: "inventory_levels/update", Body: raw, UpdatedAt: at,
			DedupeKey: "poll:inventory_levels/update:" + string(body.InventoryItemID) + ":" + string(body.LocationID) + ":" +
				at.Format(time.RFC3339Nano) + ":" + stateHash(raw),
		})
	}
	return out, nil
}

// productChange is a products/update delivery of p. Its state is named by
// the latest of its variants' and its own updated_at; how names where it
// came from (poll, resolve), since the two carry different variants.
func productChange(how string, p restProduct) (storeapi.Change, error) {
	latest, err := parseUpdated("product", p.UpdatedAt)
	if err != nil {
		return storeapi.Change{}, err
	}
	for _, v := range p.Variants {
		at, err := parseUpdated("productVariant", v.UpdatedAt)
		if err != nil {
			return storeapi.Change{}, err
		}
		if at.After(latest) {
			latest = at
		}
	}
	raw, err := json.Marshal(p)
	if err != nil {
		return storeapi.Change{}, fmt.Errorf("encode product %s: %w", p.ID, err)
	}
	ids := make([]string, 0, len(p.Variants))
	for _, v := range p.Variants {
		ids = append(ids, string(v.ID))
	}
	return storeapi.Change{
		Topic: "products/update", Body: raw, UpdatedAt: latest,
		DedupeKey: how + ":products/update:" + string(p.ID) + ":" + strings.Join(ids, ",") + ":" + latest.Format(time.RFC3339Nano) +
			":" + stateHash(raw),
	}, nil
}

// parseUpdated reads one of Shopify's DateTime values; "" is the zero
// time.
func parseUpdated(what, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, &storeapi.Error{Op: what, StatusCode: 200, Message: fmt.Sprintf("updatedAt %q is not a time: %v", s, err)}
	}
	return t.UTC(), nil
}

// Resolve reads the product of an inventory item that a stock level named
// before any product webhook mapped it, as a products/update delivery of
// every variant, so that the item is mapped through the normal inbox.
func (c *Client) Resolve(ctx context.Context, stockKey string) (storeapi.Change, error) {
	const op = "inventoryItem"
	if stockKey == "" {
		return storeapi.Change{}, invalid(op, "no inventory item id to resolve")
	}
	var data struct {
		Item *struct {
			Variant *struct {
				gqlVariant
				Product *struct {
					gqlProduct
					Variants struct {
						Nodes []gqlVariant `json:"nodes"`
					} `json:"variants"`
				} `json:"product"`
			} `json:"variant"`
		} `json:"inventoryItem"`
	}
	if err := c.do(ctx, op, resolveItemQuery, map[string]any{"id": gid("InventoryItem", stockKey)}, &data); err != nil {
		return storeapi.Change{}, err
	}
	if data.Item == nil || data.Item.Variant == nil || data.Item.Variant.Product == nil {
		return storeapi.Change{}, notFound(op, "inventory item", stockKey)
	}
	own, gp := data.Item.Variant.gqlVariant, data.Item.Variant.Product
	p := restProduct{ID: json.Number(gp.LegacyResourceID), Title: gp.Title, UpdatedAt: gp.UpdatedAt, Variants: []restVariant{}}
	found := false
	for _, v := range gp.Variants.Nodes {
		found = found || v.LegacyResourceID == own.LegacyResourceID
		p.Variants = append(p.Variants, restVariantOf(v, p.ID))
	}
	if !found { // a product of more than 100 variants
		p.Variants = append(p.Variants, restVariantOf(own, p.ID))
	}
	return productChange("resolve", p)
}
