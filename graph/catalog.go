package graph

import (
	"context"
	"errors"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// Catalog mutations (staff only, by directive). Each runs in one
// transaction; the database's unique and CHECK constraints stay the last
// line of defence behind validation.

// notFound is the error for an ID that names nothing the viewer may see.
func notFound(field, what string) error {
	e := apperr.Invalid(field, "no %s with this ID", what)
	e.Code = apperr.NotFound
	return e
}

func (r *Resolver) createProduct(ctx context.Context, in model.CreateProductInput) (*model.ProductPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	catID, err := relay.IDOf("input.categoryId", "Category", in.CategoryID)
	if err != nil {
		return nil, err
	}
	var p *ent.Product
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.Category.Get(ctx, catID); err != nil {
			return notFoundOr(err, "input.categoryId", "category")
		}
		c := tx.Product.Create().SetSlug(in.Slug).SetTitle(in.Title).SetCategoryID(catID)
		if in.Description != nil {
			c.SetDescription(*in.Description)
		}
		if in.Status != nil {
			c.SetStatus(*in.Status)
		}
		p, err = c.Save(ctx)
		return slugConflict(err)
	})
	if err != nil {
		return nil, err
	}
	return &model.ProductPayload{Product: p}, nil
}

// slugConflict reports a unique-constraint failure as a CONFLICT on the slug
// (the only unique column the caller writes).
func slugConflict(err error) error {
	if ent.IsConstraintError(err) {
		return apperr.Conflicting("input.slug", "this slug is already taken")
	}
	return err
}

func (r *Resolver) updateProduct(ctx context.Context, in model.UpdateProductInput) (*model.ProductPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	id, err := relay.IDOf("input.id", "Product", in.ID)
	if err != nil {
		return nil, err
	}
	var catID int
	if in.CategoryID != nil {
		if catID, err = relay.IDOf("input.categoryId", "Category", *in.CategoryID); err != nil {
			return nil, err
		}
	}
	var p *ent.Product
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		u := tx.Product.UpdateOneID(id)
		if in.Slug != nil {
			u.SetSlug(*in.Slug)
		}
		if in.Title != nil {
			u.SetTitle(*in.Title)
		}
		if in.Description != nil {
			u.SetDescription(*in.Description)
		}
		if in.Status != nil {
			u.SetStatus(*in.Status)
		}
		if in.CategoryID != nil {
			if _, err := tx.Category.Get(ctx, catID); err != nil {
				return notFoundOr(err, "input.categoryId", "category")
			}
			u.SetCategoryID(catID)
		}
		p, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return notFound("input.id", "product")
		}
		return slugConflict(err)
	})
	if err != nil {
		return nil, err
	}
	return &model.ProductPayload{Product: p}, nil
}

// notFoundOr turns ent's not-found into NOT_FOUND on field.
func notFoundOr(err error, field, what string) error {
	if ent.IsNotFound(err) {
		return notFound(field, what)
	}
	return err
}

func (r *Resolver) archiveProduct(ctx context.Context, gid string) (*model.ProductPayload, error) {
	id, err := relay.IDOf("id", "Product", gid)
	if err != nil {
		return nil, err
	}
	var p *ent.Product
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		p, err = tx.Product.UpdateOneID(id).SetStatus(product.StatusARCHIVED).Save(ctx)
		return notFoundOr(err, "id", "product")
	})
	if err != nil {
		return nil, err
	}
	return &model.ProductPayload{Product: p}, nil
}

func (r *Resolver) createVariant(ctx context.Context, in model.CreateVariantInput) (*model.VariantPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	pid, err := relay.IDOf("input.productId", "Product", in.ProductID)
	if err != nil {
		return nil, err
	}
	var v *ent.Variant
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		if _, err := tx.Product.Get(ctx, pid); err != nil {
			return notFoundOr(err, "input.productId", "product")
		}
		c := tx.Variant.Create().
			SetProductID(pid).SetSku(in.Sku).SetTitle(in.Title).
			SetPrice(int64(in.Price)).SetCost(int64(in.Cost)).SetStock(in.Stock)
		v, err = store.CreateVariant(ctx, tx, c, auth.FromContext(ctx).ID)
		if ent.IsConstraintError(err) {
			return apperr.Conflicting("input.sku", "this SKU is already taken")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.VariantPayload{Variant: v}, nil
}

func (r *Resolver) updateVariant(ctx context.Context, in model.UpdateVariantInput) (*model.VariantPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	id, err := relay.IDOf("input.id", "Variant", in.ID)
	if err != nil {
		return nil, err
	}
	var v *ent.Variant
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		u := tx.Variant.UpdateOneID(id)
		if in.Sku != nil {
			u.SetSku(*in.Sku)
		}
		if in.Title != nil {
			u.SetTitle(*in.Title)
		}
		if in.Price != nil {
			u.SetPrice(int64(*in.Price))
		}
		if in.Cost != nil {
			u.SetCost(int64(*in.Cost))
		}
		v, err = store.UpdateVariant(ctx, tx, u)
		if ent.IsConstraintError(err) {
			return apperr.Conflicting("input.sku", "this SKU is already taken")
		}
		return notFoundOr(err, "input.id", "variant")
	})
	if err != nil {
		return nil, err
	}
	return &model.VariantPayload{Variant: v}, nil
}

