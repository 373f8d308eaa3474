package ent

import (
	"encoding/base64"
	"slices"
	"strconv"

	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/user"
)

// This file is written by hand: what the GraphQL layer reads of an entity
// without a resolver. gqlgen resolves a field bound to a method that takes
// no context and returns no error inline, in its parent's goroutine; a
// resolver costs a goroutine per field per row (about 1,000 for one
// storefront page). So pure derivations of a row — its global ID, its money,
// its stock flag — live here, and gqlgen.yml binds the fields to them.

// GlobalID returns the opaque ID of row id of GraphQL type typ: base64url
// (no padding) of "Type:id". graph/relay decodes it.
func GlobalID(typ string, id int) string {
	return base64.RawURLEncoding.EncodeToString([]byte(typ + ":" + strconv.Itoa(id)))
}

// GlobalID is the category's opaque ID.
func (c *Category) GlobalID() string { return GlobalID("Category", c.ID) }

// GlobalID is the product's opaque ID.
func (p *Product) GlobalID() string { return GlobalID("Product", p.ID) }

// GlobalID is the variant's opaque ID.
func (v *Variant) GlobalID() string { return GlobalID("Variant", v.ID) }

// GlobalID is the review's opaque ID.
func (r *Review) GlobalID() string { return GlobalID("Review", r.ID) }

// GlobalID is the user's opaque ID.
func (u *User) GlobalID() string { return GlobalID("User", u.ID) }

// GlobalID is the order's opaque ID.
func (o *Order) GlobalID() string { return GlobalID("Order", o.ID) }

// GlobalID is the order line's opaque ID.
func (l *OrderLine) GlobalID() string { return GlobalID("OrderLine", l.ID) }

// Money is an amount in minor units (cents) of a currency.
type Money struct {
	Amount       int64
	CurrencyCode string
}

// Money returns amount in the client's currency (the Currency option).
func (c *Client) Money(amount int64) *Money {
	return &Money{Amount: amount, CurrencyCode: c.Currency}
}

// PriceMoney is the variant's price.
func (v *Variant) PriceMoney() *Money { return &Money{v.Price, v.config.Currency} }

// CostMoney is what the variant costs the store.
func (v *Variant) CostMoney() *Money { return &Money{v.Cost, v.config.Currency} }

// InStock reports whether any unit is left.
func (v *Variant) InStock() bool { return v.Stock > 0 }

// UnitPriceMoney is what one unit cost when the order was placed.
func (l *OrderLine) UnitPriceMoney() *Money { return &Money{l.UnitPrice, l.config.Currency} }

// Subtotal is the line's quantity times its unit price.
func (l *OrderLine) Subtotal() *Money {
	return &Money{l.UnitPrice * int64(l.Quantity), l.config.Currency}
}

// UserReadColumns are the user columns the API reads: all but the password
// hash, which only the account code (sign-in, password change) reads, with
// a query of its own.
func UserReadColumns() []string {
	return slices.DeleteFunc(slices.Clone(user.Columns), func(c string) bool { return c == user.FieldPasswordHash })
}

// ProductColumnsWithoutDescription are the product columns but the
// description, the one long text a product list rarely shows.
func ProductColumnsWithoutDescription() []string {
	return slices.DeleteFunc(slices.Clone(product.Columns), func(c string) bool { return c == product.FieldDescription })
}
