package shop

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/product"
)

// Catalog changes. Each runs in one transaction; the database's unique and
// CHECK constraints stay the last line of defence behind the caller's
// validation.

const slugTaken = "this slug is already taken"

// NewProduct is a product to create. Nil fields take the schema's
// defaults.
type NewProduct struct {
	CategoryID  int
	Slug, Title string
	Description *string
	Status      *product.Status
}

// CreateProduct creates a product in an existing category ("categoryId"
// otherwise); a taken slug is a *ConflictError on "slug".
func (s *Service) CreateProduct(ctx context.Context, in NewProduct) (*ent.Product, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Product, error) {
		if err := mustExist(ctx, tx.Category.Get, in.CategoryID, "categoryId", "category"); err != nil {
			return nil, err
		}
		p, err := tx.Product.Create().
			SetSlug(in.Slug).SetTitle(in.Title).SetCategoryID(in.CategoryID).
			SetNillableDescription(in.Description).SetNillableStatus(in.Status).
			Save(ctx)
		return p, conflictOr(err, "slug", slugTaken, "product")
	})
}

// ProductChange lists the fields of a product to change; nil leaves one as
// it is.
type ProductChange struct {
	Slug, Title, Description *string
	Status                   *product.Status
	CategoryID               *int
}

// UpdateProduct changes product id ("id" if it does not exist); a new
// category must exist ("categoryId"), a taken slug is a *ConflictError on
// "slug".
func (s *Service) UpdateProduct(ctx context.Context, id int, in ProductChange) (*ent.Product, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Product, error) {
		u := tx.Product.UpdateOneID(id).
			SetNillableSlug(in.Slug).SetNillableTitle(in.Title).
			SetNillableDescription(in.Description).SetNillableStatus(in.Status)
		if in.CategoryID != nil {
			if err := mustExist(ctx, tx.Category.Get, *in.CategoryID, "categoryId", "category"); err != nil {
				return nil, err
			}
			u.SetCategoryID(*in.CategoryID)
		}
		p, err := u.Save(ctx)
		return p, conflictOr(err, "slug", slugTaken, "product")
	})
}

// ArchiveProduct takes product id off sale for good ("id" if it does not
// exist); its orders keep showing it.
func (s *Service) ArchiveProduct(ctx context.Context, id int) (*ent.Product, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Product, error) {
		p, err := tx.Product.UpdateOneID(id).SetStatus(product.StatusARCHIVED).Save(ctx)
		return p, notFoundOr(err, "id", "product")
	})
}

// NewCategory is a category to create, at the top or below ParentID.
type NewCategory struct {
	Name, Slug string
	ParentID   *int
}

// CreateCategory creates a category; the parent must exist ("parentId"), a
// taken slug is a *ConflictError on "slug".
func (s *Service) CreateCategory(ctx context.Context, in NewCategory) (*ent.Category, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Category, error) {
		if in.ParentID != nil {
			if err := mustExist(ctx, tx.Category.Get, *in.ParentID, "parentId", "category"); err != nil {
				return nil, err
			}
		}
		c, err := tx.Category.Create().SetName(in.Name).SetSlug(in.Slug).SetNillableParentID(in.ParentID).Save(ctx)
		return c, conflictOr(err, "slug", slugTaken, "category")
	})
}

// CategoryChange lists the fields of a category to change; nil leaves one
// as it is. Moving it is MoveCategory's.
type CategoryChange struct {
	Name, Slug *string
}

// UpdateCategory changes category id ("id" if it does not exist); a taken
// slug is a *ConflictError on "slug".
func (s *Service) UpdateCategory(ctx context.Context, id int, in CategoryChange) (*ent.Category, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Category, error) {
		c, err := tx.Category.UpdateOneID(id).SetNillableName(in.Name).SetNillableSlug(in.Slug).Save(ctx)
		return c, conflictOr(err, "slug", slugTaken, "category")
	})
}

// MoveCategory puts category id below parent, or at the top when parent is
// nil. Both must exist ("id", "parentId"); a parent that is the category
// or lies below it is an *InvalidError on "parentId". The categories are
// locked for the check and the move, so two concurrent moves, each fine on
// its own, cannot together make a cycle.
func (s *Service) MoveCategory(ctx context.Context, id int, parent *int) (*ent.Category, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.Category, error) {
		if err := lockCategories(ctx, tx); err != nil {
			return nil, err
		}
		all, err := tx.Category.Query().Select(category.FieldID, category.FieldParentID).All(ctx)
		if err != nil {
			return nil, fmt.Errorf("load categories: %w", err)
		}
		parents := make(map[int]*int, len(all))
		for _, c := range all {
			parents[c.ID] = c.ParentID
		}
		if _, ok := parents[id]; !ok {
			return nil, &NotFoundError{Field: "id", What: "category"}
		}
		u := tx.Category.UpdateOneID(id)
		if parent == nil {
			u.ClearParentID()
		} else {
			if _, ok := parents[*parent]; !ok {
				return nil, &NotFoundError{Field: "parentId", What: "category"}
			}
			// Walk up from the new parent: meeting the category means the
			// move would put it below itself.
			for at := parent; at != nil; at = parents[*at] {
				if *at == id {
					return nil, &InvalidError{Field: "parentId", Reason: "would put the category below itself"}
				}
			}
			u.SetParentID(*parent)
		}
		return u.Save(ctx)
	})
}

// lockCategories locks the categories table against other writers until
// tx ends. On SQLite it does nothing: BEGIN IMMEDIATE already runs one
// writer at a time.
func lockCategories(ctx context.Context, tx *ent.Tx) error {
	if tx.Dialect() != dialect.Postgres {
		return nil
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE categories IN SHARE ROW EXCLUSIVE MODE"); err != nil {
		return fmt.Errorf("lock categories: %w", err)
	}
	return nil
}
