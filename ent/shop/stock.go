package shop

import (
	"context"
	"fmt"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// Every change of a variant's stock records a stock movement (who, by how
// much, why): the ledger the store is audited by, and what tells ent/store's
// hooks whose product keys to refresh.

const skuTaken = "this SKU is already taken"

// NewVariant is a variant to add to a product, with its initial stock.
type NewVariant struct {
	ProductID   int
	SKU, Title  string
	Price, Cost int64 // minor units
	Stock       int
}

// CreateVariant adds a variant to an existing product ("productId"
// otherwise) and records its initial stock, if any, as a movement by actor.
// A taken SKU is a *ConflictError on "sku".
func (s *Service) CreateVariant(ctx context.Context, actor int, in NewVariant) (*ent.Variant, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Variant, error) {
		if err := mustExist(ctx, tx.Product.Get, in.ProductID, "productId", "product"); err != nil {
			return nil, err
		}
		v, err := tx.Variant.Create().
			SetProductID(in.ProductID).SetSku(in.SKU).SetTitle(in.Title).
			SetPrice(in.Price).SetCost(in.Cost).SetStock(in.Stock).
			Save(ctx)
		if err != nil {
			return nil, conflictOr(err, "sku", skuTaken, "variant")
		}
		if v.Stock > 0 {
			if err := recordMovement(ctx, tx, v.ID, v.Stock, "initial stock", actor); err != nil {
				return nil, err
			}
		}
		return v, nil
	})
}

// VariantChange lists the fields of a variant to change; nil leaves one as
// it is. Stock changes only through AdjustStock and orders.
type VariantChange struct {
	SKU, Title  *string
	Price, Cost *int64
}

// UpdateVariant changes variant id ("id" if it does not exist); a taken SKU
// is a *ConflictError on "sku".
func (s *Service) UpdateVariant(ctx context.Context, id int, in VariantChange) (*ent.Variant, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Variant, error) {
		v, err := tx.Variant.UpdateOneID(id).
			SetNillableSku(in.SKU).SetNillableTitle(in.Title).
			SetNillablePrice(in.Price).SetNillableCost(in.Cost).
			Save(ctx)
		return v, conflictOr(err, "sku", skuTaken, "variant")
	})
}

// AdjustStock changes variant id's stock by delta (a delivery, a count, a
// loss) and records the movement (reason, by actor). It is one conditional
// UPDATE, so concurrent adjustments and orders can never take stock below
// zero: a delta larger than the stock on hand is a *NegativeStockError, a
// missing variant a *NotFoundError on "variantId". It returns the variant
// as it is afterwards.
func (s *Service) AdjustStock(ctx context.Context, actor, id, delta int, reason string) (*ent.Variant, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Variant, error) {
		v, err := tx.Variant.UpdateOneID(id).Where(variant.StockGTE(-delta)).AddStock(delta).Save(ctx)
		if ent.IsNotFound(err) {
			// Missing, or the condition failed: which one decides the answer.
			v, err := tx.Variant.Get(ctx, id)
			if err != nil {
				return nil, notFoundOr(err, "variantId", "variant")
			}
			return nil, &NegativeStockError{VariantID: id, OnHand: v.Stock, Delta: delta}
		}
		if err != nil {
			return nil, fmt.Errorf("adjust stock of variant %d: %w", id, err)
		}
		if err := recordMovement(ctx, tx, id, delta, reason, actor); err != nil {
			return nil, err
		}
		return v, nil
	})
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
