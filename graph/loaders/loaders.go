package loaders

import (
	"context"
	"errors"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/graph/privacy"
)

// Config tunes batching.
type Config struct {
	// Stall is a guard, never the rule: a batch also runs once its
	// operation has made no progress at all (no field resolved, no batch
	// returned) for this long. Only work the Scheduler failed to count, or
	// an operation blocked elsewhere, can cause that; see Scheduler.Stats.
	Stall time.Duration
	// MaxBatch caps the keys of one statement, bounding its memory. 1
	// turns batching off (one statement per key, as naive resolvers do);
	// benchmarks use that as the baseline.
	MaxBatch int
}

// DefaultConfig: a working operation makes progress every few microseconds
// even on a saturated machine, so two seconds without any is not load.
var DefaultConfig = Config{Stall: 2 * time.Second, MaxBatch: 20000}

// Loaders are one operation's dataloaders.
type Loaders struct {
	client *ent.Client
	cfg    Config
	sched  *Scheduler
	// productColumns are the product columns statements read; nil is all.
	productColumns []string

	productByID   *loader[int, *ent.Product]
	categoryByID  *loader[int, *ent.Category]
	userByID      *loader[int, *ent.User]
	variantByID   *loader[int, *ent.Variant]
	reviewByID    *loader[int, *ent.Review]
	orderByID     *loader[int, *ent.Order]
	orderLineByID *loader[int, *ent.OrderLine]

	// Order history: a line's variant and product whatever their status.
	lineVariantByID *loader[int, *ent.Variant]
	lineProductByID *loader[int, *ent.Product]

	variantsByProduct   *loader[int, []*ent.Variant]
	childrenByCategory  *loader[int, []*ent.Category]
	ancestorsByCategory *loader[int, []*ent.Category]
	linesByOrder        *loader[int, []*ent.OrderLine]

	reviewStats  *loader[int, ReviewStats]
	variantStats *loader[int, VariantStats]
	orderTotal   *loader[int, int64]

	reviewsByProduct     *loader[PageKey, []*ent.Review]
	reviewsByAuthor      *loader[PageKey, []*ent.Review]
	reviewCountByAuthor  *loader[CountKey, int]
	ordersByCustomer     *loader[PageKey, []*ent.Order]
	orderCountByCustomer *loader[CountKey, int]
	productsByCategory   *loader[PageKey, []*ent.Product]
	productCountByCat    *loader[CountKey, int]
}

