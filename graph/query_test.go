package graph_test

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/user"
)

// The tests in this file check every query and field of the schema against
// what the database holds, read directly with ent: the expected values are
// computed here, never copied from the demo data, except for the three demo
// accounts whose addresses are documented.

// Selections and their decoded forms. Field names match the GraphQL names
// case-insensitively, so most need no json tag.

const (
	moneyFields   = `{ amount currencyCode }`
	variantFields = `id sku title price ` + moneyFields + ` cost ` + moneyFields + ` stock inStock product { id }`
	productFields = `id slug title description status createdAt updatedAt category { id }
		variants { ` + variantFields + ` }
		averageRating reviewCount inStock
		priceRange { min ` + moneyFields + ` max ` + moneyFields + ` }`
	reviewFields   = `id rating title body createdAt author { id } product { id }`
	categoryFields = `id name slug parent { id } children { id } ancestors { id }`
	userFields     = `id name email role createdAt`
	lineFields     = `id variant { id } product { id } quantity unitPrice ` + moneyFields + ` subtotal ` + moneyFields
	orderFields    = `id number status createdAt customer { id } lines { ` + lineFields + ` } total ` + moneyFields
	idConnection   = `{ totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } }`
)

type moneyJSON struct {
	Amount       int64
	CurrencyCode string
}

type refJSON struct {
	Typename string `json:"__typename,omitempty"`
	ID       string
}

type variantJSON struct {
	ID, SKU, Title string
	Price, Cost    moneyJSON
	Stock          int
	InStock        bool
	Product        refJSON
}

type priceRangeJSON struct{ Min, Max moneyJSON }

type productJSON struct {
	ID, Slug, Title, Description, Status string
	CreatedAt, UpdatedAt                 string
	Category                             refJSON
	Variants                             []variantJSON
	AverageRating                        *float64
	ReviewCount                          int
	InStock                              bool
	PriceRange                           *priceRangeJSON
}

type reviewJSON struct {
	ID              string
	Rating          int
	Title, Body     string
	CreatedAt       string
	Author, Product refJSON
}

type categoryJSON struct {
	ID, Name, Slug      string
	Parent              *refJSON
	Children, Ancestors []refJSON
}

type userJSON struct {
	ID, Name, Email, Role, CreatedAt string
}

type lineJSON struct {
	ID                  string
	Variant, Product    refJSON
	Quantity            int
	UnitPrice, Subtotal moneyJSON
}

type orderJSON struct {
	ID, Number, Status, CreatedAt string
	Customer                      refJSON
	Lines                         []lineJSON
	Total                         moneyJSON
}

type pageInfoJSON struct {
	HasNextPage, HasPreviousPage bool
	StartCursor, EndCursor       *string
}

type edgeJSON[N any] struct {
	Cursor string
	Node   N
}

type connJSON[N any] struct {
	TotalCount int
	PageInfo   pageInfoJSON
	Edges      []edgeJSON[N]
}

func (c connJSON[N]) nodes() []N {
	out := make([]N, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node
	}
	return out
}

// ids returns the node IDs of a connection of refs, in order.
func nodeIDs(c connJSON[refJSON]) []string {
	out := make([]string, len(c.Edges))
	for i, e := range c.Edges {
		out[i] = e.Node.ID
	}
	return out
}

// demoData is the whole demo database, read with ent, with the derived
// values the API promises computed in Go.
type demoData struct {
	products   []*ent.Product // with variants and reviews
	categories []*ent.Category
	users      []*ent.User  // with orders and reviews
	orders     []*ent.Order // with lines
	variants   map[int]*ent.Variant
	reviews    []*ent.Review
	lines      []*ent.OrderLine

	productByID  map[int]*ent.Product
	categoryByID map[int]*ent.Category
	userByEmail  map[string]*ent.User
	children     map[int][]*ent.Category
}

func loadDemo(t *testing.T, e *env) *demoData {
	t.Helper()
	ctx := context.Background()
	c := e.store.Client
	f := &demoData{
		variants:     map[int]*ent.Variant{},
		productByID:  map[int]*ent.Product{},
		categoryByID: map[int]*ent.Category{},
		userByEmail:  map[string]*ent.User{},
		children:     map[int][]*ent.Category{},
	}
	var err error
	if f.products, err = c.Product.Query().WithVariants().WithReviews().Order(product.ByID()).All(ctx); err != nil {
		t.Fatalf("load products: got error %v, want nil", err)
	}
	if f.categories, err = c.Category.Query().Order(category.ByID()).All(ctx); err != nil {
		t.Fatalf("load categories: got error %v, want nil", err)
	}
	if f.users, err = c.User.Query().WithOrders().WithReviews().Order(user.ByID()).All(ctx); err != nil {
		t.Fatalf("load users: got error %v, want nil", err)
	}
	if f.orders, err = c.Order.Query().WithLines().Order(order.ByID()).All(ctx); err != nil {
		t.Fatalf("load orders: got error %v, want nil", err)
	}
	for _, p := range f.products {
		f.productByID[p.ID] = p
		for _, v := range p.Edges.Variants {
			f.variants[v.ID] = v
		}
		f.reviews = append(f.reviews, p.Edges.Reviews...)
	}
	for _, o := range f.orders {
		f.lines = append(f.lines, o.Edges.Lines...)
	}
	for _, cat := range f.categories {
		f.categoryByID[cat.ID] = cat
		if cat.ParentID != nil {
			f.children[*cat.ParentID] = append(f.children[*cat.ParentID], cat)
		}
	}
	for _, u := range f.users {
		f.userByEmail[u.Email] = u
	}
	if len(f.products) == 0 || len(f.orders) == 0 || len(f.reviews) == 0 {
		t.Fatalf("demo data: got %d products, %d orders, %d reviews, want some of each", len(f.products), len(f.orders), len(f.reviews))
	}
	return f
}

// user returns the user with the given address, failing if there is none.
func (f *demoData) user(t *testing.T, email string) *ent.User {
	t.Helper()
	u, ok := f.userByEmail[email]
	if !ok {
		t.Fatalf("demo data: got no user %s, want one", email)
	}
	return u
}

// subtree returns the IDs of a category and every category below it.
func (f *demoData) subtree(id int) map[int]bool {
	out := map[int]bool{id: true}
	for _, c := range f.children[id] {
		for k := range f.subtree(c.ID) {
			out[k] = true
		}
	}
	return out
}

// ancestors returns a category's ancestors, root first.
func (f *demoData) ancestors(c *ent.Category) []*ent.Category {
	var out []*ent.Category
	for c.ParentID != nil {
		c = f.categoryByID[*c.ParentID]
		out = append([]*ent.Category{c}, out...)
	}
	return out
}

// deepest returns a category with the most ancestors.
func (f *demoData) deepest() *ent.Category {
	best := f.categories[0]
	for _, c := range f.categories {
		if len(f.ancestors(c)) > len(f.ancestors(best)) {
			best = c
		}
	}
	return best
}

// productsIn returns the products filed under a category or below it.
func (f *demoData) productsIn(categoryID int) []*ent.Product {
	tree := f.subtree(categoryID)
	return keepOnly(f.products, func(p *ent.Product) bool { return tree[p.CategoryID] })
}

