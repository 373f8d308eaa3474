package shop

import (
	"context"
	"fmt"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/user"
)

// Service runs the shop's operations over one ent client. Give it the
// client of the caller's trust: the API's client carries the viewer's row
// rules, so a customer cannot order a variant they cannot see.
type Service struct {
	client *ent.Client
}

// New returns the shop over client.
func New(client *ent.Client) *Service { return &Service{client: client} }

// Actor is who asks for a change, as far as the shop's own rules care.
type Actor struct {
	ID   int
	Role user.Role
}

// Staff reports whether the actor is STAFF or ADMIN.
func (a Actor) Staff() bool { return a.Role == user.RoleSTAFF || a.Role == user.RoleADMIN }

// inTx runs fn in a transaction of s's client, committed only if fn
// succeeds, and returns fn's result.
func inTx[T any](ctx context.Context, s *Service, fn func(tx *ent.Tx) (T, error)) (T, error) {
	var zero T
	tx, err := s.client.Tx(ctx)
	if err != nil {
		return zero, fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	v, err := fn(tx)
	if err != nil {
		tx.Rollback()
		return zero, err
	}
	if err := tx.Commit(); err != nil {
		// A commit hook (the product keys' refresh) can fail before the
		// database commits: the transaction is then still open.
		tx.Rollback()
		return zero, fmt.Errorf("commit: %w", err)
	}
	return v, nil
}

// notFoundOr turns ent's not-found into a *NotFoundError on field.
func notFoundOr(err error, field, what string) error {
	if ent.IsNotFound(err) {
		return &NotFoundError{Field: field, What: what}
	}
	return err
}

// conflictOr turns a unique-constraint failure into a *ConflictError on
// field (the one unique input the caller wrote), and ent's not-found into
// a *NotFoundError on "id".
func conflictOr(err error, field, reason, what string) error {
	if ent.IsConstraintError(err) {
		return &ConflictError{Field: field, Reason: reason}
	}
	return notFoundOr(err, "id", what)
}

// mustExist checks that get finds a row, reporting a *NotFoundError on
// field otherwise.
func mustExist[T any](ctx context.Context, get func(context.Context, int) (T, error), id int, field, what string) error {
	_, err := get(ctx, id)
	if err != nil && !ent.IsNotFound(err) {
		return fmt.Errorf("load %s %d: %w", what, id, err)
	}
	return notFoundOr(err, field, what)
}
