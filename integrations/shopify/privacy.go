package shopify

import (
	"github.com/backorderd/backorderd/backorder"
	"github.com/backorderd/backorderd/integrations/payload"
)

// decodeCustomerPrivacy is customers/data_request and customers/redact. A
// request that names no customer cannot be served: it is rejected, for an
// operator to answer by hand.
func decodeCustomerPrivacy(d delivery) (backorder.Facts, error) {
	var in struct {
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

// decodeShopRedact is shop/redact: the topic is the whole request, to
// erase every personal datum of the shop.
func decodeShopRedact(delivery) (backorder.Facts, error) {
	return backorder.Facts{Privacy: &backorder.PrivacyRequest{Kind: backorder.ShopRedact}}, nil
}

// decodeUninstalled is app/uninstalled. Its body (the shop) adds nothing,
// and an uninstall must never be lost to the body's shape.
func decodeUninstalled(delivery) (backorder.Facts, error) {
	return backorder.Facts{Uninstalled: true}, nil
}