func keepOnly[T any](rows []T, keep func(T) bool) []T {
	var out []T
	for _, r := range rows {
		if keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// sorted returns rows in the order key gives, ties broken by ID, the whole
// order reversed when desc: what the schema promises for every list.
func sortedBy[T any](rows []T, key func(a, b T) int, id func(T) int, desc bool) []T {
	out := slices.Clone(rows)
	slices.SortFunc(out, func(a, b T) int {
		c := key(a, b)
		if c == 0 {
			c = cmp.Compare(id(a), id(b))
		}
		if desc {
			return -c
		}
		return c
	})
	return out
}

func productID(p *ent.Product) int   { return p.ID }
func reviewID(r *ent.Review) int     { return r.ID }
func orderID(o *ent.Order) int       { return o.ID }
func userID(u *ent.User) int         { return u.ID }
func categoryID(c *ent.Category) int { return c.ID }

// minPrice is a product's "from" price: its cheapest variant's.
func minPrice(p *ent.Product) int64 {
	if len(p.Edges.Variants) == 0 {
		return 0
	}
	m := p.Edges.Variants[0].Price
	for _, v := range p.Edges.Variants {
		m = min(m, v.Price)
	}
	return m
}

func maxPrice(p *ent.Product) int64 {
	var m int64
	for _, v := range p.Edges.Variants {
		m = max(m, v.Price)
	}
	return m
}

func inStock(p *ent.Product) bool {
	return slices.ContainsFunc(p.Edges.Variants, func(v *ent.Variant) bool { return v.Stock > 0 })
}

// ratingSum returns the sum and number of a product's ratings.
func ratingSum(p *ent.Product) (sum, n int) {
	for _, r := range p.Edges.Reviews {
		sum += r.Rating
	}
	return sum, len(p.Edges.Reviews)
}

// compareRating compares average ratings exactly (a product without
// reviews rates 0), so ties are real ties.
func compareRating(a, b *ent.Product) int {
	sa, na := ratingSum(a)
	sb, nb := ratingSum(b)
	na, nb = max(na, 1), max(nb, 1)
	return cmp.Compare(sa*nb, sb*na)
}

// productKeys are the ProductOrderField values and how each compares.
var productKeys = map[string]func(a, b *ent.Product) int{
	"CREATED_AT": func(a, b *ent.Product) int { return a.CreatedAt.Compare(b.CreatedAt) },
	"PRICE":      func(a, b *ent.Product) int { return cmp.Compare(minPrice(a), minPrice(b)) },
	"TITLE":      func(a, b *ent.Product) int { return strings.Compare(a.Title, b.Title) },
	"RATING":     compareRating,
}

var productFieldNames = []string{"CREATED_AT", "PRICE", "TITLE", "RATING"}

// newestProducts is the default order of every product list.
func newestProducts(ps []*ent.Product) []*ent.Product {
	return sortedBy(ps, productKeys["CREATED_AT"], productID, true)
}

func newestReviews(rs []*ent.Review) []*ent.Review {
	return sortedBy(rs, func(a, b *ent.Review) int { return a.CreatedAt.Compare(b.CreatedAt) }, reviewID, true)
}

func newestOrders(os []*ent.Order) []*ent.Order {
	return sortedBy(os, func(a, b *ent.Order) int { return a.CreatedAt.Compare(b.CreatedAt) }, orderID, true)
}

// stamp is how the API writes a time: RFC 3339 in UTC.
func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func usd(amount int64) moneyJSON { return moneyJSON{Amount: amount, CurrencyCode: "USD"} }

// roundRating makes computed means comparable: SQL and Go may differ in the
// last bit.
func roundRating(r *float64) *float64 {
	if r == nil {
		return nil
	}
	v := math.Round(*r*1e9) / 1e9
	return &v
}

func (f *demoData) wantVariant(v *ent.Variant) variantJSON {
	return variantJSON{
		ID: gid("Variant", v.ID), SKU: v.Sku, Title: v.Title,
		Price: usd(v.Price), Cost: usd(v.Cost), Stock: v.Stock, InStock: v.Stock > 0,
		Product: refJSON{ID: gid("Product", v.ProductID)},
	}
}

func (f *demoData) wantProduct(p *ent.Product) productJSON {
	variants := sortedBy(p.Edges.Variants, func(a, b *ent.Variant) int { return cmp.Compare(a.Price, b.Price) },
		func(v *ent.Variant) int { return v.ID }, false)
	want := productJSON{
		ID: gid("Product", p.ID), Slug: p.Slug, Title: p.Title, Description: p.Description,
		Status: string(p.Status), CreatedAt: stamp(p.CreatedAt), UpdatedAt: stamp(p.UpdatedAt),
		Category:    refJSON{ID: gid("Category", p.CategoryID)},
		Variants:    []variantJSON{},
		ReviewCount: len(p.Edges.Reviews),
		InStock:     inStock(p),
	}
	for _, v := range variants {
		want.Variants = append(want.Variants, f.wantVariant(v))
	}
	if sum, n := ratingSum(p); n > 0 {
		want.AverageRating = roundRating(new(float64(sum) / float64(n)))
	}
	if len(p.Edges.Variants) > 0 {
		want.PriceRange = &priceRangeJSON{Min: usd(minPrice(p)), Max: usd(maxPrice(p))}
	}
	return want
}

func (f *demoData) wantReview(r *ent.Review) reviewJSON {
	return reviewJSON{
		ID: gid("Review", r.ID), Rating: r.Rating, Title: r.Title, Body: r.Body,
		CreatedAt: stamp(r.CreatedAt),
		Author:    refJSON{ID: gid("User", r.AuthorID)},
		Product:   refJSON{ID: gid("Product", r.ProductID)},
	}
}

func (f *demoData) wantCategory(c *ent.Category) categoryJSON {
	want := categoryJSON{ID: gid("Category", c.ID), Name: c.Name, Slug: c.Slug, Children: []refJSON{}, Ancestors: []refJSON{}}
	if c.ParentID != nil {
		want.Parent = &refJSON{ID: gid("Category", *c.ParentID)}
	}
	byName := func(a, b *ent.Category) int { return strings.Compare(a.Name, b.Name) }
	for _, ch := range sortedBy(f.children[c.ID], byName, categoryID, false) {
		want.Children = append(want.Children, refJSON{ID: gid("Category", ch.ID)})
	}
	for _, a := range f.ancestors(c) {
		want.Ancestors = append(want.Ancestors, refJSON{ID: gid("Category", a.ID)})
	}
	return want
}

func (f *demoData) wantUser(u *ent.User) userJSON {
	return userJSON{ID: gid("User", u.ID), Name: u.Name, Email: u.Email, Role: string(u.Role), CreatedAt: stamp(u.CreatedAt)}
}

func (f *demoData) wantLine(l *ent.OrderLine) lineJSON {
	return lineJSON{
		ID:        gid("OrderLine", l.ID),
		Variant:   refJSON{ID: gid("Variant", l.VariantID)},
		Product:   refJSON{ID: gid("Product", f.variants[l.VariantID].ProductID)},
		Quantity:  l.Quantity,
		UnitPrice: usd(l.UnitPrice),
		Subtotal:  usd(l.UnitPrice * int64(l.Quantity)),
	}
}

func (f *demoData) wantOrder(o *ent.Order) orderJSON {
	want := orderJSON{
		ID: gid("Order", o.ID), Number: o.Number, Status: string(o.Status), CreatedAt: stamp(o.CreatedAt),
		Customer: refJSON{ID: gid("User", o.CustomerID)},
		Lines:    []lineJSON{},
	}
	var total int64
	for _, l := range o.Edges.Lines {
		want.Lines = append(want.Lines, f.wantLine(l))
		total += l.UnitPrice * int64(l.Quantity)
	}
	want.Total = usd(total)
	sortLines(want.Lines)
	return want
}

// sortLines puts lines in a canonical order: the schema does not fix one.
func sortLines(ls []lineJSON) {
	slices.SortFunc(ls, func(a, b lineJSON) int { return strings.Compare(a.ID, b.ID) })
}

// nodeQuery fetches one node with a selection valid for its type.
func nodeQuery(selection string) string {
	return `query($id: ID!) { node(id: $id) { __typename ` + selection + ` } }`
}

func TestQueryNode(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		p := f.products[0]
		for _, cand := range f.products {
			if len(cand.Edges.Reviews) > 0 && len(cand.Edges.Variants) > 1 {
				p = cand
				break
			}
		}
		mid := f.ancestors(f.deepest())[len(f.ancestors(f.deepest()))-1] // has a parent and children
		casey := f.user(t, "customer@shopgraph.dev")
		v := p.Edges.Variants[0]
		r := p.Edges.Reviews[0]
		o := f.orders[0]
		l := o.Edges.Lines[0]

		t.Run("EachType", func(t *testing.T) {
			tests := []struct {
				name      string
				id        string
				selection string
				got       any // pointer to the decoded form
				want      any
			}{
				{"Product", gid("Product", p.ID), `... on Product { ` + productFields + ` }`, &productJSON{}, f.wantProduct(p)},
				{"Category", gid("Category", mid.ID), `... on Category { ` + categoryFields + ` }`, &categoryJSON{}, f.wantCategory(mid)},
				{"User", gid("User", casey.ID), `... on User { ` + userFields + ` }`, &userJSON{}, f.wantUser(casey)},
				{"Variant", gid("Variant", v.ID), `... on Variant { ` + variantFields + ` }`, &variantJSON{}, f.wantVariant(v)},
				{"Review", gid("Review", r.ID), `... on Review { ` + reviewFields + ` }`, &reviewJSON{}, f.wantReview(r)},
				{"Order", gid("Order", o.ID), `... on Order { ` + orderFields + ` }`, &orderJSON{}, f.wantOrder(o)},
				{"OrderLine", gid("OrderLine", l.ID), `... on OrderLine { ` + lineFields + ` }`, &lineJSON{}, f.wantLine(l)},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					var data struct{ Node json.RawMessage }
					e.mustQuery(t, nodeQuery(`id `+tc.selection), map[string]any{"id": tc.id}, &data)
					var head refJSON
					decodeJSON(t, data.Node, &head)
					if head.Typename != tc.name || head.ID != tc.id {
						t.Fatalf("got %s %s, want %s %s", head.Typename, head.ID, tc.name, tc.id)
					}
					decodeJSON(t, data.Node, tc.got)
					switch g := tc.got.(type) {
					case *productJSON:
						g.AverageRating = roundRating(g.AverageRating)
					case *orderJSON:
						sortLines(g.Lines)
					}
					checkSame(t, tc.name, reflect.ValueOf(tc.got).Elem().Interface(), tc.want)
				})
			}
		})

		t.Run("MissingIsNull", func(t *testing.T) {
			tests := []struct {
				name string
				id   string
			}{
				{"UnknownProduct", gid("Product", p.ID+100000)},
				{"UnknownOrderLine", gid("OrderLine", 999999)},
				{"UnknownType", gid("Shipment", 1)},
				{"NonNodeType", gid("PageInfo", 1)},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					var data struct{ Node *refJSON }
					e.mustQuery(t, nodeQuery("id"), map[string]any{"id": tc.id}, &data)
					if data.Node != nil {
						t.Errorf("got %+v, want null", *data.Node)
					}
				})
			}
		})

		malformed := []struct {
			name string
			id   string
		}{
			{"NotBase64", "not an id!"},
			{"NoType", relayRaw("12")},
			{"EmptyType", relayRaw(":12")},
			{"NotANumber", relayRaw("Product:twelve")},
			{"Zero", relayRaw("Product:0")},
			{"Negative", relayRaw("Product:-3")},
			{"Empty", ""},
		}
		t.Run("MalformedIsBadUserInput", func(t *testing.T) {
			for _, tc := range malformed {
				t.Run(tc.name, func(t *testing.T) {
					e.expectInvalid(t, nodeQuery("id"), map[string]any{"id": tc.id}, "id")
				})
			}
		})

		const nodesQuery = `query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }`
		t.Run("NodesInOrderWithNulls", func(t *testing.T) {
			want := []*refJSON{
				{Typename: "Order", ID: gid("Order", o.ID)},
				nil, // unknown product
				{Typename: "Product", ID: gid("Product", p.ID)},
				{Typename: "User", ID: gid("User", casey.ID)},
				nil, // unknown type
				{Typename: "Variant", ID: gid("Variant", v.ID)},
				{Typename: "Category", ID: gid("Category", mid.ID)},
				{Typename: "OrderLine", ID: gid("OrderLine", l.ID)},
				{Typename: "Review", ID: gid("Review", r.ID)},
				nil, // unknown review
				{Typename: "Product", ID: gid("Product", p.ID)}, // again
			}
			in := []string{
				want[0].ID, gid("Product", p.ID+100000), want[2].ID, want[3].ID, gid("Shipment", 1),
				want[5].ID, want[6].ID, want[7].ID, want[8].ID, gid("Review", 999999), want[10].ID,
			}
			var data struct{ Nodes []*refJSON }
			e.mustQuery(t, nodesQuery, map[string]any{"ids": in}, &data)
			checkSame(t, "nodes", data.Nodes, want)
		})

		t.Run("NodesEmptyList", func(t *testing.T) {
			var data struct{ Nodes []*refJSON }
			e.mustQuery(t, nodesQuery, map[string]any{"ids": []string{}}, &data)
			if data.Nodes == nil || len(data.Nodes) != 0 {
				t.Errorf("got %v, want []", data.Nodes)
			}
		})

		t.Run("NodesHundredIDs", func(t *testing.T) {
			in := make([]string, 100)
			for i := range in {
				in[i] = gid("Product", f.products[i%len(f.products)].ID)
			}
			var data struct{ Nodes []*refJSON }
			e.mustQuery(t, nodesQuery, map[string]any{"ids": in}, &data)
			if len(data.Nodes) != 100 {
				t.Fatalf("got %d nodes, want 100", len(data.Nodes))
			}
			for i, n := range data.Nodes {
				if n == nil || n.ID != in[i] {
					t.Fatalf("node %d: got %+v, want %s", i, n, in[i])
				}
			}
		})

		t.Run("NodesOverHundredIsBadUserInput", func(t *testing.T) {
			in := make([]string, 101)
			for i := range in {
				in[i] = gid("Product", p.ID)
			}
			e.expectInvalid(t, nodesQuery, map[string]any{"ids": in}, "ids")
		})

		t.Run("NodesMalformedIsBadUserInput", func(t *testing.T) {
			for _, tc := range malformed {
				t.Run(tc.name, func(t *testing.T) {
					in := []string{gid("Product", p.ID), tc.id}
					e.expectInvalid(t, nodesQuery, map[string]any{"ids": in}, "ids")
				})
			}
		})

		t.Run("ViewerIsNullWhenAnonymous", func(t *testing.T) {
			anon := *e
			anon.token = ""
			var data struct{ Viewer *userJSON }
			anon.mustQuery(t, `{ viewer { `+userFields+` } }`, nil, &data)
			if data.Viewer != nil {
				t.Errorf("got %+v, want null", *data.Viewer)
			}
		})
		t.Run("ViewerIsTheSignedInUser", func(t *testing.T) {
			var data struct{ Viewer *struct{ Email string } }
			e.mustQuery(t, `{ viewer { email } }`, nil, &data)
			if data.Viewer == nil || data.Viewer.Email != "staff@shopgraph.dev" {
				t.Errorf("got %+v, want staff@shopgraph.dev", data.Viewer)
			}
		})
	})
}

