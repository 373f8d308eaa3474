package store

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// Writes that change what a product's sort keys derive from (a variant's
// price or stock, a review) go through the functions below, which refresh
// the keys in the same transaction. They are explicit calls, not ent hooks:
// PlaceOrder and RestockOrder change stock with statements hooks never see,
// and a hook on a bulk update or a delete would need an extra query to learn
// which products it touched, so every such request would send one more
// statement than it does.

// CreateVariant saves c in tx, records its initial stock (if any) as a
// movement by actor, and refreshes its product's keys. A taken SKU is an
// *ent.ConstraintError.
func CreateVariant(ctx context.Context, tx *ent.Tx, c *ent.VariantCreate, actor int) (*ent.Variant, error) {
	v, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create variant: %w", err)
	}
	if v.Stock > 0 {
		if err := recordMovement(ctx, tx, v.ID, v.Stock, "initial stock", actor); err != nil {
			return nil, err
		}
	}
	if err := RefreshProductKeys(ctx, tx, v.ProductID); err != nil {
		return nil, err
	}
	return v, nil
}

// UpdateVariant saves u, built on tx, and refreshes the variant's product's
// keys. A missing variant is an *ent.NotFoundError, a taken SKU an
// *ent.ConstraintError.
func UpdateVariant(ctx context.Context, tx *ent.Tx, u *ent.VariantUpdateOne) (*ent.Variant, error) {
	v, err := u.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update variant: %w", err)
	}
	if err := RefreshProductKeys(ctx, tx, v.ProductID); err != nil {
		return nil, err
	}
	return v, nil
}

// NegativeStockError is AdjustStock's refusal to take stock below zero.
type NegativeStockError struct {
	VariantID, OnHand, Delta int
}

func (e *NegativeStockError) Error() string {
	return fmt.Sprintf("adjust stock of variant %d by %d: would go below zero (%d on hand)", e.VariantID, e.Delta, e.OnHand)
}

// AdjustStock changes variant id's stock by delta with one conditional
// UPDATE, so concurrent adjustments and orders can never take it below
// zero; it records the movement (reason, by actor) and refreshes the
// product's keys. It returns the variant as it is afterwards; a missing
// variant is an *ent.NotFoundError, a delta larger than the stock on hand a
// *NegativeStockError.
func AdjustStock(ctx context.Context, tx *ent.Tx, id, delta int, reason string, actor int) (*ent.Variant, error) {
	n, err := tx.Variant.Update().
		Where(variant.ID(id), variant.StockGTE(-delta)).
		AddStock(delta).
		Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("adjust stock of variant %d: %w", id, err)
	}
	v, err := tx.Variant.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load variant %d: %w", id, err)
	}
	if n == 0 {
		return nil, &NegativeStockError{VariantID: id, OnHand: v.Stock, Delta: delta}
	}
	if err := recordMovement(ctx, tx, id, delta, reason, actor); err != nil {
		return nil, err
	}
	if err := RefreshProductKeys(ctx, tx, v.ProductID); err != nil {
		return nil, err
	}
	return v, nil
}

func recordMovement(ctx context.Context, tx *ent.Tx, variantID, delta int, reason string, actor int) error {
	_, err := tx.StockMovement.Create().
		SetVariantID(variantID).SetDelta(delta).SetReason(reason).SetActorID(actor).
		Save(ctx)
	if err != nil {
		return fmt.Errorf("record stock movement: %w", err)
	}
	return nil
}

// CreateReview saves c, built on tx, and refreshes the product's keys
// (rating_avg). A second review of the product by the same author is an
// *ent.ConstraintError (the (product, author) unique index).
func CreateReview(ctx context.Context, tx *ent.Tx, c *ent.ReviewCreate) (*ent.Review, error) {
	rev, err := c.Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("create review: %w", err)
	}
	if err := RefreshProductKeys(ctx, tx, rev.ProductID); err != nil {
		return nil, err
	}
	return rev, nil
}

// DeleteReview deletes rev in tx and refreshes its product's keys.
func DeleteReview(ctx context.Context, tx *ent.Tx, rev *ent.Review) error {
	if err := tx.Review.DeleteOneID(rev.ID).Exec(ctx); err != nil {
		return fmt.Errorf("delete review %d: %w", rev.ID, err)
	}
	return RefreshProductKeys(ctx, tx, rev.ProductID)
}

// LockCategories locks the categories table against other writers until
// tx ends, so that checking a move for cycles and making it cannot
// interleave with another move (two moves that are each fine could together
// make a cycle). On SQLite it does nothing: BEGIN IMMEDIATE already runs
// one writer at a time.
func LockCategories(ctx context.Context, tx *ent.Tx) error {
	if tx.Dialect() != dialect.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("lock categories: %w", err)
	}
	return nil
}

// LockAdmins returns the IDs of the ADMIN users, locking their rows until
// tx ends (on PostgreSQL; SQLite's BEGIN IMMEDIATE already runs one writer
// at a time), so that two concurrent role changes cannot both see another
// admin left and remove the last one.
func LockAdmins(ctx context.Context, tx *ent.Tx) ([]int, error) {
	admins := tx.User.Query().Where(user.RoleEQ(user.RoleADMIN))
	if tx.Dialect() == dialect.Postgres {
		admins.ForUpdate()
	}
	ids, err := admins.IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock admins: %w", err)
	}
	return ids, nil
}
