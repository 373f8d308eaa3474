package seed

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
)

// Summary counts the rows a load inserted.
type Summary struct {
	Users, Categories, Products, Variants, Reviews, Orders, OrderLines int
}

func (s Summary) String() string {
	return fmt.Sprintf("%d users, %d categories, %d products, %d variants, %d reviews, %d orders, %d order lines",
		s.Users, s.Categories, s.Products, s.Variants, s.Reviews, s.Orders, s.OrderLines)
}

// ErrNotEmpty is returned when a load is asked to fill a database that
// already has products or users: the generated rows would collide with them
// and their ids would not be the documented ones.
var ErrNotEmpty = errors.New("database is not empty")

// Empty reports whether the database has no products and no users, the
// state in which the server loads the demo data on first start.
func Empty(ctx context.Context, s *store.Store) (bool, error) {
	hasProducts, err := s.Client.Product.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("look for products: %w", err)
	}
	hasUsers, err := s.Client.User.Query().Exist(ctx)
	if err != nil {
		return false, fmt.Errorf("look for users: %w", err)
	}
	return !hasProducts && !hasUsers, nil
}

func requireEmpty(ctx context.Context, s *store.Store) error {
	empty, err := Empty(ctx, s)
	if err != nil {
		return err
	}
	if !empty {
		return ErrNotEmpty
	}
	return nil
}

// plan is a generated product with its variants and reviews, before the
// product has an id.
type plan struct {
	row      productRow
	variants []variant
	reviews  []reviewRow // productID still zero
}

// catalogRules are what the demo and the benchmark catalogue draw
// differently.
type catalogRules struct {
	variantCount func() int
	mostReviews  int   // per active product
	authors      []int // user ids reviews are written by
}

// sellable is a variant an order line may hold, at its price.
type sellable struct {
	id    int
	price int64
}

// productPlan draws a product, its variants and, if it is active, its
// reviews. A sold-out product's variants all have no stock.
func (g *generator) productPlan(l *leaf, title, slug string, status product.Status, created time.Time, soldOut bool, rules catalogRules) plan {
	p := plan{row: productRow{
		slug: slug, title: title, description: g.description(title, l.dept),
		status: status, categoryID: l.id,
		created: created, updated: created.Add(g.jitter(30 * day)),
	}}
	p.variants = g.variants(l.dept, rules.variantCount(), g.basePrice(l.dept), soldOut)
	if status == product.StatusACTIVE {
		p.reviews = g.reviews(rules.authors, rules.mostReviews, created)
	}
	p.setKeys()
	return p
}

// reviews draws up to most reviews, each by a different one of authors,
// dated after since.
func (g *generator) reviews(authors []int, most int, since time.Time) []reviewRow {
	picked := g.distinct(len(authors), min(g.rng.IntN(most+1), len(authors)))
	rows := make([]reviewRow, len(picked))
	for i, a := range picked {
		rating := g.rating()
		title, body := g.reviewText(rating)
		rows[i] = reviewRow{
			authorID: authors[a], rating: rating, title: title, body: body,
			created: since.Add(day + g.jitter(60*day)),
		}
	}
	return rows
}

// setKeys computes the product's sort and filter keys as
// store.RefreshProductKeys defines them, so a large load need not rewrite
// every product afterwards. The average is a float64 division of integers,
// which for five or fewer ratings equals PostgreSQL's numeric AVG converted
// to double precision, and SQLite's AVG.
func (p *plan) setKeys() {
	p.row.minPrice, p.row.inStock, p.row.ratingAvg = 0, false, 0
	for i, v := range p.variants {
		if i == 0 || v.price < p.row.minPrice {
			p.row.minPrice = v.price
		}
		p.row.inStock = p.row.inStock || v.stock > 0
	}
	if len(p.reviews) > 0 {
		sum := 0
		for _, r := range p.reviews {
			sum += r.rating
		}
		p.row.ratingAvg = float64(sum) / float64(len(p.reviews))
	}
}

// children lists the variants and reviews of the products; ids are the
// products' ids, aligned with plans.
func children(plans []plan, ids []int) ([]variantRow, []reviewRow) {
	var variants []variantRow
	var reviews []reviewRow
	for i, p := range plans {
		for _, v := range p.variants {
			variants = append(variants, variantRow{
				productID: ids[i], sku: sku(ids[i], v.index), title: v.title,
				price: v.price, cost: v.cost, stock: v.stock,
			})
		}
		for _, r := range p.reviews {
			r.productID = ids[i]
			reviews = append(reviews, r)
		}
	}
	return variants, reviews
}

// insertPlans inserts the products, their variants and their reviews, and
// returns the products' ids and the variants that may be ordered.
func insertPlans(ctx context.Context, tx *ent.Tx, plans []plan) ([]int, []sellable, error) {
	rows := make([]productRow, len(plans))
	for i, p := range plans {
		rows[i] = p.row
	}
	ids, err := insertProducts(ctx, tx, rows)
	if err != nil {
		return nil, nil, err
	}
	variants, reviews := children(plans, ids)
	variantIDs, err := insertVariants(ctx, tx, variants)
	if err != nil {
		return nil, nil, err
	}
	if err := insertReviews(ctx, tx, reviews); err != nil {
		return nil, nil, err
	}
	return ids, sellables(plans, ids, variants, variantIDs), nil
}

// sellables lists the variants of products that are or were on sale, with
// their ids: nobody can have ordered a draft.
func sellables(plans []plan, productIDs []int, rows []variantRow, variantIDs []int) []sellable {
	draft := make(map[int]bool)
	for i, p := range plans {
		if p.row.status == product.StatusDRAFT {
			draft[productIDs[i]] = true
		}
	}
	var out []sellable
	for i, r := range rows {
		if !draft[r.productID] {
			out = append(out, sellable{id: variantIDs[i], price: r.price})
		}
	}
	return out
}

// lines draws up to most lines of different variants from pool, at their
// current prices.
func (g *generator) lines(pool []sellable, most int) []lineRow {
	picked := g.distinct(len(pool), min(1+g.rng.IntN(most), len(pool)))
	rows := make([]lineRow, len(picked))
	for i, p := range picked {
		rows[i] = lineRow{variantID: pool[p].id, unitPrice: pool[p].price, quantity: 1 + g.rng.IntN(3)}
	}
	return rows
}

// demoAccounts are the accounts to sign in to the demo with, one per role.
func demoAccounts() []userRow {
	return []userRow{
		{name: "Ada Admin", email: "admin@shopgraph.dev", role: user.RoleADMIN},
		{name: "Sam Staff", email: "staff@shopgraph.dev", role: user.RoleSTAFF},
		{name: "Casey Customer", email: "customer@shopgraph.dev", role: user.RoleCUSTOMER},
	}
}