const productsQuery = `query($filter: ProductFilter, $orderBy: ProductOrder) {
	products(first: 100, filter: $filter, orderBy: $orderBy) ` + idConnection + `
}`

// listProducts runs productsQuery and returns the connection.
func listProducts(t *testing.T, e *env, vars map[string]any) connJSON[refJSON] {
	t.Helper()
	var data struct{ Products connJSON[refJSON] }
	e.mustQuery(t, productsQuery, vars, &data)
	return data.Products
}

// checkWholeList asserts a connection holds exactly want, all on one page.
func checkWholeList(t *testing.T, c connJSON[refJSON], want []string) {
	t.Helper()
	checkIDs(t, "edges", nodeIDs(c), want)
	if c.TotalCount != len(want) {
		t.Errorf("got totalCount %d, want %d", c.TotalCount, len(want))
	}
	if c.PageInfo.HasNextPage || c.PageInfo.HasPreviousPage {
		t.Errorf("got hasNextPage %v, hasPreviousPage %v, want false, false", c.PageInfo.HasNextPage, c.PageInfo.HasPreviousPage)
	}
}

// mixCase alternates upper and lower case.
func mixCase(s string) string {
	b := []rune(s)
	for i, r := range b {
		if i%2 == 0 {
			b[i] = unicode.ToUpper(r)
		} else {
			b[i] = unicode.ToLower(r)
		}
	}
	return string(b)
}

