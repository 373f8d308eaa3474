package shop

import (
	"errors"
	"fmt"
)

// The shop's refusals. Field, where an error has one, names the input at
// fault by the lowerCamel name of the Go field or argument that carried it
// ("slug", "categoryId", "lines[2].variantId"); empty means the refusal is
// about the operation's subject as a whole. Reason is a sentence a person
// can act on. Any other error is a fault (database, driver), not a
// refusal.

// NotFoundError: the row an input names does not exist or may not be seen
// by the caller (the two are not told apart).
type NotFoundError struct {
	Field string
	What  string // "product", "variant", …
}

func (e *NotFoundError) Error() string {
	if e.Field == "" {
		return e.What + " not found"
	}
	return fmt.Sprintf("%s: no %s with this ID", e.Field, e.What)
}

// ConflictError: the change clashes with existing data (a taken slug, SKU
// or email, a second review) or with the row's current state (an order
// that cannot make the transition, the last admin).
type ConflictError struct {
	Field  string
	Reason string
}

func (e *ConflictError) Error() string { return withField(e.Field, e.Reason) }

// InvalidError: an input the shop's rules refuse whatever the data (a
// category moved below itself, a wrong current password).
type InvalidError struct {
	Field  string
	Reason string
}

func (e *InvalidError) Error() string { return withField(e.Field, e.Reason) }

// ForbiddenError: the actor may not make this change.
type ForbiddenError struct {
	Reason string
}

func (e *ForbiddenError) Error() string { return e.Reason }

// NegativeStockError is AdjustStock's refusal to take stock below zero; the
// input at fault is the delta.
type NegativeStockError struct {
	VariantID, OnHand, Delta int
}

func (e *NegativeStockError) Error() string {
	return fmt.Sprintf("adjust stock of variant %d by %d: would go below zero (%d on hand)", e.VariantID, e.Delta, e.OnHand)
}

// StockError is why PlaceOrder took nothing: variants on sale with fewer
// units than wanted.
type StockError struct {
	// Short lists, by ascending variant, the variants that are short.
	Short []Shortage
}

// Shortage is one variant with fewer units on hand than an order wanted.
type Shortage struct {
	VariantID, Requested, Available int
}

func (e *StockError) Error() string {
	return fmt.Sprintf("insufficient stock for %d variants", len(e.Short))
}

// ErrBadCredentials is SignIn's one answer to an unknown email and a wrong
// password alike, so it does not tell whether the email has an account.
var ErrBadCredentials = errors.New("invalid email or password")

func withField(field, msg string) string {
	if field == "" {
		return msg
	}
	return field + ": " + msg
}
