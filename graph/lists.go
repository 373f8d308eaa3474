package graph

import (
	"context"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/keyset"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/predicate"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/listing"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// Top-level lists: one keyset-paged statement for the page, one COUNT only
// when totalCount is selected.

func (r *Resolver) listProducts(ctx context.Context, p keyset.Page, where []predicate.Product) (*model.ProductConnection, error) {
	q := r.client.Product.Query().Where(where...)
	page := q.Clone()
	if cols := loaders.ProductColumns(ctx); cols != nil {
		page.Select(cols...)
	}
	page.Modify(p.Apply)
	rows, err := page.All(ctx)
	if err != nil {
		return nil, err
	}
	loaders.PrimeProducts(ctx, rows)
	return productConnection(p, rows, listCount(ctx, q.Count)), nil
}

func (r *Resolver) listOrders(ctx context.Context, p keyset.Page, f *model.OrderFilter) (*model.OrderConnection, error) {
	var where []predicate.Order
	if f != nil {
		if len(f.Status) > 0 {
			where = append(where, order.StatusIn(f.Status...))
		}
		if f.CustomerID != nil {
			id, err := relay.IDOf("filter.customerId", "User", *f.CustomerID)
			if err != nil {
				return nil, err
			}
			where = append(where, order.CustomerID(id))
		}
	}
	q := r.client.Order.Query().Where(where...)
	page := q.Clone()
	page.Modify(p.Apply)
	rows, err := page.All(ctx)
	if err != nil {
		return nil, err
	}
	return orderConnection(p, rows, listCount(ctx, q.Count)), nil
}

func (r *Resolver) listUsers(ctx context.Context, p keyset.Page, f *model.UserFilter) (*model.UserConnection, error) {
	q := r.client.User.Query()
	if f != nil && len(f.Role) > 0 {
		q.Where(user.RoleIn(f.Role...))
	}
	page := q.Clone()
	page.Select(ent.UserReadColumns()...)
	page.Modify(p.Apply)
	rows, err := page.All(ctx)
	if err != nil {
		return nil, err
	}
	return userConnection(p, rows, listCount(ctx, q.Count)), nil
}

// checkPrice rejects an inverted price interval, which no rule tag can see.
func checkPrice(f *model.ProductFilter) error {
	if f != nil && f.Price != nil && f.Price.Min != nil && f.Price.Max != nil && *f.Price.Min > *f.Price.Max {
		return apperr.Invalid("filter.price", "min must not be greater than max")
	}
	return nil
}

// productFilter validates a product filter and returns its predicates.
func (r *Resolver) productFilter(f *model.ProductFilter) ([]predicate.Product, error) {
	if err := r.check("filter", f); err != nil {
		return nil, err
	}
	if err := checkPrice(f); err != nil {
		return nil, err
	}
	return listing.ProductWhere(f), nil
}

// nodeRef decodes a global ID for node lookups.
func nodeRef(field, gid string) (loaders.NodeRef, error) {
	typ, id, err := relay.FromGlobalID(field, gid)
	return loaders.NodeRef{Type: typ, ID: id}, err
}

// nonNil turns a missing required row into an error instead of a null that
// would wipe out its parent.
func nonNil[T any](v *T, err error, what string) (*T, error) {
	if err == nil && v == nil {
		return nil, apperr.Errorf(apperr.NotFound, "%s not found", what)
	}
	return v, err
}

// historyVariant and historyProduct load what an order line refers to: the
// usual (cached, batched) lookup first, and only if the row rules hide it
// (its product is no longer on sale) the order-history lookup, so the common
// case costs no extra statement.
func historyVariant(ctx context.Context, id int) (*ent.Variant, error) {
	v, err := loaders.VariantByID(ctx, id)
	if err == nil && v == nil {
		return loaders.LineVariantByID(ctx, id)
	}
	return v, err
}

func historyProduct(ctx context.Context, id int) (*ent.Product, error) {
	p, err := loaders.ProductByID(ctx, id)
	if err == nil && p == nil {
		return loaders.LineProductByID(ctx, id)
	}
	return p, err
}