func matchesSearch(p *ent.Product, term string) bool {
	term = strings.ToLower(term)
	return strings.Contains(strings.ToLower(p.Title), term) || strings.Contains(strings.ToLower(p.Description), term)
}

func TestQueryProducts(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)

		deep := f.deepest()
		chain := append(f.ancestors(deep), deep) // root .. leaf
		if len(chain) < 3 {
			t.Fatalf("demo data: got a category chain of %d levels, want 3", len(chain))
		}
		var prices []int64
		for _, p := range f.products {
			prices = append(prices, minPrice(p))
		}
		slices.Sort(prices)
		lo, mid, hi := prices[len(prices)/4], prices[len(prices)/2], prices[3*len(prices)/4]
		titleWord := strings.ToUpper(firstWord(f.products[1].Title))
		// A piece of a description, past the title it repeats.
		desc := f.products[2].Description
		cut := strings.Index(desc, ". ") + 2
		descPiece := mixCase(desc[cut : cut+10])
		lastWord := strings.Trim(desc[strings.LastIndex(desc, " ")+1:], ".")

		t.Run("Filter", func(t *testing.T) {
			tests := []struct {
				name  string
				input map[string]any
				keep  func(p *ent.Product) bool
				empty bool // the filter is meant to match nothing
			}{
				{name: "None", keep: func(*ent.Product) bool { return true }},
				{name: "RootCategoryIncludesSubcategories", input: map[string]any{"category": chain[0].Slug},
					keep: inTree(f, chain[0].ID)},
				{name: "MiddleCategoryIncludesSubcategories", input: map[string]any{"category": chain[1].Slug},
					keep: inTree(f, chain[1].ID)},
				{name: "LeafCategory", input: map[string]any{"category": deep.Slug},
					keep: inTree(f, deep.ID)},
				{name: "UnknownCategoryMatchesNothing", input: map[string]any{"category": "no-such-category"},
					keep: func(*ent.Product) bool { return false }, empty: true},
				{name: "StatusDraft", input: map[string]any{"status": []string{"DRAFT"}},
					keep: func(p *ent.Product) bool { return p.Status == product.StatusDRAFT }},
				{name: "StatusActiveOrArchived", input: map[string]any{"status": []string{"ACTIVE", "ARCHIVED"}},
					keep: func(p *ent.Product) bool { return p.Status != product.StatusDRAFT }},
				{name: "PriceMin", input: map[string]any{"price": map[string]any{"min": mid}},
					keep: func(p *ent.Product) bool { return minPrice(p) >= mid }},
				{name: "PriceMax", input: map[string]any{"price": map[string]any{"max": mid}},
					keep: func(p *ent.Product) bool { return minPrice(p) <= mid }},
				{name: "PriceMinAndMax", input: map[string]any{"price": map[string]any{"min": lo, "max": hi}},
					keep: func(p *ent.Product) bool { return minPrice(p) >= lo && minPrice(p) <= hi }},
				{name: "PriceExact", input: map[string]any{"price": map[string]any{"min": mid, "max": mid}},
					keep: func(p *ent.Product) bool { return minPrice(p) == mid }},
				{name: "PriceMinZero", input: map[string]any{"price": map[string]any{"min": 0}},
					keep: func(*ent.Product) bool { return true }},
				{name: "InStock", input: map[string]any{"inStock": true}, keep: inStock},
				{name: "OutOfStock", input: map[string]any{"inStock": false},
					keep: func(p *ent.Product) bool { return !inStock(p) }},
				{name: "SearchTitleUpperCase", input: map[string]any{"search": titleWord},
					keep: func(p *ent.Product) bool { return matchesSearch(p, titleWord) }},
				{name: "SearchDescriptionMixedCase", input: map[string]any{"search": descPiece},
					keep: func(p *ent.Product) bool { return matchesSearch(p, descPiece) }},
				{name: "SearchLastWordOfDescription", input: map[string]any{"search": strings.ToUpper(lastWord)},
					keep: func(p *ent.Product) bool { return matchesSearch(p, lastWord) }},
				{name: "SearchNoMatch", input: map[string]any{"search": "qqzzxxq"},
					keep: func(p *ent.Product) bool { return matchesSearch(p, "qqzzxxq") }, empty: true},
				{name: "SearchWildcardsAreLiteral", input: map[string]any{"search": "%_"},
					keep: func(p *ent.Product) bool { return matchesSearch(p, "%_") }, empty: true},
				{name: "SearchUnderscoresAreLiteral", input: map[string]any{"search": "__"},
					keep: func(p *ent.Product) bool { return matchesSearch(p, "__") }, empty: true},
				{name: "Combined", input: map[string]any{
					"category": chain[0].Slug, "status": []string{"ACTIVE"}, "inStock": true,
					"price": map[string]any{"max": hi},
				}, keep: func(p *ent.Product) bool {
					return inTree(f, chain[0].ID)(p) && p.Status == product.StatusACTIVE && inStock(p) && minPrice(p) <= hi
				}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					want := newestProducts(keepOnly(f.products, tc.keep))
					if (len(want) == 0) != tc.empty {
						t.Fatalf("test data: got the filter keeping %d of %d products, want some but not all", len(want), len(f.products))
					}
					if len(want) == len(f.products) && tc.input != nil && tc.name != "PriceMinZero" {
						t.Fatalf("test data: got the filter keeping every product, want some left out")
					}
					c := listProducts(t, e, map[string]any{"filter": tc.input})
					checkWholeList(t, c, gids("Product", want, productID))
				})
			}
		})

		t.Run("InvalidFilter", func(t *testing.T) {
			tests := []struct {
				name  string
				input map[string]any
				field string
			}{
				{"SearchOneCharacter", map[string]any{"search": "a"}, "filter.search"},
				{"SearchTooLong", map[string]any{"search": strings.Repeat("x", 101)}, "filter.search"},
				{"PriceMinAboveMax", map[string]any{"price": map[string]any{"min": 500, "max": 499}}, "filter.price"},
				{"PriceMinNegative", map[string]any{"price": map[string]any{"min": -1}}, "filter.price.min"},
				{"PriceMaxNegative", map[string]any{"price": map[string]any{"max": -1}}, "filter.price.max"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					e.expectInvalid(t, productsQuery, map[string]any{"filter": tc.input}, tc.field)
				})
			}
		})

		t.Run("SearchBoundaryLengthsAreValid", func(t *testing.T) {
			for _, term := range []string{"zq", strings.Repeat("z", 100)} {
				c := listProducts(t, e, map[string]any{"filter": map[string]any{"search": term}})
				want := newestProducts(keepOnly(f.products, func(p *ent.Product) bool { return matchesSearch(p, term) }))
				checkWholeList(t, c, gids("Product", want, productID))
			}
		})

		t.Run("OrderBy", func(t *testing.T) {
			for _, field := range productFieldNames {
				for _, dir := range []string{"ASC", "DESC"} {
					t.Run(field+"_"+dir, func(t *testing.T) {
						want := sortedBy(f.products, productKeys[field], productID, dir == "DESC")
						c := listProducts(t, e, map[string]any{"orderBy": map[string]any{"field": field, "direction": dir}})
						checkWholeList(t, c, gids("Product", want, productID))
					})
				}
			}
			t.Run("DefaultIsNewestFirst", func(t *testing.T) {
				c := listProducts(t, e, nil)
				checkWholeList(t, c, gids("Product", newestProducts(f.products), productID))
			})
			t.Run("DefaultDirectionIsAscending", func(t *testing.T) {
				want := sortedBy(f.products, productKeys["PRICE"], productID, false)
				c := listProducts(t, e, map[string]any{"orderBy": map[string]any{"field": "PRICE"}})
				checkWholeList(t, c, gids("Product", want, productID))
			})
			t.Run("FilteredAndOrdered", func(t *testing.T) {
				keep := func(p *ent.Product) bool { return inTree(f, chain[0].ID)(p) && inStock(p) }
				want := sortedBy(keepOnly(f.products, keep), productKeys["TITLE"], productID, true)
				c := listProducts(t, e, map[string]any{
					"filter":  map[string]any{"category": chain[0].Slug, "inStock": true},
					"orderBy": map[string]any{"field": "TITLE", "direction": "DESC"},
				})
				checkWholeList(t, c, gids("Product", want, productID))
			})
		})

		const productQuery = `query($id: ID, $slug: String) { product(id: $id, slug: $slug) { ` + productFields + ` } }`
		p := f.products[len(f.products)/2]
		t.Run("Product", func(t *testing.T) {
			tests := []struct {
				name string
				vars map[string]any
				want *productJSON
			}{
				{"ByID", map[string]any{"id": gid("Product", p.ID)}, new(f.wantProduct(p))},
				{"BySlug", map[string]any{"slug": p.Slug}, new(f.wantProduct(p))},
				{"UnknownSlugIsNull", map[string]any{"slug": "no-such-product"}, nil},
				{"UnknownIDIsNull", map[string]any{"id": gid("Product", p.ID+100000)}, nil},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					var data struct{ Product *productJSON }
					e.mustQuery(t, productQuery, tc.vars, &data)
					if data.Product != nil {
						data.Product.AverageRating = roundRating(data.Product.AverageRating)
					}
					checkSame(t, "product", data.Product, tc.want)
				})
			}
		})

		t.Run("ProductInvalidArguments", func(t *testing.T) {
			cat := f.categories[0]
			tests := []struct {
				name string
				vars map[string]any
			}{
				{"BothIDAndSlug", map[string]any{"id": gid("Product", p.ID), "slug": p.Slug}},
				{"NeitherIDNorSlug", map[string]any{}},
				{"CategoryID", map[string]any{"id": gid("Category", cat.ID)}},
				{"VariantID", map[string]any{"id": gid("Variant", p.Edges.Variants[0].ID)}},
				{"MalformedID", map[string]any{"id": "%%%"}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					e.expectInvalid(t, productQuery, tc.vars, "")
				})
			}
		})
	})
}