// adjustStock changes stock (store.AdjustStock: one conditional UPDATE, so
// concurrent adjustments and orders can never take it below zero).
func (r *Resolver) adjustStock(ctx context.Context, in model.AdjustStockInput) (*model.VariantPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	id, err := relay.IDOf("input.variantId", "Variant", in.VariantID)
	if err != nil {
		return nil, err
	}
	actor := auth.FromContext(ctx).ID
	var v *ent.Variant
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		v, err = store.AdjustStock(ctx, tx, id, in.Delta, in.Reason, actor)
		var negative *store.NegativeStockError
		if errors.As(err, &negative) {
			return apperr.Invalid("input.delta", "would take stock below zero (%d on hand)", negative.OnHand)
		}
		return notFoundOr(err, "input.variantId", "variant")
	})
	if err != nil {
		return nil, err
	}
	return &model.VariantPayload{Variant: v}, nil
}

func (r *Resolver) createCategory(ctx context.Context, in model.CreateCategoryInput) (*model.CategoryPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	var parent *int
	if in.ParentID != nil {
		id, err := relay.IDOf("input.parentId", "Category", *in.ParentID)
		if err != nil {
			return nil, err
		}
		parent = &id
	}
	var c *ent.Category
	err := r.inTx(ctx, func(tx *ent.Tx) error {
		if parent != nil {
			if _, err := tx.Category.Get(ctx, *parent); err != nil {
				return notFoundOr(err, "input.parentId", "category")
			}
		}
		var err error
		c, err = tx.Category.Create().SetName(in.Name).SetSlug(in.Slug).SetNillableParentID(parent).Save(ctx)
		return slugConflict(err)
	})
	if err != nil {
		return nil, err
	}
	return &model.CategoryPayload{Category: c}, nil
}

func (r *Resolver) updateCategory(ctx context.Context, in model.UpdateCategoryInput) (*model.CategoryPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	id, err := relay.IDOf("input.id", "Category", in.ID)
	if err != nil {
		return nil, err
	}
	var c *ent.Category
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		u := tx.Category.UpdateOneID(id)
		if in.Name != nil {
			u.SetName(*in.Name)
		}
		if in.Slug != nil {
			u.SetSlug(*in.Slug)
		}
		c, err = u.Save(ctx)
		if ent.IsNotFound(err) {
			return notFound("input.id", "category")
		}
		return slugConflict(err)
	})
	if err != nil {
		return nil, err
	}
	return &model.CategoryPayload{Category: c}, nil
}

// moveCategory refuses a parent that is the category or lies below it. The
// categories are locked (store.LockCategories) for the check and the move,
// so two concurrent moves cannot together make a cycle.
func (r *Resolver) moveCategory(ctx context.Context, in model.MoveCategoryInput) (*model.CategoryPayload, error) {
	id, err := relay.IDOf("input.id", "Category", in.ID)
	if err != nil {
		return nil, err
	}
	var parent *int
	if in.ParentID != nil {
		p, err := relay.IDOf("input.parentId", "Category", *in.ParentID)
		if err != nil {
			return nil, err
		}
		parent = &p
	}
	var c *ent.Category
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		if err := store.LockCategories(ctx, tx); err != nil {
			return err
		}
		all, err := tx.Category.Query().Select(category.FieldID, category.FieldParentID).All(ctx)
		if err != nil {
			return err
		}
		parents := make(map[int]*int, len(all))
		for _, c := range all {
			parents[c.ID] = c.ParentID
		}
		if _, ok := parents[id]; !ok {
			return notFound("input.id", "category")
		}
		if parent != nil {
			if _, ok := parents[*parent]; !ok {
				return notFound("input.parentId", "category")
			}
			// Walk up from the new parent: meeting the category means the
			// move would put it below itself.
			for at := parent; at != nil; at = parents[*at] {
				if *at == id {
					return apperr.Invalid("input.parentId", "would put the category below itself")
				}
			}
		}
		u := tx.Category.UpdateOneID(id)
		if parent == nil {
			u.ClearParentID()
		} else {
			u.SetParentID(*parent)
		}
		c, err = u.Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.CategoryPayload{Category: c}, nil
}
