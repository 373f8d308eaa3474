package loaders

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/rowrules"
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
	ctx    context.Context // the operation's; batches run with it
	f      fetcher
	client *ent.Client
	cfg    Config
	sched  *Scheduler
	// productColumns are the product columns statements read; nil is all.
	productColumns []string
	// event, for the loaders of one subscription event, holds the rows
	// its subscribers share (ForEvent).
	event *store.Shared

	productByID   lazy[int, *ent.Product]
	categoryByID  lazy[int, *ent.Category]
	userByID      lazy[int, *ent.User]
	variantByID   lazy[int, *ent.Variant]
	reviewByID    lazy[int, *ent.Review]
	orderByID     lazy[int, *ent.Order]
	orderLineByID lazy[int, *ent.OrderLine]

	// Order history: a line's variant and product whatever their status.
	lineVariantByID lazy[int, *ent.Variant]
	lineProductByID lazy[int, *ent.Product]

	variantsByProduct   lazy[int, []*ent.Variant]
	childrenByCategory  lazy[int, []*ent.Category]
	ancestorsByCategory lazy[int, []*ent.Category]
	linesByOrder        lazy[int, []*ent.OrderLine]

	reviewStats  lazy[int, ReviewStats]
	variantStats lazy[int, VariantStats]
	orderTotal   lazy[int, int64]

	reviewsByProduct     lazy[PageKey, []*ent.Review]
	reviewsByAuthor      lazy[PageKey, []*ent.Review]
	reviewCountByAuthor  lazy[CountKey, int]
	ordersByCustomer     lazy[PageKey, []*ent.Order]
	orderCountByCustomer lazy[CountKey, int]
	productsByCategory   lazy[PageKey, []*ent.Product]
	productCountByCat    lazy[CountKey, int]
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
	l := &Loaders{ctx: ctx, client: client, cfg: cfg, sched: s}
	l.f = fetcher{client: client, l: l}
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

// lazy is a loader made on first use: an operation uses a few of the
// loaders, and making all of them (a cache each) cost more than a small
// lookup's own work.
type lazy[K comparable, V any] struct {
	once sync.Once
	l    *loader[K, V]
}

func (z *lazy[K, V]) get(make func() *loader[K, V]) *loader[K, V] {
	z.once.Do(func() { z.l = make() })
	return z.l
}

func (l *Loaders) productByIDL() *loader[int, *ent.Product] {
	return l.productByID.get(func() *loader[int, *ent.Product] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "productByID", rowrules.CatalogClass, byID(l.f.products, func(p *ent.Product) int { return p.ID })))
	})
}

func (l *Loaders) categoryByIDL() *loader[int, *ent.Category] {
	return l.categoryByID.get(func() *loader[int, *ent.Category] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "categoryByID", rowrules.CatalogClass, byID(l.f.categories, func(c *ent.Category) int { return c.ID })))
	})
}

func (l *Loaders) userByIDL() *loader[int, *ent.User] {
	return l.userByID.get(func() *loader[int, *ent.User] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "userByID", rowrules.CatalogClass, byID(l.f.users, func(u *ent.User) int { return u.ID })))
	})
}

func (l *Loaders) variantByIDL() *loader[int, *ent.Variant] {
	return l.variantByID.get(func() *loader[int, *ent.Variant] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "variantByID", rowrules.CatalogClass, byID(l.f.variants, func(v *ent.Variant) int { return v.ID })))
	})
}

func (l *Loaders) reviewByIDL() *loader[int, *ent.Review] {
	return l.reviewByID.get(func() *loader[int, *ent.Review] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "reviewByID", rowrules.CatalogClass, byID(l.f.reviews, func(r *ent.Review) int { return r.ID })))
	})
}

func (l *Loaders) orderByIDL() *loader[int, *ent.Order] {
	return l.orderByID.get(func() *loader[int, *ent.Order] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "orderByID", rowrules.CustomerClass, byID(l.f.orders, func(o *ent.Order) int { return o.ID })))
	})
}

func (l *Loaders) orderLineByIDL() *loader[int, *ent.OrderLine] {
	return l.orderLineByID.get(func() *loader[int, *ent.OrderLine] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "orderLineByID", rowrules.CustomerClass, byID(l.f.orderLines, func(l *ent.OrderLine) int { return l.ID })))
	})
}

func (l *Loaders) lineVariantByIDL() *loader[int, *ent.Variant] {
	return l.lineVariantByID.get(func() *loader[int, *ent.Variant] {
		return newLoader(rowrules.WithOrderHistory(l.ctx), l.sched, l.cfg, share(l, "lineVariantByID", rowrules.CatalogClass, byID(l.f.variants, func(v *ent.Variant) int { return v.ID })))
	})
}

func (l *Loaders) lineProductByIDL() *loader[int, *ent.Product] {
	return l.lineProductByID.get(func() *loader[int, *ent.Product] {
		return newLoader(rowrules.WithOrderHistory(l.ctx), l.sched, l.cfg, share(l, "lineProductByID", rowrules.CatalogClass, byID(l.f.products, func(p *ent.Product) int { return p.ID })))
	})
}

