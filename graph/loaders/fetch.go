package loaders

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/keyset"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/predicate"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/ent/variant"
	"github.com/shopgraph/shopgraph/graph/listing"
	"github.com/shopgraph/shopgraph/graph/model"
)

// fetcher runs the batch statements; one method per loader.
type fetcher struct {
	client *ent.Client
	l      *Loaders // the operation's column choices
}

func (f fetcher) products(ctx context.Context, ids []int) ([]*ent.Product, error) {
	q := f.client.Product.Query().Where(predicate.Product(store.InKeys(product.FieldID, ids)))
	if cols := f.l.productColumns; cols != nil {
		q.Select(cols...)
	}
	rows, err := q.All(ctx)
	return rows, wrap(err, "load %d products", len(ids))
}

func (f fetcher) categories(ctx context.Context, ids []int) ([]*ent.Category, error) {
	rows, err := f.client.Category.Query().Where(predicate.Category(store.InKeys(category.FieldID, ids))).All(ctx)
	return rows, wrap(err, "load %d categories", len(ids))
}

func (f fetcher) users(ctx context.Context, ids []int) ([]*ent.User, error) {
	rows, err := f.client.User.Query().Where(predicate.User(store.InKeys(user.FieldID, ids))).Select(ent.UserReadColumns()...).All(ctx)
	return rows, wrap(err, "load %d users", len(ids))
}

func (f fetcher) variants(ctx context.Context, ids []int) ([]*ent.Variant, error) {
	rows, err := f.client.Variant.Query().Where(predicate.Variant(store.InKeys(variant.FieldID, ids))).All(ctx)
	return rows, wrap(err, "load %d variants", len(ids))
}

func (f fetcher) reviews(ctx context.Context, ids []int) ([]*ent.Review, error) {
	rows, err := f.client.Review.Query().Where(predicate.Review(store.InKeys(review.FieldID, ids))).All(ctx)
	return rows, wrap(err, "load %d reviews", len(ids))
}

func (f fetcher) orders(ctx context.Context, ids []int) ([]*ent.Order, error) {
	rows, err := f.client.Order.Query().Where(predicate.Order(store.InKeys(order.FieldID, ids))).All(ctx)
	return rows, wrap(err, "load %d orders", len(ids))
}

func (f fetcher) orderLines(ctx context.Context, ids []int) ([]*ent.OrderLine, error) {
	rows, err := f.client.OrderLine.Query().Where(predicate.OrderLine(store.InKeys(orderline.FieldID, ids))).All(ctx)
	return rows, wrap(err, "load %d order lines", len(ids))
}

func (f fetcher) variantsOfProducts(ctx context.Context, ids []int) ([]*ent.Variant, error) {
	rows, err := f.client.Variant.Query().
		Where(predicate.Variant(store.InKeys(variant.FieldProductID, ids))).
		Order(variant.ByPrice(), variant.ByID()).
		All(ctx)
	return rows, wrap(err, "load variants of %d products", len(ids))
}

func (f fetcher) childrenOfCategories(ctx context.Context, ids []int) ([]*ent.Category, error) {
	rows, err := f.client.Category.Query().
		Where(predicate.Category(store.InKeys(category.FieldParentID, ids))).
		Order(category.ByName(), category.ByID()).
		All(ctx)
	return rows, wrap(err, "load children of %d categories", len(ids))
}

func (f fetcher) linesOfOrders(ctx context.Context, ids []int) ([]*ent.OrderLine, error) {
	rows, err := f.client.OrderLine.Query().
		Where(predicate.OrderLine(store.InKeys(orderline.FieldOrderID, ids))).
		Order(orderline.ByID()).
		All(ctx)
	return rows, wrap(err, "load lines of %d orders", len(ids))
}

// ancestorsOfCategories walks up the tree of every key in one recursive
// statement; each row carries the key it belongs to (start_id) and its
// distance from it, and rows come root first.
func (f fetcher) ancestorsOfCategories(ctx context.Context, ids []int) ([]*ent.Category, error) {
	rows, err := f.client.Category.Query().Modify(store.CategoryAncestors(ids)).All(ctx)
	return rows, wrap(err, "load ancestors of %d categories", len(ids))
}

func startID(c *ent.Category) int { return valueInt(c.Value(store.StartColumn)) }

// ReviewStats summarises a product's reviews.
type ReviewStats struct {
	Count   int
	Average float64
}

func (f fetcher) reviewStats(ctx context.Context, ids []int) (map[int]ReviewStats, error) {
	type row struct {
		ProductID int     `json:"product_id"`
		Count     int     `json:"count"`
		Mean      float64 `json:"mean"`
	}
	var rows []row
	err := f.client.Review.Query().
		Where(predicate.Review(store.InKeys(review.FieldProductID, ids))).
		GroupBy(review.FieldProductID).
		Aggregate(ent.Count(), store.MeanAs(review.FieldRating, "mean")).
		Scan(ctx, &rows)
	return byKey(rows, err, func(r row) (int, ReviewStats) {
		return r.ProductID, ReviewStats{Count: r.Count, Average: r.Mean}
	}, "load review stats of %d products", len(ids))
}

// VariantStats summarises a product's variants.
type VariantStats struct {
	Count    int   `json:"count"`
	MinPrice int64 `json:"min_price"`
	MaxPrice int64 `json:"max_price"`
	MaxStock int   `json:"max_stock"`
}