// TestQuerySearch uses its own products: in the demo data every
// description repeats its title, so only these can tell a title match from
// a description match.
func TestQuerySearch(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		ctx := context.Background()
		c := e.store.Client
		cat, err := c.Category.Create().SetName("Things").SetSlug("things").Save(ctx)
		if err != nil {
			t.Fatalf("create category: got error %v, want nil", err)
		}
		for _, p := range []struct{ slug, title, description string }{
			{"lantern", "Brass Lantern", "Lights up a tent."},
			{"kettle", "Camp Kettle", "Boils water on BRASS burners."},
			{"tote", "Canvas Tote", "Now 50% off_season."},
			{"mug", "Enamel Mug", "Holds coffee."},
		} {
			_, err := c.Product.Create().SetSlug(p.slug).SetTitle(p.title).SetDescription(p.description).
				SetCategoryID(cat.ID).SetStatus(product.StatusACTIVE).Save(ctx)
			if err != nil {
				t.Fatalf("create product %s: got error %v, want nil", p.slug, err)
			}
		}
		products, err := c.Product.Query().All(ctx) // as stored: times at the database's precision
		if err != nil {
			t.Fatalf("load products: got error %v, want nil", err)
		}
		tests := []struct {
			name string
			term string
			want []string // slugs, in any order
		}{
			{"TitleOnly", "LANTERN", []string{"lantern"}},
			{"DescriptionOnly", "boils WATER", []string{"kettle"}},
			{"TitleOrDescription", "brass", []string{"lantern", "kettle"}},
			{"MiddleOfWord", "ANVa", []string{"tote"}},
			{"PercentIsLiteral", "0% off", []string{"tote"}},
			{"UnderscoreIsLiteral", "f_s", []string{"tote"}},
			{"WildcardsMatchOnlyThemselves", "5_%", nil},
			{"DoublePercentMatchesNothing", "%%", nil},
			{"NoMatch", "teapot", nil},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				// The expectation is computed, then checked against the
				// table, so a wrong table row cannot hide a wrong API.
				want := keepOnly(products, func(p *ent.Product) bool { return matchesSearch(p, tc.term) })
				var slugs []string
				for _, p := range want {
					slugs = append(slugs, p.Slug)
				}
				if !slices.Equal(sortedStrings(slugs), sortedStrings(tc.want)) {
					t.Fatalf("test table: got term %q matching %v, want %v as the table says", tc.term, slugs, tc.want)
				}
				c := listProducts(t, e, map[string]any{"filter": map[string]any{"search": tc.term}})
				checkWholeList(t, c, gids("Product", newestProducts(want), productID))
			})
		}
	})
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// inTree keeps the products filed under a category or below it.
func inTree(f *demoData, categoryID int) func(*ent.Product) bool {
	tree := f.subtree(categoryID)
	return func(p *ent.Product) bool { return tree[p.CategoryID] }
}