// The loaders keyed by product read with rowrules.ForVisibleProducts: they
// are only ever asked about products the viewer was already allowed to see.

func (l *Loaders) variantsByProductL() *loader[int, []*ent.Variant] {
	return l.variantsByProduct.get(func() *loader[int, []*ent.Variant] {
		return newLoader(rowrules.ForVisibleProducts(l.ctx), l.sched, l.cfg, share(l, "variantsByProduct", rowrules.CatalogClass, groupBy(l.f.variantsOfProducts, func(v *ent.Variant) int { return v.ProductID })))
	})
}

func (l *Loaders) childrenByCategoryL() *loader[int, []*ent.Category] {
	return l.childrenByCategory.get(func() *loader[int, []*ent.Category] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "childrenByCategory", rowrules.CatalogClass, groupBy(l.f.childrenOfCategories, func(c *ent.Category) int { return *c.ParentID })))
	})
}

func (l *Loaders) ancestorsByCategoryL() *loader[int, []*ent.Category] {
	return l.ancestorsByCategory.get(func() *loader[int, []*ent.Category] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "ancestorsByCategory", rowrules.CatalogClass, groupBy(l.f.ancestorsOfCategories, startID)))
	})
}

func (l *Loaders) linesByOrderL() *loader[int, []*ent.OrderLine] {
	return l.linesByOrder.get(func() *loader[int, []*ent.OrderLine] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "linesByOrder", rowrules.CustomerClass, groupBy(l.f.linesOfOrders, func(l *ent.OrderLine) int { return l.OrderID })))
	})
}

func (l *Loaders) reviewStatsL() *loader[int, ReviewStats] {
	return l.reviewStats.get(func() *loader[int, ReviewStats] {
		return newLoader(rowrules.ForVisibleProducts(l.ctx), l.sched, l.cfg, share(l, "reviewStats", rowrules.CatalogClass, aggregate(l.f.reviewStats)))
	})
}

func (l *Loaders) variantStatsL() *loader[int, VariantStats] {
	return l.variantStats.get(func() *loader[int, VariantStats] {
		return newLoader(rowrules.ForVisibleProducts(l.ctx), l.sched, l.cfg, share(l, "variantStats", rowrules.CatalogClass, aggregate(l.f.variantStats)))
	})
}

func (l *Loaders) orderTotalL() *loader[int, int64] {
	return l.orderTotal.get(func() *loader[int, int64] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "orderTotal", rowrules.CustomerClass, aggregate(l.f.orderTotals)))
	})
}

func (l *Loaders) reviewsByProductL() *loader[PageKey, []*ent.Review] {
	return l.reviewsByProduct.get(func() *loader[PageKey, []*ent.Review] {
		return newLoader(rowrules.ForVisibleProducts(l.ctx), l.sched, l.cfg, share(l, "reviewsByProduct", rowrules.CatalogClass, paged(l.f.reviewPages(review.FieldProductID), func(r *ent.Review) int { return r.ProductID })))
	})
}

func (l *Loaders) reviewsByAuthorL() *loader[PageKey, []*ent.Review] {
	return l.reviewsByAuthor.get(func() *loader[PageKey, []*ent.Review] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "reviewsByAuthor", rowrules.CatalogClass, paged(l.f.reviewPages(review.FieldAuthorID), func(r *ent.Review) int { return r.AuthorID })))
	})
}

func (l *Loaders) reviewCountByAuthorL() *loader[CountKey, int] {
	return l.reviewCountByAuthor.get(func() *loader[CountKey, int] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "reviewCountByAuthor", rowrules.CatalogClass, counted(l.f.reviewCountsByAuthor)))
	})
}

func (l *Loaders) ordersByCustomerL() *loader[PageKey, []*ent.Order] {
	return l.ordersByCustomer.get(func() *loader[PageKey, []*ent.Order] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "ordersByCustomer", rowrules.CustomerClass, paged(l.f.orderPages, func(o *ent.Order) int { return o.CustomerID })))
	})
}

func (l *Loaders) orderCountByCustomerL() *loader[CountKey, int] {
	return l.orderCountByCustomer.get(func() *loader[CountKey, int] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "orderCountByCustomer", rowrules.CustomerClass, counted(l.f.orderCountsByCustomer)))
	})
}

func (l *Loaders) productsByCategoryL() *loader[PageKey, []*ent.Product] {
	return l.productsByCategory.get(func() *loader[PageKey, []*ent.Product] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "productsByCategory", rowrules.CatalogClass, paged(l.f.productPages, rootID)))
	})
}

func (l *Loaders) productCountByCatL() *loader[CountKey, int] {
	return l.productCountByCat.get(func() *loader[CountKey, int] {
		return newLoader(l.ctx, l.sched, l.cfg, share(l, "productCountByCat", rowrules.CatalogClass, counted(l.f.productCounts)))
	})
}

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
	return load(ctx, func(l *Loaders) *loader[int, *ent.Product] { return l.productByIDL() }, id)
}

