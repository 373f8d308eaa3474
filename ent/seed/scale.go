package seed

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
)

// scaleSpan is how long the generated store has been trading: products and
// orders are dated evenly across it.
const scaleSpan = 365 * day

// Scale loads a benchmark data set into an empty database: products
// products with 4.3 variants each on average (250,000 products make over a
// million variants), 200 categories three levels deep, a user per ten
// products (the demo's three role accounts first), about two reviews per
// product and an order per five products with one to three lines.
//
// Products are written with their sort keys (min_price, rating_avg,
// in_stock) computed from the variants and reviews drawn with them, rather
// than by store.RefreshProductKeys afterwards: that rewrote every product,
// which on PostgreSQL took a quarter of the load (each row gets new entries
// in every index, the trigram ones included) and left the table half dead
// rows for the benchmark to wade through. The tests hold the two to agree.
//
// It commits a transaction per statement's worth of products (with their
// variants and reviews) and of orders (with their lines), which keeps SQLite
// fast and memory flat. A failure part way leaves what was committed; the
// database is then not empty, so it must be recreated to retry. Scale
// writes a line per phase to progress, which may be nil, and returns
// ErrNotEmpty if the database has products or users.
func Scale(ctx context.Context, s *store.Store, products int, progress io.Writer) (Summary, error) {
	if products < 1 {
		return Summary{}, fmt.Errorf("scale: products must be positive, got %d", products)
	}
	if err := requireEmpty(ctx, s); err != nil {
		return Summary{}, err
	}
	if progress == nil {
		progress = io.Discard
	}
	ctx = store.KeysPrecomputed(ctx) // see above: the store's hooks need not refresh them
	sc := &scale{g: newGenerator(), client: s.Client, products: products}
	phases := []struct {
		name string
		run  func(context.Context) (string, error)
	}{
		{"categories", sc.categories},
		{"users", sc.users},
		{"catalog", sc.catalog},
		{"orders", sc.orders},
	}
	start := time.Now()
	for _, p := range phases {
		began := time.Now()
		done, err := p.run(ctx)
		if err != nil {
			return Summary{}, fmt.Errorf("scale %s: %w", p.name, err)
		}
		fmt.Fprintf(progress, "seed: %-10s %s in %s\n", p.name, done, since(began))
	}
	fmt.Fprintf(progress, "seed: done: %s in %s\n", sc.sum, since(start))
	return sc.sum, nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(time.Millisecond) }

// scale is one Scale load; each phase leaves for the next what it needs.
type scale struct {
	g         *generator
	client    *ent.Client
	products  int
	sum       Summary
	leaves    []*leaf
	customers []int
	pool      []sellable
}

func (sc *scale) categories(ctx context.Context) (string, error) {
	t := scaleTree(sc.g.words.departments, sc.g.words.lines)
	err := inTx(ctx, sc.client, func(tx *ent.Tx) error {
		var err error
		sc.leaves, err = t.insert(ctx, tx, at(-31*day))
		return err
	})
	sc.sum.Categories = len(t.nodes)
	return fmt.Sprintf("%d categories", len(t.nodes)), err
}

// users are the demo's role accounts, so a benchmark server can be signed
// in to, and numbered customers ("olivia.nguyen.42@example.com").
func (sc *scale) users(ctx context.Context) (string, error) {
	n := max(10, sc.products/10)
	rows := demoAccounts()
	for i := len(rows); i < n; i++ {
		name, email := sc.g.person(strconv.Itoa(i + 1))
		rows = append(rows, userRow{name: name, email: email, role: user.RoleCUSTOMER})
	}
	for i := range rows {
		rows[i].created = at(-30*day + spread(i, n, 30*day))
	}
	err := inTx(ctx, sc.client, func(tx *ent.Tx) error {
		ids, err := insertUsers(ctx, tx, rows)
		if len(ids) > 2 {
			sc.customers = ids[2:] // all but admin and staff
		}
		return err
	})
	sc.sum.Users = n
	return fmt.Sprintf("%d users", n), err
}

// catalog inserts products with their variants and reviews, a transaction
// per statement's worth of products.
func (sc *scale) catalog(ctx context.Context) (string, error) {
	chunk := batchRows(productColumns)
	for start := 0; start < sc.products; start += chunk {
		n := min(chunk, sc.products-start)
		if err := inTx(ctx, sc.client, func(tx *ent.Tx) error { return sc.catalogChunk(ctx, tx, start, n) }); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d products, %d variants, %d reviews", sc.sum.Products, sc.sum.Variants, sc.sum.Reviews), nil
}

// catalogChunk inserts products start to start+n. Slugs end in the
// product's number, which keeps them unique however often a title recurs.
func (sc *scale) catalogChunk(ctx context.Context, tx *ent.Tx, start, n int) error {
	rules := catalogRules{variantCount: sc.g.variantCount, mostReviews: 5, authors: sc.customers}
	plans := make([]plan, n)
	for i := range n {
		l := sc.leaves[sc.g.rng.IntN(len(sc.leaves))]
		title := sc.g.title(l)
		slug := slugify(title) + "-" + strconv.Itoa(start+i+1)
		created := at(spread(start+i, sc.products, scaleSpan))
		plans[i] = sc.g.productPlan(l, title, slug, sc.g.scaleStatus(), created, sc.g.rng.IntN(100) < 5, rules)
	}
	_, pool, err := insertPlans(ctx, tx, plans)
	if err != nil {
		return err
	}
	sc.pool = append(sc.pool, pool...)
	sc.sum.Products += n
	for _, p := range plans {
		sc.sum.Variants += len(p.variants)
		sc.sum.Reviews += len(p.reviews)
	}
	return nil
}

// orders inserts an order per five products, by random customers, dated
// evenly over the year and numbered in date order.
func (sc *scale) orders(ctx context.Context) (string, error) {
	total := max(1, sc.products/5)
	chunk := batchRows(orderColumns)
	for start := 0; start < total; start += chunk {
		n := min(chunk, total-start)
		if err := inTx(ctx, sc.client, func(tx *ent.Tx) error { return sc.ordersChunk(ctx, tx, start, n, total) }); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("%d orders, %d lines", sc.sum.Orders, sc.sum.OrderLines), nil
}

func (sc *scale) ordersChunk(ctx context.Context, tx *ent.Tx, start, n, total int) error {
	rows := make([]orderRow, n)
	lines := make([][]lineRow, n)
	for i := range n {
		rows[i] = orderRow{
			number:     orderNumber(start + i + 1),
			status:     sc.g.orderStatus(),
			customerID: sc.customers[sc.g.rng.IntN(len(sc.customers))],
			created:    at(spread(start+i, total, scaleSpan)),
		}
		lines[i] = sc.g.lines(sc.pool, 3)
	}
	ids, err := insertOrders(ctx, tx, rows)
	if err != nil {
		return err
	}
	var all []lineRow
	for i, ls := range lines {
		for _, l := range ls {
			l.orderID = ids[i]
			all = append(all, l)
		}
	}
	if err := insertOrderLines(ctx, tx, all); err != nil {
		return err
	}
	sc.sum.Orders += n
	sc.sum.OrderLines += len(all)
	return nil
}
