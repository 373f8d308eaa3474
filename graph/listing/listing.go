package listing

import (
	"encoding/json"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/keyset"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/predicate"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/model"
)

// column is one way a list can be sorted: the SQL column, its kind (to read
// a cursor back) and a row's value of it (to write one).
type column[T any] struct {
	name  string
	kind  keyset.Kind
	value func(T) any
}

// Sorting is how one list can be ordered: the column of each value of its
// order enum, and its creation time, which is the order without orderBy
// (newest first) and the column of any field not listed. The lists'
// Sortings are Products, Reviews, Orders and Users; they are fixed tables.
type Sorting[F comparable, T any] struct {
	byField map[F]column[T]
	created column[T]
	id      func(T) int
}

// Order maps an orderBy input to a keyset order; nil means newest first.
func (s Sorting[F, T]) Order(o *model.OrderBy[F]) keyset.Order {
	if o == nil {
		return keyset.Order{Column: s.created.name, Kind: s.created.kind, Desc: true}
	}
	c, found := s.byField[o.Field]
	if !found {
		c = s.created
	}
	return keyset.Order{Column: c.name, Kind: c.kind, Desc: o.Direction != nil && *o.Direction == model.OrderDirectionDesc}
}

// Key returns a row's value of an order's column, for its cursor.
func (s Sorting[F, T]) Key(o keyset.Order) func(T) any {
	for _, c := range s.byField {
		if c.name == o.Column {
			return c.value
		}
	}
	return s.created.value
}

// ID returns a row's ID, the tie-breaker of every order.
func (s Sorting[F, T]) ID(row T) int { return s.id(row) }

// The lists' sortings.
var (
	Products = Sorting[model.ProductOrderField, *ent.Product]{
		byField: map[model.ProductOrderField]column[*ent.Product]{
			model.ProductOrderFieldPrice:  {product.FieldMinPrice, keyset.KindInt, func(p *ent.Product) any { return p.MinPrice }},
			model.ProductOrderFieldTitle:  {product.FieldTitle, keyset.KindString, func(p *ent.Product) any { return p.Title }},
			model.ProductOrderFieldRating: {product.FieldRatingAvg, keyset.KindFloat, func(p *ent.Product) any { return p.RatingAvg }},
		},
		created: column[*ent.Product]{product.FieldCreatedAt, keyset.KindTime, func(p *ent.Product) any { return p.CreatedAt }},
		id:      func(p *ent.Product) int { return p.ID },
	}
	Reviews = Sorting[model.ReviewOrderField, *ent.Review]{
		byField: map[model.ReviewOrderField]column[*ent.Review]{
			model.ReviewOrderFieldRating: {review.FieldRating, keyset.KindInt, func(r *ent.Review) any { return int64(r.Rating) }},
		},
		created: column[*ent.Review]{review.FieldCreatedAt, keyset.KindTime, func(r *ent.Review) any { return r.CreatedAt }},
		id:      func(r *ent.Review) int { return r.ID },
	}
	Orders = Sorting[model.OrderOrderField, *ent.Order]{
		created: column[*ent.Order]{order.FieldCreatedAt, keyset.KindTime, func(o *ent.Order) any { return o.CreatedAt }},
		id:      func(o *ent.Order) int { return o.ID },
	}
	Users = Sorting[model.UserOrderField, *ent.User]{
		byField: map[model.UserOrderField]column[*ent.User]{
			model.UserOrderFieldEmail: {user.FieldEmail, keyset.KindString, func(u *ent.User) any { return u.Email }},
		},
		created: column[*ent.User]{user.FieldCreatedAt, keyset.KindTime, func(u *ent.User) any { return u.CreatedAt }},
		id:      func(u *ent.User) int { return u.ID },
	}
)

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
	return predicate.Product(store.UnderCategorySlug(slug))
}

// FilterKey is a canonical, comparable form of a filter for loader keys:
// sibling fields with equal arguments must share one batch.
func FilterKey(f any) string {
	b, _ := json.Marshal(f)
	return string(b)
}
