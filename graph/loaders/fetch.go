package loaders

import (
	"context"
	"encoding/json"
	"fmt"

	"entgo.io/ent/dialect/sql"

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
	var rows []struct {
		ProductID int     `json:"product_id"`
		Count     int     `json:"count"`
		Mean      float64 `json:"mean"`
	}
	err := f.client.Review.Query().
		Where(predicate.Review(store.InKeys(review.FieldProductID, ids))).
		GroupBy(review.FieldProductID).
		Aggregate(ent.Count(), func(s *sql.Selector) string {
			return sql.As(sql.Avg(s.C(review.FieldRating)), "mean")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "load review stats of %d products", len(ids))
	}
	m := make(map[int]ReviewStats, len(rows))
	for _, r := range rows {
		m[r.ProductID] = ReviewStats{Count: r.Count, Average: r.Mean}
	}
	return m, nil
}

// VariantStats summarises a product's variants.
type VariantStats struct {
	Count    int
	MinPrice int64
	MaxPrice int64
	MaxStock int
}

func (f fetcher) variantStats(ctx context.Context, ids []int) (map[int]VariantStats, error) {
	var rows []struct {
		ProductID int   `json:"product_id"`
		Count     int   `json:"count"`
		MinPrice  int64 `json:"min_price"`
		MaxPrice  int64 `json:"max_price"`
		MaxStock  int   `json:"max_stock"`
	}
	as := func(fn func(string) string, col, name string) ent.AggregateFunc {
		return func(s *sql.Selector) string { return sql.As(fn(s.C(col)), name) }
	}
	err := f.client.Variant.Query().
		Where(predicate.Variant(store.InKeys(variant.FieldProductID, ids))).
		GroupBy(variant.FieldProductID).
		Aggregate(
			ent.Count(),
			as(sql.Min, variant.FieldPrice, "min_price"),
			as(sql.Max, variant.FieldPrice, "max_price"),
			as(sql.Max, variant.FieldStock, "max_stock"),
		).
		Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "load variant stats of %d products", len(ids))
	}
	m := make(map[int]VariantStats, len(rows))
	for _, r := range rows {
		m[r.ProductID] = VariantStats{Count: r.Count, MinPrice: r.MinPrice, MaxPrice: r.MaxPrice, MaxStock: r.MaxStock}
	}
	return m, nil
}

func (f fetcher) orderTotals(ctx context.Context, ids []int) (map[int]int64, error) {
	var rows []struct {
		OrderID int   `json:"order_id"`
		Total   int64 `json:"total"`
	}
	err := f.client.OrderLine.Query().
		Where(predicate.OrderLine(store.InKeys(orderline.FieldOrderID, ids))).
		GroupBy(orderline.FieldOrderID).
		Aggregate(store.LineTotal).
		Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "load totals of %d orders", len(ids))
	}
	m := make(map[int]int64, len(rows))
	for _, r := range rows {
		m[r.OrderID] = r.Total
	}
	return m, nil
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
	var rows []struct {
		Parent int `json:"author_id"`
		Count  int `json:"count"`
	}
	err := f.client.Review.Query().
		Where(predicate.Review(store.InKeys(review.FieldAuthorID, authors))).
		GroupBy(review.FieldAuthorID).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "count reviews of %d authors", len(authors))
	}
	m := make(map[int]int, len(rows))
	for _, r := range rows {
		m[r.Parent] = r.Count
	}
	return m, nil
}

func (f fetcher) orderCountsByCustomer(ctx context.Context, customers []int, _ string) (map[int]int, error) {
	var rows []struct {
		Parent int `json:"customer_id"`
		Count  int `json:"count"`
	}
	err := f.client.Order.Query().
		Where(predicate.Order(store.InKeys(order.FieldCustomerID, customers))).
		GroupBy(order.FieldCustomerID).
		Aggregate(ent.Count()).
		Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "count orders of %d customers", len(customers))
	}
	m := make(map[int]int, len(rows))
	for _, r := range rows {
		m[r.Parent] = r.Count
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
	q.Modify(p.Union(parents, store.RootColumn, func(s *sql.Selector, parent int) {
		store.UnderCategory(parent)(s)
	}))
	rows, err := q.All(ctx)
	return rows, wrap(err, "load product pages of %d categories", len(parents))
}

func (f fetcher) productCounts(ctx context.Context, parents []int, filter string) (map[int]int, error) {
	pf, err := decodeFilter(filter)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Parent int `json:"root_id"`
		Count  int `json:"count"`
	}
	err = f.client.Product.Query().
		Where(listing.ProductWhere(pf)...).
		Modify(store.CategoryRoots(parents), store.CountPerRoot).
		Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err, "count products of %d categories", len(parents))
	}
	m := make(map[int]int, len(rows))
	for _, r := range rows {
		m[r.Parent] = r.Count
	}
	return m, nil
}

func wrap(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
