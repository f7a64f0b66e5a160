package shopify

import (
	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// decodeCustomerPrivacy is customers/data_request and customers/redact. A
// request that names no customer cannot be served: it is rejected, for an
// operator to answer by hand. The request names its shop, which must be
// this one.
func decodeCustomerPrivacy(d delivery) (backorder.Facts, error) {
	var in struct {
		shopNamed
		Customer        customerBody `json:"customer"`
		OrdersRequested []payload.ID `json:"orders_requested"`
		OrdersToRedact  []payload.ID `json:"orders_to_redact"`
		DataRequest     struct {
			ID payload.ID `json:"id"`
		} `json:"data_request"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if err := in.check(d); err != nil {
		return backorder.Facts{}, err
	}
	c := in.Customer
	if c.ID == "" && c.Email == "" {
		return backorder.Facts{}, payload.Rejectf(d.topic, "customer has neither id nor email")
	}
	req := &backorder.PrivacyRequest{Kind: backorder.CustomerRedact, Customer: backorder.Customer{ID: string(c.ID), Email: c.Email, Phone: c.Phone}}
	orders := in.OrdersToRedact
	if d.topic == "customers/data_request" {
		req.Kind, req.RequestID, orders = backorder.CustomerDataRequest, string(in.DataRequest.ID), in.OrdersRequested
	}
	for _, id := range orders {
		if id != "" {
			req.OrderIDs = append(req.OrderIDs, string(id))
		}
	}
	return backorder.Facts{Privacy: req}, nil
}

// decodeShopRedact is shop/redact, {shop_id, shop_domain}: erase every
// personal datum of the shop it names, which must be this one.
func decodeShopRedact(d delivery) (backorder.Facts, error) {
	var in shopNamed
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if err := in.check(d); err != nil {
		return backorder.Facts{}, err
	}
	return backorder.Facts{Privacy: &backorder.PrivacyRequest{Kind: backorder.ShopRedact}}, nil
}

// decodeUninstalled is app/uninstalled, whose body is the shop: its id and
// myshopify_domain, which must be this shop's. Nothing else in it is used.
func decodeUninstalled(d delivery) (backorder.Facts, error) {
	var in struct {
		ID              payload.ID `json:"id"`
		MyshopifyDomain string     `json:"myshopify_domain"`
	}
	if err := payload.Decode(d.topic, d.body, &in); err != nil {
		return backorder.Facts{}, err
	}
	if in.ID == "" {
		return backorder.Facts{}, payload.Rejectf(d.topic, "shop has no id")
	}
	if err := checkShop(d, "myshopify_domain", in.MyshopifyDomain); err != nil {
		return backorder.Facts{}, err
	}
	return backorder.Facts{Uninstalled: true}, nil
}

// shopNamed is the shop a privacy request is for.
type shopNamed struct {
	ShopID     payload.ID `json:"shop_id"`
	ShopDomain string     `json:"shop_domain"`
}

// check rejects a request that is not for this shop.
func (s shopNamed) check(d delivery) error {
	if err := checkShop(d, "shop_domain", s.ShopDomain); err != nil {
		return err
	}
	if s.ShopID == "" {
		return payload.Rejectf(d.topic, "body lacks shop_id")
	}
	return nil
}
