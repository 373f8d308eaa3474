// Package rowrules holds the row-level rules: ent query interceptors that
// filter every query of a client by the viewer in its context, whichever
// path reaches the rows (lists, node/nodes, dataloaders, nested edges,
// counts and aggregates). A context without a viewer is anonymous, the most
// restricted case, so a forgotten viewer hides rows rather than leaking them.
// A row a viewer may not see behaves exactly like a row that does not exist.
//
// The rules:
//   - products: ACTIVE only, unless staff; their variants and reviews
//     likewise follow the product's visibility. Order history is the one
//     exception: the variant and product of an order line the viewer may
//     see are loaded WithOrderHistory, since archived products are "kept
//     for order history";
//   - orders and order lines: the viewer's own, all for staff, none when
//     anonymous;
//   - users and categories: visible to all (private user fields are guarded
//     by schema directives).
package rowrules

import (
	"context"

	"entgo.io/ent/dialect/sql"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/intercept"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/variant"
	"github.com/shopgraph/shopgraph/graph/auth"
)

type (
	historyKey        struct{}
	visibleParentsKey struct{}
)

// ForVisibleProducts marks a context used only to load the children
// (variants, reviews) and aggregates of products the viewer already sees:
// their product's status was checked when the product was loaded, and
// checking it again per child row costs a join against the whole products
// table (measured: 82 ms instead of 3 ms for the reviews of 100 products at
// 250,000 products).
func ForVisibleProducts(ctx context.Context) context.Context {
	return context.WithValue(ctx, visibleParentsKey{}, true)
}

func childrenOfVisible(ctx context.Context) bool {
	v, _ := ctx.Value(visibleParentsKey{}).(bool)
	return v
}

// WithOrderHistory marks a context used only to load the variants and
// products of order lines the viewer is already allowed to see: product
// status does not hide them there.
func WithOrderHistory(ctx context.Context) context.Context {
	return context.WithValue(ctx, historyKey{}, true)
}

// catalogOpen reports whether product status rules are lifted.
func catalogOpen(ctx context.Context) bool {
	if auth.FromContext(ctx).Staff() {
		return true
	}
	history, _ := ctx.Value(historyKey{}).(bool)
	return history
}

// Install adds the rules to client. Give the API a client of its own: every
// query it runs is filtered from then on.
func Install(client *ent.Client) {
	client.Product.Intercept(intercept.TraverseProduct(func(ctx context.Context, q *ent.ProductQuery) error {
		if !catalogOpen(ctx) {
			q.Where(product.StatusEQ(product.StatusACTIVE))
		}
		return nil
	}))
	client.Variant.Intercept(intercept.TraverseVariant(func(ctx context.Context, q *ent.VariantQuery) error {
		if !catalogOpen(ctx) && !childrenOfVisible(ctx) {
			q.Where(variant.HasProductWith(product.StatusEQ(product.StatusACTIVE)))
		}
		return nil
	}))
	client.Review.Intercept(intercept.TraverseReview(func(ctx context.Context, q *ent.ReviewQuery) error {
		if !auth.FromContext(ctx).Staff() && !childrenOfVisible(ctx) {
			q.Where(review.HasProductWith(product.StatusEQ(product.StatusACTIVE)))
		}
		return nil
	}))
	client.Order.Intercept(intercept.TraverseOrder(func(ctx context.Context, q *ent.OrderQuery) error {
		switch v := auth.FromContext(ctx); {
		case v.Staff():
		case v.Anonymous():
			q.Where(func(s *sql.Selector) { s.Where(sql.False()) })
		default:
			q.Where(order.CustomerID(v.ID))
		}
		return nil
	}))
	client.OrderLine.Intercept(intercept.TraverseOrderLine(func(ctx context.Context, q *ent.OrderLineQuery) error {
		switch v := auth.FromContext(ctx); {
		case v.Staff():
		case v.Anonymous():
			q.Where(func(s *sql.Selector) { s.Where(sql.False()) })
		default:
			q.Where(orderline.HasOrderWith(order.CustomerID(v.ID)))
		}
		return nil
	}))
}