func TestQueryProductFields(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		withoutReviews := keepOnly(f.products, func(p *ent.Product) bool { return len(p.Edges.Reviews) == 0 })
		if len(withoutReviews) == 0 || len(withoutReviews) == len(f.products) {
			t.Fatalf("test data: got %d of %d products without reviews, want some but not all", len(withoutReviews), len(f.products))
		}

		t.Run("EveryProduct", func(t *testing.T) {
			var data struct {
				Products connJSON[struct {
					productJSON
					Reviews connJSON[reviewJSON]
				}]
			}
			e.mustQuery(t, `{ products(first: 100) { totalCount edges { node {
				`+productFields+`
				reviews(first: 100) { totalCount edges { node { `+reviewFields+` } } }
			} } } }`, nil, &data)
			if got := len(data.Products.Edges); got != len(f.products) {
				t.Fatalf("got %d products, want %d", got, len(f.products))
			}
			for _, edge := range data.Products.Edges {
				got := edge.Node
				var p *ent.Product
				for _, cand := range f.products {
					if gid("Product", cand.ID) == got.ID {
						p = cand
					}
				}
				if p == nil {
					t.Fatalf("got unknown product %s, want a demo product", got.ID)
				}
				got.AverageRating = roundRating(got.AverageRating)
				checkSame(t, "product "+p.Slug, got.productJSON, f.wantProduct(p))
				var want []reviewJSON
				for _, r := range newestReviews(p.Edges.Reviews) {
					want = append(want, f.wantReview(r))
				}
				checkSame(t, "reviews of "+p.Slug, got.Reviews.nodes(), append([]reviewJSON{}, want...))
				if got.Reviews.TotalCount != len(want) {
					t.Errorf("reviews of %s: got totalCount %d, want %d", p.Slug, got.Reviews.TotalCount, len(want))
				}
			}
		})

		t.Run("ReviewsOrderBy", func(t *testing.T) {
			byRating := func(a, b *ent.Review) int { return cmp.Compare(a.Rating, b.Rating) }
			byCreated := func(a, b *ent.Review) int { return a.CreatedAt.Compare(b.CreatedAt) }
			tests := []struct {
				name    string
				orderBy map[string]any
				key     func(a, b *ent.Review) int
				desc    bool
			}{
				{"Default", nil, byCreated, true},
				{"RatingAsc", map[string]any{"field": "RATING", "direction": "ASC"}, byRating, false},
				{"RatingDesc", map[string]any{"field": "RATING", "direction": "DESC"}, byRating, true},
				{"CreatedAtAsc", map[string]any{"field": "CREATED_AT"}, byCreated, false},
				{"CreatedAtDesc", map[string]any{"field": "CREATED_AT", "direction": "DESC"}, byCreated, true},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					var data struct {
						Products connJSON[struct {
							ID      string
							Reviews connJSON[refJSON]
						}]
					}
					e.mustQuery(t, `query($orderBy: ReviewOrder) { products(first: 100) { edges { node {
						id reviews(first: 100, orderBy: $orderBy) `+idConnection+`
					} } } }`, map[string]any{"orderBy": tc.orderBy}, &data)
					for _, n := range data.Products.nodes() {
						var p *ent.Product
						for _, cand := range f.products {
							if gid("Product", cand.ID) == n.ID {
								p = cand
							}
						}
						if p == nil {
							t.Fatalf("got unknown product %s, want a demo product", n.ID)
						}
						want := gids("Review", sortedBy(p.Edges.Reviews, tc.key, reviewID, tc.desc), reviewID)
						checkWholeList(t, n.Reviews, want)
					}
				})
			}
		})

		t.Run("ReviewAuthorAndProduct", func(t *testing.T) {
			r := f.reviews[len(f.reviews)/2]
			var data struct {
				Node struct {
					Author  userJSON
					Product struct{ ID, Slug string }
				}
			}
			e.mustQuery(t, nodeQuery(`... on Review { author { `+userFields+` } product { id slug } }`),
				map[string]any{"id": gid("Review", r.ID)}, &data)
			var author *ent.User
			for _, u := range f.users {
				if u.ID == r.AuthorID {
					author = u
				}
			}
			checkSame(t, "author", data.Node.Author, f.wantUser(author))
			p := f.productByID[r.ProductID]
			checkSame(t, "product", data.Node.Product, struct{ ID, Slug string }{gid("Product", p.ID), p.Slug})
		})

		t.Run("VariantProduct", func(t *testing.T) {
			p := f.products[len(f.products)-1]
			v := p.Edges.Variants[len(p.Edges.Variants)-1]
			var data struct {
				Node struct {
					Product productJSON
				}
			}
			e.mustQuery(t, nodeQuery(`... on Variant { product { `+productFields+` } }`),
				map[string]any{"id": gid("Variant", v.ID)}, &data)
			data.Node.Product.AverageRating = roundRating(data.Node.Product.AverageRating)
			checkSame(t, "product", data.Node.Product, f.wantProduct(p))
		})
	})
}

func TestQueryCategories(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		byName := func(a, b *ent.Category) int { return strings.Compare(a.Name, b.Name) }

		t.Run("RootsByName", func(t *testing.T) {
			roots := keepOnly(f.categories, func(c *ent.Category) bool { return c.ParentID == nil })
			var want []categoryJSON
			for _, c := range sortedBy(roots, byName, categoryID, false) {
				want = append(want, f.wantCategory(c))
			}
			var data struct{ Categories []categoryJSON }
			e.mustQuery(t, `{ categories { `+categoryFields+` } }`, nil, &data)
			checkSame(t, "categories", data.Categories, want)
		})

		t.Run("EveryCategoryTreeAndProducts", func(t *testing.T) {
			var data struct {
				Nodes []struct {
					categoryJSON
					Products connJSON[refJSON]
				}
			}
			e.mustQuery(t, `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Category {
				`+categoryFields+` products(first: 100) `+idConnection+`
			} } }`, map[string]any{"ids": gids("Category", f.categories, categoryID)}, &data)
			if len(data.Nodes) != len(f.categories) {
				t.Fatalf("got %d categories, want %d", len(data.Nodes), len(f.categories))
			}
			for i, c := range f.categories {
				got := data.Nodes[i]
				checkSame(t, "category "+c.Slug, got.categoryJSON, f.wantCategory(c))
				want := gids("Product", newestProducts(f.productsIn(c.ID)), productID)
				if len(want) == 0 {
					t.Errorf("test data: got no products in category %s, want some", c.Slug)
				}
				checkWholeList(t, got.Products, want)
			}
		})

		deep := f.deepest()
		chain := append(f.ancestors(deep), deep)
		const categoryQuery = `query($slug: String!, $filter: ProductFilter, $orderBy: ProductOrder) {
			category(slug: $slug) {
				id name slug
				parent { ` + categoryFields + ` }
				children { ` + categoryFields + ` }
				ancestors { ` + categoryFields + ` }
				products(first: 100, filter: $filter, orderBy: $orderBy) ` + idConnection + `
			}
		}`
		type categoryResult struct {
			Category *struct {
				ID, Name, Slug      string
				Parent              *categoryJSON
				Children, Ancestors []categoryJSON
				Products            connJSON[refJSON]
			}
		}
		t.Run("BySlug", func(t *testing.T) {
			for _, c := range chain {
				t.Run(c.Slug, func(t *testing.T) {
					var data categoryResult
					e.mustQuery(t, categoryQuery, map[string]any{"slug": c.Slug}, &data)
					if data.Category == nil {
						t.Fatalf("got null, want category %s", c.Slug)
					}
					got := data.Category
					checkSame(t, "category", []string{got.ID, got.Name, got.Slug}, []string{gid("Category", c.ID), c.Name, c.Slug})
					if c.ParentID == nil {
						if got.Parent != nil {
							t.Errorf("got parent %+v, want null", *got.Parent)
						}
					} else {
						checkSame(t, "parent", got.Parent, new(f.wantCategory(f.categoryByID[*c.ParentID])))
					}
					wantChildren := []categoryJSON{}
					for _, ch := range sortedBy(f.children[c.ID], byName, categoryID, false) {
						wantChildren = append(wantChildren, f.wantCategory(ch))
					}
					checkSame(t, "children", got.Children, wantChildren)
					wantAncestors := []categoryJSON{}
					for _, a := range f.ancestors(c) {
						wantAncestors = append(wantAncestors, f.wantCategory(a))
					}
					checkSame(t, "ancestors", got.Ancestors, wantAncestors)
					checkWholeList(t, got.Products, gids("Product", newestProducts(f.productsIn(c.ID)), productID))
				})
			}
		})

		t.Run("ProductsFilteredAndOrdered", func(t *testing.T) {
			root := chain[0]
			var prices []int64
			for _, p := range f.productsIn(root.ID) {
				prices = append(prices, minPrice(p))
			}
			slices.Sort(prices)
			mid := prices[len(prices)/2]
			other := keepOnly(f.categories, func(c *ent.Category) bool { return !f.subtree(root.ID)[c.ID] })[0]
			tests := []struct {
				name    string
				filter  map[string]any
				orderBy map[string]any
				keep    func(*ent.Product) bool
				key     string
				desc    bool
			}{
				{"InStockByPriceDesc", map[string]any{"inStock": true}, map[string]any{"field": "PRICE", "direction": "DESC"},
					inStock, "PRICE", true},
				{"ActiveByTitle", map[string]any{"status": []string{"ACTIVE"}}, map[string]any{"field": "TITLE"},
					func(p *ent.Product) bool { return p.Status == product.StatusACTIVE }, "TITLE", false},
				{"PriceMaxByRatingDesc", map[string]any{"price": map[string]any{"max": mid}}, map[string]any{"field": "RATING", "direction": "DESC"},
					func(p *ent.Product) bool { return minPrice(p) <= mid }, "RATING", true},
				{"SearchByCreatedAt", map[string]any{"search": strings.ToLower(firstWord(f.productsIn(root.ID)[0].Title))}, map[string]any{"field": "CREATED_AT"},
					func(p *ent.Product) bool {
						return matchesSearch(p, firstWord(f.productsIn(root.ID)[0].Title))
					}, "CREATED_AT", false},
				{"CategoryFilterIgnored", map[string]any{"category": other.Slug}, nil,
					func(*ent.Product) bool { return true }, "CREATED_AT", true},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					want := sortedBy(keepOnly(f.productsIn(root.ID), tc.keep), productKeys[tc.key], productID, tc.desc)
					if len(want) == 0 {
						t.Fatalf("test data: got the filter matching nothing in %s, want some", root.Slug)
					}
					var data categoryResult
					e.mustQuery(t, categoryQuery, map[string]any{"slug": root.Slug, "filter": tc.filter, "orderBy": tc.orderBy}, &data)
					checkWholeList(t, data.Category.Products, gids("Product", want, productID))
				})
			}
		})

		t.Run("ProductsInvalidFilter", func(t *testing.T) {
			e.expectInvalid(t, categoryQuery, map[string]any{"slug": chain[0].Slug, "filter": map[string]any{"search": "a"}}, "filter.search")
		})

		t.Run("UnknownSlugIsNull", func(t *testing.T) {
			var data categoryResult
			e.mustQuery(t, categoryQuery, map[string]any{"slug": "no-such-category"}, &data)
			if data.Category != nil {
				t.Errorf("got %+v, want null", *data.Category)
			}
		})
	})
}

