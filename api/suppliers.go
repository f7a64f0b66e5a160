package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/backorderd/backorderd/store"
)

// SupplierStore is the part of the store the supplier and terms
// endpoints use.
type SupplierStore interface {
	AddSupplier(ctx context.Context, sp store.Supplier) (store.Supplier, error)
	UpdateSupplier(ctx context.Context, sp store.Supplier) (store.Supplier, error)
	Supplier(ctx context.Context, id int64) (store.Supplier, error)
	Suppliers(ctx context.Context, afterID int64, limit int) ([]store.Supplier, error)
	SetItemSupplier(ctx context.Context, is store.ItemSupplier) (store.ItemSupplier, error)
	DeleteItemSupplier(ctx context.Context, shopID int64, itemID string, supplierID int64) error
	ItemSuppliers(ctx context.Context, shopID int64, itemID string) ([]store.ItemSupplier, error)
}

// supplierView is a supplier as the API shows it. Secret is shown once:
// in the answer that created (or generated) it.
type supplierView struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	Email        string    `json:"email"`
	Channel      string    `json:"channel"`
	URL          string    `json:"url"`
	Secret       string    `json:"secret,omitempty"`
	LeadTimeDays int       `json:"lead_time_days"`
	Currency     string    `json:"currency"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

func viewSupplier(sp store.Supplier) supplierView {
	return supplierView{ID: sp.ID, Name: sp.Name, Email: sp.Email, Channel: sp.Channel, URL: sp.URL,
		LeadTimeDays: sp.LeadTimeDays, Currency: sp.Currency, CreatedAt: sp.CreatedAt, UpdatedAt: sp.UpdatedAt}
}

// supplierRequest is the body of POST and PATCH: a field left out is not
// changed (PATCH) or takes its default (POST).
type supplierRequest struct {
	Name         *string `json:"name"`
	Email        *string `json:"email"`
	Channel      *string `json:"channel"`
	URL          *string `json:"url"`
	Secret       *string `json:"secret"`
	LeadTimeDays *int    `json:"lead_time_days"`
	Currency     *string `json:"currency"`
}

// apply copies the fields given onto sp, checks the result and, for an
// http supplier without a secret, generates one: generated is then the
// secret to show.
func (r supplierRequest) apply(sp *store.Supplier) (generated string, err error) {
	for _, f := range []struct {
		from *string
		to   *string
	}{{r.Name, &sp.Name}, {r.Email, &sp.Email}, {r.Channel, &sp.Channel}, {r.URL, &sp.URL},
		{r.Secret, &sp.Secret}, {r.Currency, &sp.Currency}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if r.LeadTimeDays != nil {
		sp.LeadTimeDays = *r.LeadTimeDays
	}
	if err := CheckSupplier(*sp); err != nil {
		return "", err
	}
	if sp.Channel == store.ChannelHTTP && sp.Secret == "" {
		if sp.Secret, err = NewSupplierSecret(); err != nil {
			return "", err
		}
		generated = sp.Secret
	}
	return generated, nil
}

// addSupplier serves POST /api/v1/suppliers.
func addSupplier(st SupplierStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		sp := store.Supplier{LeadTimeDays: DefaultLeadTimeDays, Currency: DefaultCurrency}
		saveSupplier(c, sp, st.AddSupplier, http.StatusCreated)
	}
}

// updateSupplier serves PATCH /api/v1/suppliers/{id}: only the fields
// given change. "secret": "" on an http supplier generates a new one.
func updateSupplier(st SupplierStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		sp, err := supplierParam(c, st, "id")
		if err != nil {
			fail(c, err)
			return
		}
		saveSupplier(c, sp, st.UpdateSupplier, http.StatusOK)
	}
}

// saveSupplier applies the request's fields to sp, saves it and answers
// with it, and with its secret when one was generated.
func saveSupplier(c *gin.Context, sp store.Supplier,
	save func(context.Context, store.Supplier) (store.Supplier, error), status int) {
	var req supplierRequest
	err := bindJSON(c, &req)
	var secret string
	if err == nil {
		secret, err = req.apply(&sp)
	}
	if err == nil {
		sp, err = save(c.Request.Context(), sp)
	}
	if errors.Is(err, store.ErrDuplicate) {
		err = errConflict("a supplier named " + strconv.Quote(sp.Name) + " exists")
	}
	if err != nil {
		fail(c, err)
		return
	}
	view := viewSupplier(sp)
	view.Secret = secret
	c.JSON(status, view)
}

// getSupplier serves GET /api/v1/suppliers/{id}.
func getSupplier(st SupplierStore) gin.HandlerFunc {
	return func(c *gin.Context) {
		sp, err := supplierParam(c, st, "id")
		if err != nil {
			fail(c, err)
			return
		}
		c.JSON(http.StatusOK, viewSupplier(sp))
	}
}

// listSuppliers serves GET /api/v1/suppliers, oldest first: suppliers are
// few and change little.
func listSuppliers(st AdminStore) gin.HandlerFunc {
	return list(st, nil, func(c *gin.Context, q listQuery) ([]store.Supplier, error) {
		return st.Suppliers(c.Request.Context(), q.before, q.limit)
	}, func(sp store.Supplier) (any, int64) { return viewSupplier(sp), sp.ID })
}

// supplierParam reads the supplier the path parameter name gives.
func supplierParam(c *gin.Context, st SupplierStore, name string) (store.Supplier, error) {
	id, err := idParam(c, name, "a supplier id")
	if err != nil {
		return store.Supplier{}, err
	}
	sp, err := st.Supplier(c.Request.Context(), id)
	return sp, notFoundAs(err, "no such supplier: "+c.Param(name))
}

// idParam reads the path parameter name as an id.
func idParam(c *gin.Context, name, what string) (int64, error) {
	id, err := strconv.ParseInt(c.Param(name), 10, 64)
	if err != nil || id < 1 {
		return 0, errBadRequest(name + " must be " + what)
	}
	return id, nil
}