// New returns fresh loaders over client for one operation, whose batches
// run with ctx when s says so. A nil s makes a scheduler for a caller that
// uses the loaders from its own goroutine, outside a GraphQL operation.
// Zero fields of cfg take DefaultConfig's values.
func New(ctx context.Context, client *ent.Client, cfg Config, s *Scheduler) *Loaders {
	if cfg.Stall <= 0 {
		cfg.Stall = DefaultConfig.Stall
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultConfig.MaxBatch
	}
	if s == nil {
		s = NewScheduler(ctx, 1, cfg.Stall)
	}
	l := &Loaders{client: client, cfg: cfg, sched: s}
	f := fetcher{client: client, l: l}
	// Loaders keyed by product are only ever asked about products the
	// viewer has already been allowed to see.
	children := privacy.ForVisibleProducts(ctx)
	*l = Loaders{
		client: client,
		cfg:    cfg,
		sched:  s,

		productByID:   newLoader(ctx, s, cfg, byID(f.products, func(p *ent.Product) int { return p.ID })),
		categoryByID:  newLoader(ctx, s, cfg, byID(f.categories, func(c *ent.Category) int { return c.ID })),
		userByID:      newLoader(ctx, s, cfg, byID(f.users, func(u *ent.User) int { return u.ID })),
		variantByID:   newLoader(ctx, s, cfg, byID(f.variants, func(v *ent.Variant) int { return v.ID })),
		reviewByID:    newLoader(ctx, s, cfg, byID(f.reviews, func(r *ent.Review) int { return r.ID })),
		orderByID:     newLoader(ctx, s, cfg, byID(f.orders, func(o *ent.Order) int { return o.ID })),
		orderLineByID: newLoader(ctx, s, cfg, byID(f.orderLines, func(l *ent.OrderLine) int { return l.ID })),

		lineVariantByID: newLoader(privacy.WithOrderHistory(ctx), s, cfg, byID(f.variants, func(v *ent.Variant) int { return v.ID })),
		lineProductByID: newLoader(privacy.WithOrderHistory(ctx), s, cfg, byID(f.products, func(p *ent.Product) int { return p.ID })),

		variantsByProduct:   newLoader(children, s, cfg, groupBy(f.variantsOfProducts, func(v *ent.Variant) int { return v.ProductID })),
		childrenByCategory:  newLoader(ctx, s, cfg, groupBy(f.childrenOfCategories, func(c *ent.Category) int { return *c.ParentID })),
		ancestorsByCategory: newLoader(ctx, s, cfg, groupBy(f.ancestorsOfCategories, startID)),
		linesByOrder:        newLoader(ctx, s, cfg, groupBy(f.linesOfOrders, func(l *ent.OrderLine) int { return l.OrderID })),

		reviewStats:  newLoader(children, s, cfg, aggregate(f.reviewStats)),
		variantStats: newLoader(children, s, cfg, aggregate(f.variantStats)),
		orderTotal:   newLoader(ctx, s, cfg, aggregate(f.orderTotals)),

		reviewsByProduct:     newLoader(children, s, cfg, paged(f.reviewPages(review.FieldProductID), func(r *ent.Review) int { return r.ProductID })),
		reviewsByAuthor:      newLoader(ctx, s, cfg, paged(f.reviewPages(review.FieldAuthorID), func(r *ent.Review) int { return r.AuthorID })),
		reviewCountByAuthor:  newLoader(ctx, s, cfg, counted(f.reviewCountsByAuthor)),
		ordersByCustomer:     newLoader(ctx, s, cfg, paged(f.orderPages, func(o *ent.Order) int { return o.CustomerID })),
		orderCountByCustomer: newLoader(ctx, s, cfg, counted(f.orderCountsByCustomer)),
		productsByCategory:   newLoader(ctx, s, cfg, paged(f.productPages, rootID)),
		productCountByCat:    newLoader(ctx, s, cfg, counted(f.productCounts)),
	}
	return l
}

// Renew returns empty loaders for the same operation and scheduler: a
// mutation's payload must not show rows cached before it ran.
func (l *Loaders) Renew(ctx context.Context) *Loaders {
	n := New(ctx, l.client, l.cfg, l.sched)
	n.productColumns = l.productColumns
	return n
}

// ProductColumns are the product columns a statement of ctx's operation
// should read (nil: all of them).
func ProductColumns(ctx context.Context) []string {
	if l, err := From(ctx); err == nil {
		return l.productColumns
	}
	return nil
}

// Scheduler returns the scheduler the loaders' batches wait on.
func (l *Loaders) Scheduler() *Scheduler { return l.sched }

type ctxKey struct{}

// With returns a context carrying l.
func With(ctx context.Context, l *Loaders) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// ErrNoLoaders means a resolver ran outside an operation that installed
// loaders: a wiring bug, reported as an internal error rather than a panic.
var ErrNoLoaders = errors.New("no dataloaders in context")

// From returns the loaders in ctx.
func From(ctx context.Context) (*Loaders, error) {
	l, ok := ctx.Value(ctxKey{}).(*Loaders)
	if !ok || l == nil {
		return nil, ErrNoLoaders
	}
	return l, nil
}

func load[K comparable, V any](ctx context.Context, pick func(*Loaders) *loader[K, V], key K) (V, error) {
	l, err := From(ctx)
	if err != nil {
		var zero V
		return zero, err
	}
	return pick(l).Load(ctx, key)()
}

// ProductByID returns a product, or nil if there is none.
func ProductByID(ctx context.Context, id int) (*ent.Product, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Product] { return l.productByID }, id)
}

// CategoryByID returns a category, or nil if there is none.
func CategoryByID(ctx context.Context, id int) (*ent.Category, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Category] { return l.categoryByID }, id)
}

// UserByID returns a user, or nil if there is none.
func UserByID(ctx context.Context, id int) (*ent.User, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.User] { return l.userByID }, id)
}

// VariantByID returns a variant, or nil if there is none.
func VariantByID(ctx context.Context, id int) (*ent.Variant, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Variant] { return l.variantByID }, id)
}

