package graph

import (
	"context"

	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// Catalog mutations (staff only, by directive): the input is checked and
// its global IDs converted here; the change and its rules are ent/shop's.

// optionalID converts a global ID that may be absent.
func optionalID(field, typ string, gid *string) (*int, error) {
	if gid == nil {
		return nil, nil
	}
	id, err := relay.IDOf(field, typ, *gid)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// int64p widens an optional amount.
func int64p(n *int) *int64 {
	if n == nil {
		return nil
	}
	v := int64(*n)
	return &v
}

func (r *Resolver) createProduct(ctx context.Context, in model.CreateProductInput) (*model.ProductPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	catID, err := relay.IDOf("input.categoryId", "Category", in.CategoryID)
	if err != nil {
		return nil, err
	}
	p, err := r.shop().CreateProduct(ctx, shop.NewProduct{
		CategoryID: catID, Slug: in.Slug, Title: in.Title, Description: in.Description, Status: in.Status,
	})
	if err != nil {
		return nil, domainError("input", err)
	}
	return &model.ProductPayload{Product: p}, nil
}

func (r *Resolver) updateProduct(ctx context.Context, in model.UpdateProductInput) (*model.ProductPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	id, err := relay.IDOf("input.id", "Product", in.ID)
	if err != nil {
		return nil, err
	}
	catID, err := optionalID("input.categoryId", "Category", in.CategoryID)
	if err != nil {
		return nil, err
	}
	p, err := r.shop().UpdateProduct(ctx, id, shop.ProductChange{
		Slug: in.Slug, Title: in.Title, Description: in.Description, Status: in.Status, CategoryID: catID,
	})
	if err != nil {
		return nil, domainError("input", err)
	}
	return &model.ProductPayload{Product: p}, nil
}

func (r *Resolver) archiveProduct(ctx context.Context, gid string) (*model.ProductPayload, error) {
	id, err := relay.IDOf("id", "Product", gid)
	if err != nil {
		return nil, err
	}
	p, err := r.shop().ArchiveProduct(ctx, id)
	if err != nil {
		return nil, domainError("", err)
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
	v, err := r.shop().CreateVariant(ctx, auth.FromContext(ctx).ID, shop.NewVariant{
		ProductID: pid, SKU: in.Sku, Title: in.Title,
		Price: int64(in.Price), Cost: int64(in.Cost), Stock: in.Stock,
	})
	if err != nil {
		return nil, domainError("input", err)
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
	v, err := r.shop().UpdateVariant(ctx, id, shop.VariantChange{
		SKU: in.Sku, Title: in.Title, Price: int64p(in.Price), Cost: int64p(in.Cost),
	})
	if err != nil {
		return nil, domainError("input", err)
	}
	return &model.VariantPayload{Variant: v}, nil
}

func (r *Resolver) adjustStock(ctx context.Context, in model.AdjustStockInput) (*model.VariantPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	id, err := relay.IDOf("input.variantId", "Variant", in.VariantID)
	if err != nil {
		return nil, err
	}
	v, err := r.shop().AdjustStock(ctx, auth.FromContext(ctx).ID, id, in.Delta, in.Reason)
	if err != nil {
		return nil, domainError("input", err)
	}
	return &model.VariantPayload{Variant: v}, nil
}

func (r *Resolver) createCategory(ctx context.Context, in model.CreateCategoryInput) (*model.CategoryPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	parent, err := optionalID("input.parentId", "Category", in.ParentID)
	if err != nil {
		return nil, err
	}
	c, err := r.shop().CreateCategory(ctx, shop.NewCategory{Name: in.Name, Slug: in.Slug, ParentID: parent})
	if err != nil {
		return nil, domainError("input", err)
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
	c, err := r.shop().UpdateCategory(ctx, id, shop.CategoryChange{Name: in.Name, Slug: in.Slug})
	if err != nil {
		return nil, domainError("input", err)
	}
	return &model.CategoryPayload{Category: c}, nil
}

func (r *Resolver) moveCategory(ctx context.Context, in model.MoveCategoryInput) (*model.CategoryPayload, error) {
	id, err := relay.IDOf("input.id", "Category", in.ID)
	if err != nil {
		return nil, err
	}
	parent, err := optionalID("input.parentId", "Category", in.ParentID)
	if err != nil {
		return nil, err
	}
	c, err := r.shop().MoveCategory(ctx, id, parent)
	if err != nil {
		return nil, domainError("input", err)
	}
	return &model.CategoryPayload{Category: c}, nil
}