func (f fetcher) variantStats(ctx context.Context, ids []int) (map[int]VariantStats, error) {
	type row struct {
		ProductID int `json:"product_id"`
		VariantStats
	}
	var rows []row
	err := f.client.Variant.Query().
		Where(predicate.Variant(store.InKeys(variant.FieldProductID, ids))).
		GroupBy(variant.FieldProductID).
		Aggregate(
			ent.Count(),
			store.MinAs(variant.FieldPrice, "min_price"),
			store.MaxAs(variant.FieldPrice, "max_price"),
			store.MaxAs(variant.FieldStock, "max_stock"),
		).
		Scan(ctx, &rows)
	return byKey(rows, err, func(r row) (int, VariantStats) { return r.ProductID, r.VariantStats },
		"load variant stats of %d products", len(ids))
}

func (f fetcher) orderTotals(ctx context.Context, ids []int) (map[int]int64, error) {
	type row struct {
		OrderID int   `json:"order_id"`
		Total   int64 `json:"total"`
	}
	var rows []row
	err := f.client.OrderLine.Query().
		Where(predicate.OrderLine(store.InKeys(orderline.FieldOrderID, ids))).
		GroupBy(orderline.FieldOrderID).
		Aggregate(store.LineTotal).
		Scan(ctx, &rows)
	return byKey(rows, err, func(r row) (int, int64) { return r.OrderID, r.Total }, "load totals of %d orders", len(ids))
}

func (f fetcher) reviewPages(column string) func(context.Context, []int, keyset.Page, string) ([]*ent.Review, error) {
	return func(ctx context.Context, parents []int, p keyset.Page, _ string) ([]*ent.Review, error) {
		q := f.client.Review.Query().Where(predicate.Review(store.InKeys(column, parents)))
		q.Modify(p.Window(column))
		rows, err := q.All(ctx)
		return rows, wrap(err, "load review pages of %d parents", len(parents))
	}
}

func (f fetcher) orderPages(ctx context.Context, parents []int, p keyset.Page, _ string) ([]*ent.Order, error) {
	q := f.client.Order.Query().Where(predicate.Order(store.InKeys(order.FieldCustomerID, parents)))
	q.Modify(p.Window(order.FieldCustomerID))
	rows, err := q.All(ctx)
	return rows, wrap(err, "load order pages of %d customers", len(parents))
}

func (f fetcher) reviewCountsByAuthor(ctx context.Context, authors []int, _ string) (map[int]int, error) {
	q := f.client.Review.Query().Where(predicate.Review(store.InKeys(review.FieldAuthorID, authors)))
	return counts(ctx, q.Modify(store.CountPer(review.FieldAuthorID)).Scan, "count reviews of %d authors", len(authors))
}

func (f fetcher) orderCountsByCustomer(ctx context.Context, customers []int, _ string) (map[int]int, error) {
	q := f.client.Order.Query().Where(predicate.Order(store.InKeys(order.FieldCustomerID, customers)))
	return counts(ctx, q.Modify(store.CountPer(order.FieldCustomerID)).Scan, "count orders of %d customers", len(customers))
}

// counts runs a statement of store.CountPer or store.CountPerRoot rows and
// indexes its counts by parent.
func counts(ctx context.Context, scan func(context.Context, any) error, format string, args ...any) (map[int]int, error) {
	var rows []store.ParentCount
	return byKey(rows, scan(ctx, &rows), func(r store.ParentCount) (int, int) { return r.Parent, r.Count }, format, args...)
}

// byKey indexes the rows of a grouped statement by their key; err is the
// statement's, wrapped by format and args.
func byKey[R, V any](rows []R, err error, kv func(R) (int, V), format string, args ...any) (map[int]V, error) {
	if err != nil {
		return nil, wrap(err, format, args...)
	}
	m := make(map[int]V, len(rows))
	for _, r := range rows {
		k, v := kv(r)
		m[k] = v
	}
	return m, nil
}

func rootID(p *ent.Product) int { return valueInt(p.Value(store.RootColumn)) }

func decodeFilter(key string) (*model.ProductFilter, error) {
	var pf *model.ProductFilter
	if err := json.Unmarshal([]byte(key), &pf); err != nil {
		return nil, fmt.Errorf("decode product filter key: %w", err)
	}
	return pf, nil
}

func (f fetcher) productPages(ctx context.Context, parents []int, p keyset.Page, filter string) ([]*ent.Product, error) {
	pf, err := decodeFilter(filter)
	if err != nil {
		return nil, err
	}
	// One LIMITed branch per category: a root category's subtree can hold
	// most of the catalog, and a window over it would sort all of it.
	q := f.client.Product.Query().Where(listing.ProductWhere(pf)...)
	if cols := f.l.productColumns; cols != nil {
		q.Select(cols...)
	}
	q.Modify(p.Union(parents, store.RootColumn, store.InCategory))
	rows, err := q.All(ctx)
	return rows, wrap(err, "load product pages of %d categories", len(parents))
}

func (f fetcher) productCounts(ctx context.Context, parents []int, filter string) (map[int]int, error) {
	pf, err := decodeFilter(filter)
	if err != nil {
		return nil, err
	}
	q := f.client.Product.Query().Where(listing.ProductWhere(pf)...)
	return counts(ctx, q.Modify(store.CategoryRoots(parents), store.CountPerRoot).Scan, "count products of %d categories", len(parents))
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