// LineVariantByID returns the variant of an order line the caller may see,
// even if its product is no longer on sale.
func LineVariantByID(ctx context.Context, id int) (*ent.Variant, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Variant] { return l.lineVariantByID }, id)
}

// LineProductByID returns the product of an order line the caller may see,
// even if it is no longer on sale.
func LineProductByID(ctx context.Context, id int) (*ent.Product, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Product] { return l.lineProductByID }, id)
}

// VariantsByProduct returns a product's variants, cheapest first.
func VariantsByProduct(ctx context.Context, productID int) ([]*ent.Variant, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.Variant] { return l.variantsByProduct }, productID)
}

// ChildrenByCategory returns a category's direct subcategories by name.
func ChildrenByCategory(ctx context.Context, categoryID int) ([]*ent.Category, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.Category] { return l.childrenByCategory }, categoryID)
}

// AncestorsByCategory returns a category's ancestors, root first.
func AncestorsByCategory(ctx context.Context, categoryID int) ([]*ent.Category, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.Category] { return l.ancestorsByCategory }, categoryID)
}

// LinesByOrder returns an order's lines.
func LinesByOrder(ctx context.Context, orderID int) ([]*ent.OrderLine, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.OrderLine] { return l.linesByOrder }, orderID)
}

// ReviewStatsByProduct returns the count and mean rating of a product's reviews.
func ReviewStatsByProduct(ctx context.Context, productID int) (ReviewStats, error) {
	return load(ctx, func(l *Loaders) *loader[int, ReviewStats] { return l.reviewStats }, productID)
}

// VariantStatsByProduct returns the price range and stock of a product's variants.
func VariantStatsByProduct(ctx context.Context, productID int) (VariantStats, error) {
	return load(ctx, func(l *Loaders) *loader[int, VariantStats] { return l.variantStats }, productID)
}

// OrderTotal returns the sum of an order's line subtotals in minor units.
func OrderTotal(ctx context.Context, orderID int) (int64, error) {
	return load(ctx, func(l *Loaders) *loader[int, int64] { return l.orderTotal }, orderID)
}

// ReviewsByProduct returns up to Limit+1 reviews of a product, in scan order.
func ReviewsByProduct(ctx context.Context, key PageKey) ([]*ent.Review, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Review] { return l.reviewsByProduct }, key)
}

// ReviewsByAuthor returns up to Limit+1 reviews by a user, in scan order.
func ReviewsByAuthor(ctx context.Context, key PageKey) ([]*ent.Review, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Review] { return l.reviewsByAuthor }, key)
}

// ReviewCountByAuthor returns how many reviews a user wrote.
func ReviewCountByAuthor(ctx context.Context, userID int) (int, error) {
	return load(ctx, func(l *Loaders) *loader[CountKey, int] { return l.reviewCountByAuthor }, CountKey{Parent: userID})
}

// OrdersByCustomer returns up to Limit+1 orders of a user, in scan order.
func OrdersByCustomer(ctx context.Context, key PageKey) ([]*ent.Order, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Order] { return l.ordersByCustomer }, key)
}

// OrderCountByCustomer returns how many orders a user placed.
func OrderCountByCustomer(ctx context.Context, userID int) (int, error) {
	return load(ctx, func(l *Loaders) *loader[CountKey, int] { return l.orderCountByCustomer }, CountKey{Parent: userID})
}

// ProductsByCategory returns up to Limit+1 products of a category's subtree,
// in scan order.
func ProductsByCategory(ctx context.Context, key PageKey) ([]*ent.Product, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Product] { return l.productsByCategory }, key)
}

// ProductCountByCategory returns how many products of a category's subtree
// pass a filter.
func ProductCountByCategory(ctx context.Context, key CountKey) (int, error) {
	return load(ctx, func(l *Loaders) *loader[CountKey, int] { return l.productCountByCat }, key)
}

// PrimeProducts seeds the product cache with rows a list query already
// returned, so back-references (variant.product) cost no statement.
func PrimeProducts(ctx context.Context, products []*ent.Product) {
	if l, err := From(ctx); err == nil {
		for _, p := range products {
			l.productByID.Prime(ctx, p.ID, p)
		}
	}
}
