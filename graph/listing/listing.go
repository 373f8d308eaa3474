package listing

import (
	"encoding/json"

	"entgo.io/ent/dialect/sql"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/keyset"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/predicate"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/model"
)

// newestFirst is every list's default order.
func newestFirst(column string) keyset.Order {
	return keyset.Order{Column: column, Kind: keyset.KindTime, Desc: true}
}

func desc(d *model.OrderDirection) bool { return d != nil && *d == model.OrderDirectionDesc }

// ProductOrder maps orderBy to a sort column; nil means newest first.
func ProductOrder(o *model.ProductOrder) keyset.Order {
	if o == nil {
		return newestFirst(product.FieldCreatedAt)
	}
	switch o.Field {
	case model.ProductOrderFieldPrice:
		return keyset.Order{Column: product.FieldMinPrice, Kind: keyset.KindInt, Desc: desc(o.Direction)}
	case model.ProductOrderFieldTitle:
		return keyset.Order{Column: product.FieldTitle, Kind: keyset.KindString, Desc: desc(o.Direction)}
	case model.ProductOrderFieldRating:
		return keyset.Order{Column: product.FieldRatingAvg, Kind: keyset.KindFloat, Desc: desc(o.Direction)}
	default:
		return keyset.Order{Column: product.FieldCreatedAt, Kind: keyset.KindTime, Desc: desc(o.Direction)}
	}
}

// ProductKey returns a product's value of a ProductOrder column.
func ProductKey(o keyset.Order) func(*ent.Product) any {
	return func(p *ent.Product) any {
		switch o.Column {
		case product.FieldMinPrice:
			return p.MinPrice
		case product.FieldTitle:
			return p.Title
		case product.FieldRatingAvg:
			return p.RatingAvg
		default:
			return p.CreatedAt
		}
	}
}

// ProductID returns a product's ID.
func ProductID(p *ent.Product) int { return p.ID }

// ProductWhere turns a filter into predicates. The category condition is
// left to the caller (a slug at the top level, the parent in
// Category.products); see InCategoryTree.
func ProductWhere(f *model.ProductFilter) []predicate.Product {
	if f == nil {
		return nil
	}
	var ps []predicate.Product
	if len(f.Status) > 0 {
		ps = append(ps, product.StatusIn(f.Status...))
	}
	if f.Price != nil {
		if f.Price.Min != nil {
			ps = append(ps, product.MinPriceGTE(int64(*f.Price.Min)))
		}
		if f.Price.Max != nil {
			ps = append(ps, product.MinPriceLTE(int64(*f.Price.Max)))
		}
	}
	if f.InStock != nil {
		ps = append(ps, product.InStock(*f.InStock))
	}
	if f.Search != nil && *f.Search != "" {
		// ILIKE '%term%' on PostgreSQL, served by the trigram indexes.
		ps = append(ps, product.Or(
			product.TitleContainsFold(*f.Search),
			product.DescriptionContainsFold(*f.Search),
		))
	}
	return ps
}

// InCategoryTree keeps products filed under the category with the given slug
// or under any category below it, found with a recursive query.
func InCategoryTree(slug string) predicate.Product {
	return inTree(sql.EQ(category.FieldSlug, slug))
}

// InCategoryTreeOf is InCategoryTree for a category ID.
func InCategoryTreeOf(id int) predicate.Product {
	return inTree(sql.EQ(category.FieldID, id))
}

func inTree(root *sql.Predicate) predicate.Product {
	return func(s *sql.Selector) {
		d := sql.Dialect(s.Dialect())
		c, tree := d.Table(category.Table).As("c"), d.Table("tree").As("tree")
		start := d.Select(category.FieldID).From(d.Table(category.Table)).Where(root)
		step := d.Select(c.C(category.FieldID)).From(c).Join(tree).On(c.C(category.FieldParentID), tree.C(category.FieldID))
		with := sql.WithRecursive("tree", category.FieldID).As(start.UnionAll(step))
		with.SetDialect(s.Dialect())
		s.Where(sql.In(s.C(product.FieldCategoryID), d.Select(tree.C(category.FieldID)).From(tree).Prefix(with)))
	}
}

// FilterKey is a canonical, comparable form of a filter for loader keys:
// sibling fields with equal arguments must share one batch.
func FilterKey(f any) string {
	b, _ := json.Marshal(f)
	return string(b)
}

// ReviewOrder maps orderBy to a sort column; nil means newest first.
func ReviewOrder(o *model.ReviewOrder) keyset.Order {
	if o == nil {
		return newestFirst(review.FieldCreatedAt)
	}
	if o.Field == model.ReviewOrderFieldRating {
		return keyset.Order{Column: review.FieldRating, Kind: keyset.KindInt, Desc: desc(o.Direction)}
	}
	return keyset.Order{Column: review.FieldCreatedAt, Kind: keyset.KindTime, Desc: desc(o.Direction)}
}

// ReviewKey returns a review's value of a ReviewOrder column.
func ReviewKey(o keyset.Order) func(*ent.Review) any {
	return func(r *ent.Review) any {
		if o.Column == review.FieldRating {
			return int64(r.Rating)
		}
		return r.CreatedAt
	}
}

// ReviewID returns a review's ID.
func ReviewID(r *ent.Review) int { return r.ID }

// OrderOrder maps orderBy to a sort column; nil means newest first.
func OrderOrder(o *model.OrderOrder) keyset.Order {
	if o == nil {
		return newestFirst(order.FieldCreatedAt)
	}
	return keyset.Order{Column: order.FieldCreatedAt, Kind: keyset.KindTime, Desc: desc(o.Direction)}
}

// OrderKey returns an order's value of an OrderOrder column.
func OrderKey(keyset.Order) func(*ent.Order) any {
	return func(o *ent.Order) any { return o.CreatedAt }
}

// OrderID returns an order's ID.
func OrderID(o *ent.Order) int { return o.ID }

// UserOrder maps orderBy to a sort column; nil means newest first.
func UserOrder(o *model.UserOrder) keyset.Order {
	if o == nil {
		return newestFirst(user.FieldCreatedAt)
	}
	if o.Field == model.UserOrderFieldEmail {
		return keyset.Order{Column: user.FieldEmail, Kind: keyset.KindString, Desc: desc(o.Direction)}
	}
	return keyset.Order{Column: user.FieldCreatedAt, Kind: keyset.KindTime, Desc: desc(o.Direction)}
}

// UserKey returns a user's value of a UserOrder column.
func UserKey(o keyset.Order) func(*ent.User) any {
	return func(u *ent.User) any {
		if o.Column == user.FieldEmail {
			return u.Email
		}
		return u.CreatedAt
	}
}

// UserID returns a user's ID.
func UserID(u *ent.User) int { return u.ID }
