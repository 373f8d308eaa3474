package graph

import (
	"context"

	"github.com/shopgraph/shopgraph/ent"
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
	catID, err := r.checkedID(&in, "input.categoryId", "Category", in.CategoryID)
	if err != nil {
		return nil, err
	}
	p, err := r.shop().CreateProduct(ctx, shop.NewProduct{
		CategoryID: catID, Slug: in.Slug, Title: in.Title, Description: in.Description, Status: in.Status,
	})
	return reply(p, err, productPayload)
}

func (r *Resolver) updateProduct(ctx context.Context, in model.UpdateProductInput) (*model.ProductPayload, error) {
	id, err := r.checkedID(&in, "input.id", "Product", in.ID)
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
	return reply(p, err, productPayload)
}

func (r *Resolver) archiveProduct(ctx context.Context, gid string) (*model.ProductPayload, error) {
	id, err := relay.IDOf("id", "Product", gid)
	if err != nil {
		return nil, err
	}
	p, err := r.shop().ArchiveProduct(ctx, id)
	if err != nil {
		return nil, domainError("", err) // the argument is the ID itself
	}
	return productPayload(p), nil
}

func (r *Resolver) createVariant(ctx context.Context, in model.CreateVariantInput) (*model.VariantPayload, error) {
	pid, err := r.checkedID(&in, "input.productId", "Product", in.ProductID)
	if err != nil {
		return nil, err
	}
	v, err := r.shop().CreateVariant(ctx, auth.FromContext(ctx).ID, shop.NewVariant{
		ProductID: pid, SKU: in.Sku, Title: in.Title,
		Price: int64(in.Price), Cost: int64(in.Cost), Stock: in.Stock,
	})
	return reply(v, err, variantPayload)
}

func (r *Resolver) updateVariant(ctx context.Context, in model.UpdateVariantInput) (*model.VariantPayload, error) {
	id, err := r.checkedID(&in, "input.id", "Variant", in.ID)
	if err != nil {
		return nil, err
	}
	v, err := r.shop().UpdateVariant(ctx, id, shop.VariantChange{
		SKU: in.Sku, Title: in.Title, Price: int64p(in.Price), Cost: int64p(in.Cost),
	})
	return reply(v, err, variantPayload)
}

func (r *Resolver) adjustStock(ctx context.Context, in model.AdjustStockInput) (*model.VariantPayload, error) {
	id, err := r.checkedID(&in, "input.variantId", "Variant", in.VariantID)
	if err != nil {
		return nil, err
	}
	v, err := r.shop().AdjustStock(ctx, auth.FromContext(ctx).ID, id, in.Delta, in.Reason)
	return reply(v, err, variantPayload)
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
	return reply(c, err, categoryPayload)
}

func (r *Resolver) updateCategory(ctx context.Context, in model.UpdateCategoryInput) (*model.CategoryPayload, error) {
	id, err := r.checkedID(&in, "input.id", "Category", in.ID)
	if err != nil {
		return nil, err
	}
	c, err := r.shop().UpdateCategory(ctx, id, shop.CategoryChange{Name: in.Name, Slug: in.Slug})
	return reply(c, err, categoryPayload)
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
	return reply(c, err, categoryPayload)
}

func productPayload(p *ent.Product) *model.ProductPayload { return &model.ProductPayload{Product: p} }

func variantPayload(v *ent.Variant) *model.VariantPayload { return &model.VariantPayload{Variant: v} }

func categoryPayload(c *ent.Category) *model.CategoryPayload {
	return &model.CategoryPayload{Category: c}
}