func TestQueryOrders(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		casey := f.user(t, "customer@shopgraph.dev")
		admin := f.user(t, "admin@shopgraph.dev")
		const ordersQuery = `query($filter: OrderFilter, $orderBy: OrderOrder) {
			orders(first: 100, filter: $filter, orderBy: $orderBy) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
				edges { cursor node { ` + orderFields + ` } }
			}
		}`
		byCreated := func(a, b *ent.Order) int { return a.CreatedAt.Compare(b.CreatedAt) }
		paidOrShipped := func(o *ent.Order) bool { return o.Status == order.StatusPAID || o.Status == order.StatusSHIPPED }

		tests := []struct {
			name    string
			filter  map[string]any
			orderBy map[string]any
			keep    func(*ent.Order) bool
			desc    bool
		}{
			{name: "All", keep: func(*ent.Order) bool { return true }, desc: true},
			{name: "OldestFirst", orderBy: map[string]any{"field": "CREATED_AT"},
				keep: func(*ent.Order) bool { return true }},
			{name: "NewestFirst", orderBy: map[string]any{"field": "CREATED_AT", "direction": "DESC"},
				keep: func(*ent.Order) bool { return true }, desc: true},
			{name: "StatusPaidOrShipped", filter: map[string]any{"status": []string{"PAID", "SHIPPED"}},
				keep: paidOrShipped, desc: true},
			{name: "Customer", filter: map[string]any{"customerId": gid("User", casey.ID)},
				keep: func(o *ent.Order) bool { return o.CustomerID == casey.ID }, desc: true},
			{name: "CustomerAndStatus", filter: map[string]any{"customerId": gid("User", casey.ID), "status": []string{"PAID", "SHIPPED"}},
				keep: func(o *ent.Order) bool { return o.CustomerID == casey.ID && paidOrShipped(o) }, desc: true},
			{name: "CustomerWithoutOrders", filter: map[string]any{"customerId": gid("User", admin.ID)},
				keep: func(o *ent.Order) bool { return false }, desc: true},
			{name: "UnknownCustomer", filter: map[string]any{"customerId": gid("User", 999999)},
				keep: func(o *ent.Order) bool { return false }, desc: true},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var data struct{ Orders connJSON[orderJSON] }
				e.mustQuery(t, ordersQuery, map[string]any{"filter": tc.filter, "orderBy": tc.orderBy}, &data)
				want := []orderJSON{}
				for _, o := range sortedBy(keepOnly(f.orders, tc.keep), byCreated, orderID, tc.desc) {
					want = append(want, f.wantOrder(o))
				}
				got := data.Orders.nodes()
				for i := range got {
					sortLines(got[i].Lines)
				}
				checkSame(t, "orders", got, want)
				if data.Orders.TotalCount != len(want) {
					t.Errorf("got totalCount %d, want %d", data.Orders.TotalCount, len(want))
				}
			})
		}

		t.Run("InvalidCustomerID", func(t *testing.T) {
			for name, id := range map[string]string{
				"ProductID": gid("Product", f.products[0].ID),
				"Malformed": "%%%",
			} {
				t.Run(name, func(t *testing.T) {
					e.expectInvalid(t, ordersQuery, map[string]any{"filter": map[string]any{"customerId": id}}, "filter.customerId")
				})
			}
		})

		t.Run("TotalIsSumOfSubtotals", func(t *testing.T) {
			// Independent of wantOrder: add up what the API itself reports.
			var data struct{ Orders connJSON[orderJSON] }
			e.mustQuery(t, ordersQuery, nil, &data)
			for _, o := range data.Orders.nodes() {
				var sum int64
				for _, l := range o.Lines {
					if l.Subtotal.Amount != int64(l.Quantity)*l.UnitPrice.Amount {
						t.Errorf("order %s line %s: got subtotal %d, want %d × %d", o.Number, l.ID, l.Subtotal.Amount, l.Quantity, l.UnitPrice.Amount)
					}
					sum += l.Subtotal.Amount
				}
				if o.Total != usd(sum) {
					t.Errorf("order %s: got total %+v, want %+v", o.Number, o.Total, usd(sum))
				}
			}
		})

		const orderQuery = `query($number: String!) { order(number: $number) {
			` + orderFields + `
			customerUser: customer { ` + userFields + ` }
			lineDetails: lines { id variant { ` + variantFields + ` } product { id slug } }
		} }`
		t.Run("ByNumber", func(t *testing.T) {
			for _, o := range []*ent.Order{f.orders[0], f.orders[len(f.orders)-1]} {
				t.Run(o.Number, func(t *testing.T) {
					var data struct {
						Order *struct {
							orderJSON
							CustomerUser userJSON
							LineDetails  []struct {
								ID      string
								Variant variantJSON
								Product struct{ ID, Slug string }
							}
						}
					}
					e.mustQuery(t, orderQuery, map[string]any{"number": o.Number}, &data)
					if data.Order == nil {
						t.Fatalf("got null, want order %s", o.Number)
					}
					sortLines(data.Order.Lines)
					checkSame(t, "order", data.Order.orderJSON, f.wantOrder(o))
					customer := keepOnly(f.users, func(u *ent.User) bool { return u.ID == o.CustomerID })[0]
					checkSame(t, "customer", data.Order.CustomerUser, f.wantUser(customer))
					if len(data.Order.LineDetails) != len(o.Edges.Lines) {
						t.Fatalf("got %d lines, want %d", len(data.Order.LineDetails), len(o.Edges.Lines))
					}
					for _, l := range data.Order.LineDetails {
						line := keepOnly(o.Edges.Lines, func(cand *ent.OrderLine) bool { return gid("OrderLine", cand.ID) == l.ID })
						if len(line) != 1 {
							t.Fatalf("got unknown line %s, want a demo order line", l.ID)
						}
						v := f.variants[line[0].VariantID]
						checkSame(t, "variant", l.Variant, f.wantVariant(v))
						p := f.productByID[v.ProductID]
						checkSame(t, "product", l.Product, struct{ ID, Slug string }{gid("Product", p.ID), p.Slug})
					}
				})
			}
		})

		t.Run("UnknownNumberIsNull", func(t *testing.T) {
			var data struct{ Order *orderJSON }
			e.mustQuery(t, orderQuery, map[string]any{"number": "SG-999999"}, &data)
			if data.Order != nil {
				t.Errorf("got %+v, want null", *data.Order)
			}
		})
	})
}

