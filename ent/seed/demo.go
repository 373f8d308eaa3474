package seed

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
)

// Demo sizes.
const (
	demoProducts  = 60
	demoDrafts    = 6
	demoArchived  = 4
	demoSoldOut   = 5
	demoCustomers = 10 // Casey Customer and nine more
	// Products appear over demoCatalogSpan; orders follow, over
	// demoOrderSpan, so none holds a product not yet listed.
	demoCatalogSpan = 120 * day
	demoOrderSpan   = 60 * day
)

// Demo loads the demo store into an empty database in one transaction, so
// a failure leaves the database empty, and returns what it inserted. It
// returns ErrNotEmpty if the database has products or users.
func Demo(ctx context.Context, s *store.Store) (Summary, error) {
	if err := requireEmpty(ctx, s); err != nil {
		return Summary{}, err
	}
	d := &demo{g: newGenerator()}
	err := inTx(ctx, s.Client, func(tx *ent.Tx) error { return d.load(ctx, tx) })
	if err != nil {
		return Summary{}, fmt.Errorf("load demo data: %w", err)
	}
	return d.sum, nil
}

// demo is one Demo load; each step leaves for the next what it needs.
type demo struct {
	g         *generator
	sum       Summary
	customers []int
	leaves    []*leaf
	plans     []plan
	pool      []sellable
}

func (d *demo) load(ctx context.Context, tx *ent.Tx) error {
	steps := []func(context.Context, *ent.Tx) error{d.users, d.categories, d.catalog, d.orders}
	for _, step := range steps {
		if err := step(ctx, tx); err != nil {
			return err
		}
	}
	// The keys were computed as the products were drawn; the demo is small
	// enough to let the definition have the last word anyway: the store's
	// hooks refresh every product written as the transaction commits.
	return nil
}

// users are the three role accounts and nine more customers, created in the
// month before the store opened.
func (d *demo) users(ctx context.Context, tx *ent.Tx) error {
	rows := demoAccounts()
	taken := map[string]bool{}
	for len(rows) < 2+demoCustomers { // admin and staff, then customers
		name, email := d.g.person("")
		if !taken[email] {
			taken[email] = true
			rows = append(rows, userRow{name: name, email: email, role: user.RoleCUSTOMER})
		}
	}
	for i := range rows {
		rows[i].created = at(-30*day + spread(i, len(rows), 30*day))
	}
	ids, err := insertUsers(ctx, tx, rows)
	if err != nil {
		return err
	}
	d.customers = ids[2:] // Casey first
	d.sum.Users = len(ids)
	return nil
}

func (d *demo) categories(ctx context.Context, tx *ent.Tx) error {
	t := demoTree(d.g.words.departments[:demoDepartments])
	leaves, err := t.insert(ctx, tx, at(-31*day))
	if err != nil {
		return err
	}
	d.leaves, d.sum.Categories = leaves, len(t.nodes)
	return nil
}

// catalog inserts the products, filed round-robin so that every leaf
// category has some, with their variants and reviews.
func (d *demo) catalog(ctx context.Context, tx *ent.Tx) error {
	// rank is each product's place in a shuffle; the lowest ranks take the
	// states a demo must show, in fixed numbers.
	rank := make([]int, demoProducts)
	for r, i := range d.g.rng.Perm(demoProducts) {
		rank[i] = r
	}
	rules := catalogRules{
		variantCount: func() int { return 1 + d.g.rng.IntN(5) },
		mostReviews:  6,
		authors:      d.customers,
	}
	taken := map[string]bool{}
	for i := range demoProducts {
		l := d.leaves[i%len(d.leaves)]
		title := d.uniqueTitle(l, taken)
		status, soldOut := demoState(rank[i])
		created := at(spread(i, demoProducts, demoCatalogSpan) + d.g.jitter(time.Hour))
		d.plans = append(d.plans, d.g.productPlan(l, title, slugify(title), status, created, soldOut, rules))
	}
	ids, pool, err := insertPlans(ctx, tx, d.plans)
	if err != nil {
		return err
	}
	d.pool = pool
	d.sum.Products = len(ids)
	for _, p := range d.plans {
		d.sum.Variants += len(p.variants)
		d.sum.Reviews += len(p.reviews)
	}
	return nil
}

// demoState gives the products ranked lowest the drafts, then the archived,
// then the sold-out active ones.
func demoState(rank int) (status product.Status, soldOut bool) {
	switch {
	case rank < demoDrafts:
		return product.StatusDRAFT, false
	case rank < demoDrafts+demoArchived:
		return product.StatusARCHIVED, false
	default:
		return product.StatusACTIVE, rank < demoDrafts+demoArchived+demoSoldOut
	}
}

// uniqueTitle draws titles for l until one is new, so every demo slug is
// just its title; a numbered title is the fallback for a small vocabulary.
func (d *demo) uniqueTitle(l *leaf, taken map[string]bool) string {
	title := d.g.title(l)
	for try := 0; taken[slugify(title)]; try++ {
		title = d.g.title(l)
		if try >= 50 {
			title += " " + strconv.Itoa(try)
		}
	}
	taken[slugify(title)] = true
	return title
}

// orders gives each customer up to four orders (Casey at least two, so the
// customer account has a history to show), numbered in date order.
func (d *demo) orders(ctx context.Context, tx *ent.Tx) error {
	type draft struct {
		row   orderRow
		lines []lineRow
	}
	var drafts []draft
	for i, customer := range d.customers {
		n := d.g.rng.IntN(5)
		if i == 0 {
			n = 2 + d.g.rng.IntN(3)
		}
		for range n {
			drafts = append(drafts, draft{
				row: orderRow{
					customerID: customer, status: d.g.orderStatus(),
					created: at(demoCatalogSpan + d.g.jitter(demoOrderSpan)),
				},
				lines: d.g.lines(d.pool, 4),
			})
		}
	}
	slices.SortStableFunc(drafts, func(a, b draft) int { return a.row.created.Compare(b.row.created) })
	rows := make([]orderRow, len(drafts))
	for i := range drafts {
		drafts[i].row.number = orderNumber(i + 1)
		rows[i] = drafts[i].row
	}
	ids, err := insertOrders(ctx, tx, rows)
	if err != nil {
		return err
	}
	var lines []lineRow
	for i, dr := range drafts {
		for _, l := range dr.lines {
			l.orderID = ids[i]
			lines = append(lines, l)
		}
	}
	d.sum.Orders, d.sum.OrderLines = len(rows), len(lines)
	return insertOrderLines(ctx, tx, lines)
}