// CategoryByID returns a category, or nil if there is none.
func CategoryByID(ctx context.Context, id int) (*ent.Category, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Category] { return l.categoryByIDL() }, id)
}

// UserByID returns a user, or nil if there is none.
func UserByID(ctx context.Context, id int) (*ent.User, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.User] { return l.userByIDL() }, id)
}

// VariantByID returns a variant, or nil if there is none.
func VariantByID(ctx context.Context, id int) (*ent.Variant, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Variant] { return l.variantByIDL() }, id)
}

// LineVariantByID returns the variant of an order line the caller may see,
// even if its product is no longer on sale.
func LineVariantByID(ctx context.Context, id int) (*ent.Variant, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Variant] { return l.lineVariantByIDL() }, id)
}

// LineProductByID returns the product of an order line the caller may see,
// even if it is no longer on sale.
func LineProductByID(ctx context.Context, id int) (*ent.Product, error) {
	return load(ctx, func(l *Loaders) *loader[int, *ent.Product] { return l.lineProductByIDL() }, id)
}

// VariantsByProduct returns a product's variants, cheapest first.
func VariantsByProduct(ctx context.Context, productID int) ([]*ent.Variant, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.Variant] { return l.variantsByProductL() }, productID)
}

// ChildrenByCategory returns a category's direct subcategories by name.
func ChildrenByCategory(ctx context.Context, categoryID int) ([]*ent.Category, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.Category] { return l.childrenByCategoryL() }, categoryID)
}

// AncestorsByCategory returns a category's ancestors, root first.
func AncestorsByCategory(ctx context.Context, categoryID int) ([]*ent.Category, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.Category] { return l.ancestorsByCategoryL() }, categoryID)
}

// LinesByOrder returns an order's lines.
func LinesByOrder(ctx context.Context, orderID int) ([]*ent.OrderLine, error) {
	return load(ctx, func(l *Loaders) *loader[int, []*ent.OrderLine] { return l.linesByOrderL() }, orderID)
}

// ReviewStatsByProduct returns the count and mean rating of a product's reviews.
func ReviewStatsByProduct(ctx context.Context, productID int) (ReviewStats, error) {
	return load(ctx, func(l *Loaders) *loader[int, ReviewStats] { return l.reviewStatsL() }, productID)
}

// VariantStatsByProduct returns the price range and stock of a product's variants.
func VariantStatsByProduct(ctx context.Context, productID int) (VariantStats, error) {
	return load(ctx, func(l *Loaders) *loader[int, VariantStats] { return l.variantStatsL() }, productID)
}

// OrderTotal returns the sum of an order's line subtotals in minor units.
func OrderTotal(ctx context.Context, orderID int) (int64, error) {
	return load(ctx, func(l *Loaders) *loader[int, int64] { return l.orderTotalL() }, orderID)
}

// ReviewsByProduct returns up to Limit+1 reviews of a product, in scan order.
func ReviewsByProduct(ctx context.Context, key PageKey) ([]*ent.Review, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Review] { return l.reviewsByProductL() }, key)
}

// ReviewsByAuthor returns up to Limit+1 reviews by a user, in scan order.
func ReviewsByAuthor(ctx context.Context, key PageKey) ([]*ent.Review, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Review] { return l.reviewsByAuthorL() }, key)
}

// ReviewCountByAuthor returns how many reviews a user wrote.
func ReviewCountByAuthor(ctx context.Context, userID int) (int, error) {
	return load(ctx, func(l *Loaders) *loader[CountKey, int] { return l.reviewCountByAuthorL() }, CountKey{Parent: userID})
}

// OrdersByCustomer returns up to Limit+1 orders of a user, in scan order.
func OrdersByCustomer(ctx context.Context, key PageKey) ([]*ent.Order, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Order] { return l.ordersByCustomerL() }, key)
}

// OrderCountByCustomer returns how many orders a user placed.
func OrderCountByCustomer(ctx context.Context, userID int) (int, error) {
	return load(ctx, func(l *Loaders) *loader[CountKey, int] { return l.orderCountByCustomerL() }, CountKey{Parent: userID})
}

// ProductsByCategory returns up to Limit+1 products of a category's subtree,
// in scan order.
func ProductsByCategory(ctx context.Context, key PageKey) ([]*ent.Product, error) {
	return load(ctx, func(l *Loaders) *loader[PageKey, []*ent.Product] { return l.productsByCategoryL() }, key)
}

// ProductCountByCategory returns how many products of a category's subtree
// pass a filter.
func ProductCountByCategory(ctx context.Context, key CountKey) (int, error) {
	return load(ctx, func(l *Loaders) *loader[CountKey, int] { return l.productCountByCatL() }, key)
}

// PrimeProducts seeds the product cache with rows a list query already
// returned, so back-references (variant.product) cost no statement.
func PrimeProducts(ctx context.Context, products []*ent.Product) {
	if l, err := From(ctx); err == nil {
		for _, p := range products {
			l.productByIDL().Prime(ctx, p.ID, p)
		}
	}
}