func TestQueryUsers(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		const usersQuery = `query($filter: UserFilter, $orderBy: UserOrder) {
			users(first: 100, filter: $filter, orderBy: $orderBy) {
				totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
				edges { cursor node { ` + userFields + ` } }
			}
		}`
		byCreated := func(a, b *ent.User) int { return a.CreatedAt.Compare(b.CreatedAt) }
		byEmail := func(a, b *ent.User) int { return strings.Compare(a.Email, b.Email) }
		role := func(roles ...user.Role) func(*ent.User) bool {
			return func(u *ent.User) bool { return slices.Contains(roles, u.Role) }
		}
		all := func(*ent.User) bool { return true }

		t.Run("DemoAccounts", func(t *testing.T) {
			for email, want := range map[string]user.Role{
				"admin@shopgraph.dev":    user.RoleADMIN,
				"staff@shopgraph.dev":    user.RoleSTAFF,
				"customer@shopgraph.dev": user.RoleCUSTOMER,
			} {
				if got := f.user(t, email).Role; got != want {
					t.Errorf("%s: got role %s, want %s", email, got, want)
				}
			}
		})

		tests := []struct {
			name    string
			filter  map[string]any
			orderBy map[string]any
			keep    func(*ent.User) bool
			key     func(a, b *ent.User) int
			desc    bool
			want    []string // emails that must be among the results, if set
		}{
			{name: "AllNewestFirst", keep: all, key: byCreated, desc: true},
			{name: "RoleAdmin", filter: map[string]any{"role": []string{"ADMIN"}}, keep: role(user.RoleADMIN), key: byCreated, desc: true,
				want: []string{"admin@shopgraph.dev"}},
			{name: "RoleStaff", filter: map[string]any{"role": []string{"STAFF"}}, keep: role(user.RoleSTAFF), key: byCreated, desc: true,
				want: []string{"staff@shopgraph.dev"}},
			{name: "RoleCustomer", filter: map[string]any{"role": []string{"CUSTOMER"}}, keep: role(user.RoleCUSTOMER), key: byCreated, desc: true,
				want: []string{"customer@shopgraph.dev"}},
			{name: "RoleAdminOrStaff", filter: map[string]any{"role": []string{"ADMIN", "STAFF"}}, keep: role(user.RoleADMIN, user.RoleSTAFF), key: byCreated, desc: true,
				want: []string{"admin@shopgraph.dev", "staff@shopgraph.dev"}},
			{name: "EmailAsc", orderBy: map[string]any{"field": "EMAIL"}, keep: all, key: byEmail},
			{name: "EmailDesc", orderBy: map[string]any{"field": "EMAIL", "direction": "DESC"}, keep: all, key: byEmail, desc: true},
			{name: "CreatedAtAsc", orderBy: map[string]any{"field": "CREATED_AT", "direction": "ASC"}, keep: all, key: byCreated},
			{name: "CustomersByEmail", filter: map[string]any{"role": []string{"CUSTOMER"}}, orderBy: map[string]any{"field": "EMAIL"},
				keep: role(user.RoleCUSTOMER), key: byEmail},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				var data struct{ Users connJSON[userJSON] }
				e.mustQuery(t, usersQuery, map[string]any{"filter": tc.filter, "orderBy": tc.orderBy}, &data)
				want := []userJSON{}
				for _, u := range sortedBy(keepOnly(f.users, tc.keep), tc.key, userID, tc.desc) {
					want = append(want, f.wantUser(u))
				}
				checkSame(t, "users", data.Users.nodes(), want)
				if data.Users.TotalCount != len(want) {
					t.Errorf("got totalCount %d, want %d", data.Users.TotalCount, len(want))
				}
				for _, email := range tc.want {
					if !slices.ContainsFunc(data.Users.nodes(), func(u userJSON) bool { return u.Email == email }) {
						t.Errorf("got no user %s, want one", email)
					}
				}
			})
		}

		t.Run("NestedOrdersAndReviews", func(t *testing.T) {
			byOrderCreated := func(a, b *ent.Order) int { return a.CreatedAt.Compare(b.CreatedAt) }
			byReviewCreated := func(a, b *ent.Review) int { return a.CreatedAt.Compare(b.CreatedAt) }
			byRating := func(a, b *ent.Review) int { return cmp.Compare(a.Rating, b.Rating) }
			tests := []struct {
				name                 string
				ordersBy, reviewsBy  map[string]any
				ordersDesc           bool
				reviewKey            func(a, b *ent.Review) int
				reviewsDesc          bool
				ordersKeyIsCreatedAt bool
			}{
				{name: "Default", ordersDesc: true, reviewKey: byReviewCreated, reviewsDesc: true},
				{name: "OldestFirstAndByRating",
					ordersBy:  map[string]any{"field": "CREATED_AT"},
					reviewsBy: map[string]any{"field": "RATING", "direction": "DESC"},
					reviewKey: byRating, reviewsDesc: true},
				{name: "ReviewsOldestFirst",
					ordersBy:   map[string]any{"field": "CREATED_AT", "direction": "DESC"},
					reviewsBy:  map[string]any{"field": "CREATED_AT"},
					ordersDesc: true, reviewKey: byReviewCreated},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					var data struct {
						Users connJSON[struct {
							ID, Email       string
							Orders, Reviews connJSON[refJSON]
						}]
					}
					e.mustQuery(t, `query($o: OrderOrder, $r: ReviewOrder) { users(first: 100) { edges { node {
						id email
						orders(first: 100, orderBy: $o) `+idConnection+`
						reviews(first: 100, orderBy: $r) `+idConnection+`
					} } } }`, map[string]any{"o": tc.ordersBy, "r": tc.reviewsBy}, &data)
					if len(data.Users.Edges) != len(f.users) {
						t.Fatalf("got %d users, want %d", len(data.Users.Edges), len(f.users))
					}
					for _, n := range data.Users.nodes() {
						u := f.user(t, n.Email)
						t.Run(u.Email, func(t *testing.T) {
							checkWholeList(t, n.Orders, gids("Order", sortedBy(u.Edges.Orders, byOrderCreated, orderID, tc.ordersDesc), orderID))
							checkWholeList(t, n.Reviews, gids("Review", sortedBy(u.Edges.Reviews, tc.reviewKey, reviewID, tc.reviewsDesc), reviewID))
						})
					}
				})
			}
		})

		t.Run("NestedOrderFields", func(t *testing.T) {
			casey := f.user(t, "customer@shopgraph.dev")
			var data struct {
				Node struct{ Orders connJSON[orderJSON] }
			}
			e.mustQuery(t, nodeQuery(`... on User { orders { totalCount edges { node { `+orderFields+` } } } }`),
				map[string]any{"id": gid("User", casey.ID)}, &data)
			want := []orderJSON{}
			// casey.Edges.Orders lack their lines; f.orders has them.
			for _, o := range newestOrders(keepOnly(f.orders, func(o *ent.Order) bool { return o.CustomerID == casey.ID })) {
				want = append(want, f.wantOrder(o))
			}
			got := data.Node.Orders.nodes()
			for i := range got {
				sortLines(got[i].Lines)
			}
			if len(want) == 0 {
				t.Fatalf("test data: got no orders of %s, want some", casey.Email)
			}
			checkSame(t, "orders", got, want)
			if data.Node.Orders.TotalCount != len(want) {
				t.Errorf("got totalCount %d, want %d", data.Node.Orders.TotalCount, len(want))
			}
		})
	})
}
