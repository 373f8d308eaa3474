package graph_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/user"
)

// The authorization matrix: every guarded field, list and operation, asked
// by every kind of viewer, over HTTP. The expected outcome of each (thing,
// path, viewer) is written down in the table, not derived from the rules
// under test.

// who is one viewer of the matrix.
type who int

const (
	anonymous     who = iota
	owner             // customer@shopgraph.dev, who owns the rows under test
	otherCustomer     // another demo customer with orders and reviews
	staffMember       // staff@shopgraph.dev
	adminUser         // admin@shopgraph.dev
	viewerKinds
)

func (w who) String() string {
	return [...]string{"Anonymous", "Owner", "OtherCustomer", "Staff", "Admin"}[w]
}

// outcome is what a viewer gets at a guarded path.
type outcome int

const (
	_ outcome = iota // a row of the table that forgot a viewer
	// present: the value is there and no error concerns it.
	present
	// unauthenticated: null, with an UNAUTHENTICATED error at the path or
	// above it; the rest of the response survives.
	unauthenticated
	// forbidden: null, with a FORBIDDEN error at the path or above it.
	forbidden
	// absent: null (or, in a list, not listed) without any error, as if the
	// row did not exist.
	absent
)

func (o outcome) String() string {
	return [...]string{"<unset>", "present", "null+UNAUTHENTICATED", "null+FORBIDDEN", "absent"}[o]
}

// byViewer is the expected outcome for each viewer.
type byViewer [viewerKinds]outcome

// The rules, spelled out per viewer. Rows whose owner is not
// customer@shopgraph.dev write their own.
var (
	everyone     = byViewer{anonymous: present, owner: present, otherCustomer: present, staffMember: present, adminUser: present}
	ownerOrStaff = byViewer{anonymous: unauthenticated, owner: present, otherCustomer: forbidden, staffMember: present, adminUser: present}
	staffOnly    = byViewer{anonymous: unauthenticated, owner: forbidden, otherCustomer: forbidden, staffMember: present, adminUser: present}
	adminOnly    = byViewer{anonymous: unauthenticated, owner: forbidden, otherCustomer: forbidden, staffMember: forbidden, adminUser: present}
	staffRows    = byViewer{anonymous: absent, owner: absent, otherCustomer: absent, staffMember: present, adminUser: present}
	ownRows      = byViewer{anonymous: absent, owner: present, otherCustomer: absent, staffMember: present, adminUser: present}
	otherRows    = byViewer{anonymous: absent, owner: absent, otherCustomer: present, staffMember: present, adminUser: present}
	signedInSelf = byViewer{anonymous: absent, owner: present, otherCustomer: present, staffMember: present, adminUser: present}
)

// authzCase is one guarded thing reached one way.
type authzCase struct {
	name  string // Thing/Path
	query string
	vars  map[string]any
	// path locates the guarded value in data, dot-separated; list indexes
	// are numbers. A "*" segment makes it a list of IDs, checked for target.
	path   string
	target string
	want   byViewer
	// unknown, for rows that may be absent, are vars naming a well-formed
	// but nonexistent row instead: a hidden row's response must be
	// identical to it.
	unknown map[string]any
	// value, if set, is what a present value must equal (compared as JSON).
	value func(w who) any
}

// within reports whether path a is b or lies under it.
func pathWithin(a, b string) bool {
	return a == b || b == "" || strings.HasPrefix(a, b+".")
}

// withSentinel adds a root field to q's operation, so a test can tell that
// the response survived a denial.
func withSentinel(q string) string {
	return strings.Replace(q, "{", "{ sentinel: __typename ", 1)
}

// checkAuthz runs tc as viewer w and checks the outcome the table wants.
func checkAuthz(t *testing.T, e *env, w who, tc authzCase) {
	t.Helper()
	want := tc.want[w]
	if want == 0 {
		t.Fatalf("table row %s: got no outcome for %s, want one per viewer", tc.name, w)
	}
	res := e.sendAsViewer(t, withSentinel(tc.query), tc.vars)
	if res.status != http.StatusOK {
		t.Fatalf("got HTTP %d, want 200: %s", res.status, res.body)
	}
	if s := walkJSON(res.data, []string{"sentinel"})[0]; s != "Query" && s != "Mutation" {
		t.Fatalf("got sentinel %v, want the response to survive: %s", s, res.body)
	}
	for _, err := range res.errors {
		if c := gqlErrorCode(err); c != "UNAUTHENTICATED" && c != "FORBIDDEN" {
			t.Errorf("got error %q (code %s) at %s, want none there", err.Message, c, gqlErrorPath(err))
		}
	}
	path := splitJSONPath(tc.path)
	if slices.Contains(path, "*") {
		checkListed(t, res, path, tc.target, want)
		return
	}
	got := walkJSON(res.data, path)[0]
	// Errors that concern the value: at it, above it or inside it.
	var related []gqlError
	for _, err := range res.errors {
		if p := gqlErrorPath(err); pathWithin(tc.path, p) || pathWithin(p, tc.path) {
			related = append(related, err)
		}
	}
	switch want {
	case present:
		if got == nil {
			t.Fatalf("got null at %s, want a value: %s", tc.path, res.body)
		}
		if len(related) > 0 {
			t.Errorf("got errors %+v, want none at %s", related, tc.path)
		}
		if tc.value != nil {
			if g, v := jsonText(got), jsonText(tc.value(w)); g != v {
				t.Errorf("got %s at %s, want %s", g, tc.path, v)
			}
		}
	case unauthenticated, forbidden:
		if got != nil {
			t.Errorf("LEAK: got %s at %s, want null", jsonText(got), tc.path)
		}
		checkDenied(t, res, related, tc.path, want)
	case absent:
		if got != nil {
			t.Errorf("LEAK: got %s at %s, want null", jsonText(got), tc.path)
		}
		if len(related) > 0 {
			t.Errorf("got errors %+v, want none: a hidden row looks like a missing one", related)
		}
		if tc.unknown != nil {
			ref := e.sendAsViewer(t, withSentinel(tc.query), tc.unknown)
			if g, w := jsonText(res.data), jsonText(ref.data); g != w {
				t.Errorf("got data %s, want %s as for a nonexistent row", g, w)
			}
			if g, w := jsonText(res.errors), jsonText(ref.errors); g != w {
				t.Errorf("got errors %s, want %s as for a nonexistent row", g, w)
			}
			if res.status != ref.status {
				t.Errorf("got HTTP %d, want %d as for a nonexistent row", res.status, ref.status)
			}
		}
	}
}

// checkDenied checks that related (the errors at, above or under path)
// deny the value at path with want's code, and that the denied field's
// parent survived.
func checkDenied(t *testing.T, res rawResponse, related []gqlError, path string, want outcome) {
	t.Helper()
	code := map[outcome]string{unauthenticated: "UNAUTHENTICATED", forbidden: "FORBIDDEN"}[want]
	denied := false
	for _, err := range related {
		p := gqlErrorPath(err)
		if c := gqlErrorCode(err); c != code {
			t.Errorf("got code %s at %s, want %s", c, p, code)
			continue
		}
		if !pathWithin(path, p) {
			continue // a denial further down is not this one
		}
		denied = true
		parent := splitJSONPath(p)
		parent = parent[:len(parent)-1]
		if len(parent) > 0 && walkJSON(res.data, parent)[0] == nil {
			t.Errorf("got null at %s, want the parent of the denied field to survive", strings.Join(parent, "."))
		}
	}
	if !denied {
		t.Errorf("got errors %+v, want a %s error at %s or above", res.errors, code, path)
	}
}

// checkListed checks whether target is among the IDs at path.
func checkListed(t *testing.T, res rawResponse, path []string, target string, want outcome) {
	t.Helper()
	ids := walkJSON(res.data, path)
	listed := slices.Contains(ids, any(target))
	switch want {
	case unauthenticated, forbidden:
		if listed {
			t.Errorf("LEAK: got %s listed, want the list denied", readable([]string{target}))
		}
		checkDenied(t, res, res.errors, strings.Join(path, "."), want)
		return
	}
	if len(res.errors) > 0 {
		t.Errorf("got errors %+v, want none for a list", res.errors)
	}
	switch want {
	case present:
		if !listed {
			t.Errorf("got %d IDs without %s, want it listed", len(ids), readable([]string{target}))
		}
	case absent:
		if listed {
			t.Errorf("LEAK: got %s listed, want it absent", readable([]string{target}))
		}
	}
}

// authzData is what the matrix is about: demo rows, plus the few the demo
// does not have.
type authzData struct {
	users map[who]*ent.User // nil for anonymous

	active, draft, archived            *ent.Product
	activeVariant, draftVariant        *ent.Variant
	archivedVariant                    *ent.Variant
	caseyReview, otherReview           *ent.Review // of ACTIVE products
	draftReview                        *ent.Review // casey's, of the DRAFT product (added)
	caseyOrder, otherOrder             *ent.Order
	caseyLine, otherLine               *ent.OrderLine
	archivedOrder                      *ent.Order     // casey's, holding the ARCHIVED product (added)
	archivedLine                       *ent.OrderLine // its line
	draftCategorySlug                  string
	productCount, activeProductCount   int
	hiddenProductCount                 int
	categoryCount, categoryActive      int
	caseyReviews, caseyActiveReviews   int
	orderCount, userCount, caseyOrders int
	ordersOf                           map[who]int // each signed-in viewer's own orders
}

func loadAuthzData(t *testing.T, e *env) *authzData {
	t.Helper()
	ctx := context.Background()
	db := e.store.Client // no row rules
	d := &authzData{users: map[who]*ent.User{
		owner:       e.user(t, "customer@shopgraph.dev"),
		staffMember: e.user(t, "staff@shopgraph.dev"),
		adminUser:   e.user(t, "admin@shopgraph.dev"),
	}}
	casey := d.users[owner]
	var err error
	d.users[otherCustomer], err = db.User.Query().
		Where(user.RoleEQ(user.RoleCUSTOMER), user.IDNEQ(casey.ID), user.HasOrders(), user.HasReviews()).
		Order(user.ByID()).First(ctx)
	if err != nil {
		t.Fatalf("find another customer with orders and reviews: got error %v, want nil", err)
	}
	other := d.users[otherCustomer]
	withVariants := func(s product.Status) *ent.Product {
		t.Helper()
		p, err := db.Product.Query().Where(product.StatusEQ(s), product.HasVariants()).
			WithVariants().Order(product.ByID()).First(ctx)
		if err != nil {
			t.Fatalf("find a %s product with variants: got error %v, want nil", s, err)
		}
		return p
	}
	d.draft, d.archived = withVariants(product.StatusDRAFT), withVariants(product.StatusARCHIVED)
	d.draftVariant, d.archivedVariant = d.draft.Edges.Variants[0], d.archived.Edges.Variants[0]
	authored := func(u *ent.User) *ent.Review {
		t.Helper()
		r, err := db.Review.Query().Where(review.AuthorID(u.ID), review.HasProductWith(product.StatusEQ(product.StatusACTIVE))).
			Order(review.ByID()).First(ctx)
		if err != nil {
			t.Fatalf("find a review by %s: got error %v, want nil", u.Email, err)
		}
		return r
	}
	d.caseyReview, d.otherReview = authored(casey), authored(other)
	d.active = db.Product.Query().Where(product.ID(d.caseyReview.ProductID)).WithVariants().OnlyX(ctx)
	if len(d.active.Edges.Variants) == 0 {
		t.Fatalf("test data: got no variants of active product %s, want some", d.active.Slug)
	}
	d.activeVariant = d.active.Edges.Variants[0]
	firstOrder := func(u *ent.User) (*ent.Order, *ent.OrderLine) {
		t.Helper()
		o, err := db.Order.Query().Where(order.CustomerID(u.ID), order.HasLines()).WithLines().Order(order.ByID()).First(ctx)
		if err != nil {
			t.Fatalf("find an order of %s: got error %v, want nil", u.Email, err)
		}
		return o, o.Edges.Lines[0]
	}
	d.caseyOrder, d.caseyLine = firstOrder(casey)
	d.otherOrder, d.otherLine = firstOrder(other)

	// The demo has no review of a draft (drafts were never on sale) and
	// may have no order of an archived product: add both.
	d.draftReview = db.Review.Create().SetAuthorID(casey.ID).SetProductID(d.draft.ID).
		SetRating(4).SetTitle("Early look").SetBody("Seen before launch.").SaveX(ctx)
	d.archivedOrder = db.Order.Create().SetNumber("SG-900001").SetCustomerID(casey.ID).
		SetStatus(order.StatusSHIPPED).SetCreatedAt(time.Now().UTC()).SaveX(ctx)
	d.archivedLine = db.OrderLine.Create().SetOrderID(d.archivedOrder.ID).SetVariantID(d.archivedVariant.ID).
		SetQuantity(1).SetUnitPrice(d.archivedVariant.Price).SaveX(ctx)

	d.productCount = db.Product.Query().CountX(ctx)
	d.activeProductCount = db.Product.Query().Where(product.StatusEQ(product.StatusACTIVE)).CountX(ctx)
	d.hiddenProductCount = d.productCount - d.activeProductCount
	d.draftCategorySlug = db.Category.GetX(ctx, d.draft.CategoryID).Slug
	d.categoryCount = db.Product.Query().Where(product.CategoryID(d.draft.CategoryID)).CountX(ctx)
	d.categoryActive = db.Product.Query().Where(product.CategoryID(d.draft.CategoryID), product.StatusEQ(product.StatusACTIVE)).CountX(ctx)
	d.caseyReviews = db.Review.Query().Where(review.AuthorID(casey.ID)).CountX(ctx)
	d.caseyActiveReviews = db.Review.Query().Where(review.AuthorID(casey.ID), review.HasProductWith(product.StatusEQ(product.StatusACTIVE))).CountX(ctx)
	d.orderCount = db.Order.Query().CountX(ctx)
	d.userCount = db.User.Query().CountX(ctx)
	d.caseyOrders = db.Order.Query().Where(order.CustomerID(casey.ID)).CountX(ctx)
	d.ordersOf = map[who]int{}
	for w, u := range d.users {
		d.ordersOf[w] = db.Order.Query().Where(order.CustomerID(u.ID)).CountX(ctx)
	}
	return d
}

// shopperOrStaff is a count as non-staff viewers see it, and as staff do.
func shopperOrStaff(shopper, staff int) [viewerKinds]int {
	return [viewerKinds]int{anonymous: shopper, owner: shopper, otherCustomer: shopper, staffMember: staff, adminUser: staff}
}

func TestAuthorizationMatrix(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		d := loadAuthzData(t, e)
		ctx := context.Background()
		db := e.store.Client
		viewers := map[who]*env{anonymous: e.anonymous()}
		for w, u := range d.users {
			viewers[w] = e.as(t, u)
		}
		casey, other := d.users[owner], d.users[otherCustomer]
		idVars := func(typ string, id int) map[string]any { return map[string]any{"id": gid(typ, id)} }
		unknownID := func(typ string) map[string]any { return idVars(typ, 999999999) }
		number := func(n string) map[string]any { return map[string]any{"number": n} }
		slug := func(s string) map[string]any { return map[string]any{"slug": s} }
		is := func(v any) func(who) any { return func(who) any { return v } }
		ownEmail := func(w who) any { return d.users[w].Email }
		ownRole := func(w who) any { return string(d.users[w].Role) }
		ownOrders := func(w who) any { return d.ordersOf[w] }
		caseyAndOther := map[string]any{"ids": []string{gid("User", casey.ID), gid("User", other.ID)}}
		noUnknownOrder := number("SG-999999")

		const (
			nodeID        = `query($id: ID!) { node(id: $id) { id } }`
			userNode      = `query($id: ID!) { node(id: $id) { id ... on User { %s } } }`
			userNodes     = `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { %s } } }`
			reviewAuthor  = `query($id: ID!) { node(id: $id) { id ... on Review { author { name %s } } } }`
			orderCustomer = `query($number: String!) { order(number: $number) { number customer { name %s } } }`
			nodeCustomer  = `query($id: ID!) { node(id: $id) { id ... on Order { customer { name %s } } } }`
			variantNode   = `query($id: ID!) { node(id: $id) { id ... on Variant { sku cost { amount } stock } } }`
			productsIDs   = `{ products(first: 100) { edges { node { id } } } }`
		)
		tests := []authzCase{
			// User.email: owner or STAFF, however the user is reached.
			{name: "User.email/viewer", query: `{ viewer { email } }`, path: "viewer.email", want: signedInSelf, value: ownEmail},
			{name: "User.email/node", query: fmt.Sprintf(userNode, "email"), vars: idVars("User", casey.ID),
				path: "node.email", want: ownerOrStaff, value: is(casey.Email)},
			{name: "User.email/nodes[0]", query: fmt.Sprintf(userNodes, "email"), vars: caseyAndOther,
				path: "nodes.0.email", want: ownerOrStaff, value: is(casey.Email)},
			{name: "User.email/nodes[1]", query: fmt.Sprintf(userNodes, "email"), vars: caseyAndOther,
				path: "nodes.1.email", value: is(other.Email),
				want: byViewer{anonymous: unauthenticated, owner: forbidden, otherCustomer: present, staffMember: present, adminUser: present}},
			{name: "User.email/review.author", query: fmt.Sprintf(reviewAuthor, "email"), vars: idVars("Review", d.caseyReview.ID),
				path: "node.author.email", want: ownerOrStaff, value: is(casey.Email)},
			{name: "User.email/order.customer", query: fmt.Sprintf(orderCustomer, "email"), vars: number(d.caseyOrder.Number),
				path: "order.customer.email", value: is(casey.Email), unknown: noUnknownOrder,
				want: byViewer{anonymous: unauthenticated, owner: present, otherCustomer: absent, staffMember: present, adminUser: present}},
			{name: "User.email/users", query: `{ users(first: 100) { edges { node { email } } } }`,
				path: "users.edges.0.node.email", want: staffOnly},
			{name: "User.email/namedFragment", query: `query($id: ID!) { node(id: $id) { ...Private } } fragment Private on User { id email role }`,
				vars: idVars("User", casey.ID), path: "node.email", want: ownerOrStaff, value: is(casey.Email)},
			{name: "User.email/nestedFragments", query: `query($id: ID!) { node(id: $id) { ... on Review { author { ...Contact } } } }
				fragment Contact on User { ... on User { contact: email } }`,
				vars: idVars("Review", d.caseyReview.ID), path: "node.author.contact", want: ownerOrStaff, value: is(casey.Email)},
			{name: "User.email/alias", query: fmt.Sprintf(userNode, "a: email"), vars: idVars("User", casey.ID),
				path: "node.a", want: ownerOrStaff, value: is(casey.Email)},
			{name: "User.email/twoAliases[a]", query: fmt.Sprintf(userNode, "a: email b: email"), vars: idVars("User", casey.ID),
				path: "node.a", want: ownerOrStaff, value: is(casey.Email)},
			{name: "User.email/twoAliases[b]", query: fmt.Sprintf(userNode, "a: email b: email"), vars: idVars("User", casey.ID),
				path: "node.b", want: ownerOrStaff, value: is(casey.Email)},

			// User.role: owner or STAFF.
			{name: "User.role/viewer", query: `{ viewer { role } }`, path: "viewer.role", want: signedInSelf, value: ownRole},
			{name: "User.role/node", query: fmt.Sprintf(userNode, "role"), vars: idVars("User", casey.ID),
				path: "node.role", want: ownerOrStaff, value: is("CUSTOMER")},
			{name: "User.role/namedFragment", query: `query($id: ID!) { node(id: $id) { ...Private } } fragment Private on User { id email role }`,
				vars: idVars("User", casey.ID), path: "node.role", want: ownerOrStaff, value: is("CUSTOMER")},
			{name: "User.role/nodes[1]", query: fmt.Sprintf(userNodes, "role"), vars: caseyAndOther,
				path: "nodes.1.role", value: is("CUSTOMER"),
				want: byViewer{anonymous: unauthenticated, owner: forbidden, otherCustomer: present, staffMember: present, adminUser: present}},
			{name: "User.role/review.author", query: fmt.Sprintf(reviewAuthor, "role"), vars: idVars("Review", d.caseyReview.ID),
				path: "node.author.role", want: ownerOrStaff, value: is("CUSTOMER")},

			// User.orders: owner or STAFF.
			{name: "User.orders/viewer", query: `{ viewer { orders { totalCount } } }`, path: "viewer.orders.totalCount",
				want: signedInSelf, value: ownOrders},
			// Order history as a shop front shows it; the demo's customer has
			// bought products archived since ("kept for order history").
			{name: "User.orders/viewer.lines.product", query: `{ viewer { orders(first: 100) { totalCount edges { node { number lines { quantity product { title } } } } } } }`,
				path: "viewer.orders.totalCount", want: signedInSelf, value: ownOrders},
			{name: "User.orders/node", query: fmt.Sprintf(userNode, "orders { totalCount }"), vars: idVars("User", casey.ID),
				path: "node.orders.totalCount", want: ownerOrStaff, value: is(d.caseyOrders)},
			{name: "User.orders/inlineFragmentAlias", query: fmt.Sprintf(userNode, "... on User { history: orders(first: 1) { totalCount } }"),
				vars: idVars("User", casey.ID), path: "node.history.totalCount", want: ownerOrStaff, value: is(d.caseyOrders)},
			{name: "User.orders/nodes[1]", query: fmt.Sprintf(userNodes, "orders { totalCount }"), vars: caseyAndOther,
				path: "nodes.1.orders.totalCount", value: is(d.ordersOf[otherCustomer]),
				want: byViewer{anonymous: unauthenticated, owner: forbidden, otherCustomer: present, staffMember: present, adminUser: present}},
			{name: "User.orders/review.author", query: fmt.Sprintf(reviewAuthor, "orders { totalCount }"), vars: idVars("Review", d.otherReview.ID),
				path: "node.author.orders.totalCount", value: is(d.ordersOf[otherCustomer]),
				want: byViewer{anonymous: unauthenticated, owner: forbidden, otherCustomer: present, staffMember: present, adminUser: present}},
			{name: "User.orders/order.customer", query: fmt.Sprintf(orderCustomer, "orders { totalCount }"), vars: number(d.caseyOrder.Number),
				path: "order.customer.orders.totalCount", value: is(d.caseyOrders), unknown: noUnknownOrder,
				want: byViewer{anonymous: unauthenticated, owner: present, otherCustomer: absent, staffMember: present, adminUser: present}},
			{name: "User.orders/node.customer", query: fmt.Sprintf(nodeCustomer, "orders { totalCount }"), vars: idVars("Order", d.otherOrder.ID),
				path: "node.customer.orders.totalCount", want: otherRows, value: is(d.ordersOf[otherCustomer]), unknown: unknownID("Order")},

			// Variant.cost and Variant.stock: STAFF.
			{name: "Variant.cost/products", query: `{ products(first: 1) { edges { node { variants { cost { amount } } } } } }`,
				path: "products.edges.0.node.variants.0.cost.amount", want: staffOnly},
			{name: "Variant.stock/products", query: `{ products(first: 1) { edges { node { variants { stock } } } } }`,
				path: "products.edges.0.node.variants.0.stock", want: staffOnly},
			{name: "Variant.cost/node", query: variantNode, vars: idVars("Variant", d.activeVariant.ID),
				path: "node.cost.amount", want: staffOnly, value: is(d.activeVariant.Cost)},
			{name: "Variant.stock/node", query: variantNode, vars: idVars("Variant", d.activeVariant.ID),
				path: "node.stock", want: staffOnly, value: is(d.activeVariant.Stock)},
			{name: "Variant.sku/node", query: variantNode, vars: idVars("Variant", d.activeVariant.ID),
				path: "node.sku", want: everyone, value: is(d.activeVariant.Sku)},
			{name: "Variant.stock/product.variants", query: `query($slug: String!) { product(slug: $slug) { variants { id stock } } }`,
				vars: slug(d.active.Slug), path: "product.variants.0.stock", want: staffOnly},
			{name: "Variant.cost/product.variants", query: `query($slug: String!) { product(slug: $slug) { variants { id cost { amount } } } }`,
				vars: slug(d.active.Slug), path: "product.variants.0.cost", want: staffOnly},

			// Staff and admin operations.
			{name: "Query.users", query: `{ users(first: 1) { totalCount } }`, path: "users.totalCount", want: staffOnly, value: is(d.userCount)},
			{name: "Query.orders", query: `{ orders(first: 1) { totalCount } }`, path: "orders.totalCount", want: staffOnly, value: is(d.orderCount)},
			{name: "Query.orders/filtered", query: `query($c: ID) { orders(first: 1, filter: {customerId: $c}) { totalCount } }`,
				vars: map[string]any{"c": gid("User", casey.ID)}, path: "orders.totalCount", want: staffOnly, value: is(d.caseyOrders)},
			{name: "Query.order/own", query: `query($number: String!) { order(number: $number) { number } }`, vars: number(d.caseyOrder.Number),
				path: "order.number", value: is(d.caseyOrder.Number), unknown: noUnknownOrder,
				want: byViewer{anonymous: unauthenticated, owner: present, otherCustomer: absent, staffMember: present, adminUser: present}},
			{name: "Query.order/others", query: `query($number: String!) { order(number: $number) { number } }`, vars: number(d.otherOrder.Number),
				path: "order.number", value: is(d.otherOrder.Number), unknown: noUnknownOrder,
				want: byViewer{anonymous: unauthenticated, owner: absent, otherCustomer: present, staffMember: present, adminUser: present}},
			{name: "Mutation.setUserRole", query: `mutation($id: ID!) { setUserRole(input: {userId: $id, role: CUSTOMER}) { user { id role } } }`,
				vars: idVars("User", casey.ID), path: "setUserRole.user.role", want: adminOnly, value: is("CUSTOMER")},

			// Products: ACTIVE for everyone, the rest for staff only.
			{name: "Product(ACTIVE)/node", query: nodeID, vars: idVars("Product", d.active.ID), path: "node.id", want: everyone},
			{name: "Product(DRAFT)/node", query: nodeID, vars: idVars("Product", d.draft.ID), path: "node.id", want: staffRows, unknown: unknownID("Product")},
			{name: "Product(ARCHIVED)/node", query: nodeID, vars: idVars("Product", d.archived.ID), path: "node.id", want: staffRows, unknown: unknownID("Product")},
			{name: "Product(DRAFT)/product(slug)", query: `query($slug: String!) { product(slug: $slug) { id status } }`, vars: slug(d.draft.Slug),
				path: "product.id", want: staffRows, unknown: slug("no-such-product")},
			{name: "Product(ARCHIVED)/product(slug)", query: `query($slug: String!) { product(slug: $slug) { id status } }`, vars: slug(d.archived.Slug),
				path: "product.id", want: staffRows, unknown: slug("no-such-product")},
			{name: "Product(DRAFT)/product(id)", query: `query($id: ID!) { product(id: $id) { id status } }`, vars: idVars("Product", d.draft.ID),
				path: "product.id", want: staffRows, unknown: unknownID("Product")},
			{name: "Product(ARCHIVED)/product(id)", query: `query($id: ID!) { product(id: $id) { id status } }`, vars: idVars("Product", d.archived.ID),
				path: "product.id", want: staffRows, unknown: unknownID("Product")},
			{name: "Product(ACTIVE)/products", query: productsIDs, path: "products.edges.*.node.id", target: gid("Product", d.active.ID), want: everyone},
			{name: "Product(DRAFT)/products", query: productsIDs, path: "products.edges.*.node.id", target: gid("Product", d.draft.ID), want: staffRows},
			{name: "Product(ARCHIVED)/products", query: productsIDs, path: "products.edges.*.node.id", target: gid("Product", d.archived.ID), want: staffRows},
			{name: "Product(DRAFT)/products(status)", query: `{ products(first: 100, filter: {status: [DRAFT, ARCHIVED]}) { edges { node { id } } } }`,
				path: "products.edges.*.node.id", target: gid("Product", d.draft.ID), want: staffRows},
			{name: "Product(DRAFT)/category.products", query: `query($slug: String!) { category(slug: $slug) { products(first: 100) { edges { node { id } } } } }`,
				vars: slug(d.draftCategorySlug), path: "category.products.edges.*.node.id", target: gid("Product", d.draft.ID), want: staffRows},
			{name: "Product(DRAFT)/review.product", query: `query($id: ID!) { node(id: $id) { ... on Review { product { id status } } } }`,
				vars: idVars("Review", d.draftReview.ID), path: "node.product.id", want: staffRows, unknown: unknownID("Review")},
			// The owner's own line keeps its product: ARCHIVED products are
			// "kept for order history", and OrderLine.product is non-null.
			{name: "Product(ARCHIVED)/orderLine.product", query: `query($id: ID!) { node(id: $id) { ... on OrderLine { product { id status } } } }`,
				vars: idVars("OrderLine", d.archivedLine.ID), path: "node.product.id", unknown: unknownID("OrderLine"),
				want: byViewer{anonymous: absent, owner: present, otherCustomer: absent, staffMember: present, adminUser: present}},
			{name: "Product(ARCHIVED)/order(number).lines", query: `query($number: String!) { order(number: $number) { number lines { variant { sku } product { title } } } }`,
				vars: number(d.archivedOrder.Number), path: "order.number", value: is(d.archivedOrder.Number), unknown: noUnknownOrder,
				want: byViewer{anonymous: unauthenticated, owner: present, otherCustomer: absent, staffMember: present, adminUser: present}},
			{name: "Variant(DRAFT)/node", query: nodeID, vars: idVars("Variant", d.draftVariant.ID), path: "node.id", want: staffRows, unknown: unknownID("Variant")},
			{name: "Variant(ARCHIVED)/node", query: nodeID, vars: idVars("Variant", d.archivedVariant.ID), path: "node.id", want: staffRows, unknown: unknownID("Variant")},
			{name: "Review(DRAFT)/node", query: nodeID, vars: idVars("Review", d.draftReview.ID), path: "node.id", want: staffRows, unknown: unknownID("Review")},
			{name: "Review(DRAFT)/user.reviews", query: fmt.Sprintf(userNode, "reviews(first: 100) { edges { node { id } } }"), vars: idVars("User", casey.ID),
				path: "node.reviews.edges.*.node.id", target: gid("Review", d.draftReview.ID), want: staffRows},
			{name: "Review(ACTIVE)/user.reviews", query: fmt.Sprintf(userNode, "reviews(first: 100) { edges { node { id } } }"), vars: idVars("User", casey.ID),
				path: "node.reviews.edges.*.node.id", target: gid("Review", d.caseyReview.ID), want: everyone},

			// Orders and their lines: the customer's own, all for staff.
			{name: "Order(own)/node", query: nodeID, vars: idVars("Order", d.caseyOrder.ID), path: "node.id", want: ownRows, unknown: unknownID("Order")},
			{name: "Order(other's)/node", query: nodeID, vars: idVars("Order", d.otherOrder.ID), path: "node.id", want: otherRows, unknown: unknownID("Order")},
			{name: "OrderLine(own)/node", query: nodeID, vars: idVars("OrderLine", d.caseyLine.ID), path: "node.id", want: ownRows, unknown: unknownID("OrderLine")},
			{name: "OrderLine(other's)/node", query: nodeID, vars: idVars("OrderLine", d.otherLine.ID), path: "node.id", want: otherRows, unknown: unknownID("OrderLine")},
			{name: "OrderLine(own)/order.lines", query: `query($id: ID!) { node(id: $id) { ... on Order { lines { id } } } }`, vars: idVars("Order", d.caseyOrder.ID),
				path: "node.lines.*.id", target: gid("OrderLine", d.caseyLine.ID), want: ownRows},
			{name: "Order(own)/customer.orders", query: fmt.Sprintf(userNode, "orders(first: 100) { edges { node { id } } }"), vars: idVars("User", casey.ID),
				path: "node.orders.edges.*.node.id", target: gid("Order", d.caseyOrder.ID),
				want: byViewer{anonymous: unauthenticated, owner: present, otherCustomer: forbidden, staffMember: present, adminUser: present}},
		}

		// nodes(ids:) in one request: each entry on its own, a hidden one
		// answered as a nonexistent one would be.
		entries := []struct {
			name, typ string
			id        int
			want      byViewer
		}{
			{"Product(ACTIVE)", "Product", d.active.ID, everyone},
			{"Product(DRAFT)", "Product", d.draft.ID, staffRows},
			{"Product(ARCHIVED)", "Product", d.archived.ID, staffRows},
			{"Variant(DRAFT)", "Variant", d.draftVariant.ID, staffRows},
			{"Variant(ARCHIVED)", "Variant", d.archivedVariant.ID, staffRows},
			{"Review(DRAFT)", "Review", d.draftReview.ID, staffRows},
			{"Order(own)", "Order", d.caseyOrder.ID, ownRows},
			{"Order(other's)", "Order", d.otherOrder.ID, otherRows},
			{"OrderLine(own)", "OrderLine", d.caseyLine.ID, ownRows},
			{"OrderLine(other's)", "OrderLine", d.otherLine.ID, otherRows},
			{"User", "User", other.ID, everyone},
		}
		ids := make([]string, len(entries))
		for i, en := range entries {
			ids[i] = gid(en.typ, en.id)
		}
		for i, en := range entries {
			unknown := slices.Clone(ids)
			unknown[i] = gid(en.typ, 999999999)
			tests = append(tests, authzCase{
				name: en.name + "/nodes", query: `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`,
				vars: map[string]any{"ids": ids}, unknown: map[string]any{"ids": unknown},
				path: fmt.Sprintf("nodes.%d.id", i), want: en.want, value: is(ids[i]),
			})
		}

		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for w := anonymous; w < viewerKinds; w++ {
					t.Run(w.String(), func(t *testing.T) { checkAuthz(t, viewers[w], w, tc) })
				}
			})
		}

		t.Run("SetUserRoleChangedNothing", func(t *testing.T) {
			if got := db.User.GetX(ctx, casey.ID).Role; got != user.RoleCUSTOMER {
				t.Errorf("got role %s, want CUSTOMER", got)
			}
		})

		// Totals count only what the viewer may see.
		totals := []struct {
			name  string
			query string
			vars  map[string]any
			path  string
			want  [viewerKinds]int
		}{
			{name: "Query.products", query: `{ products(first: 1) { totalCount } }`, path: "products.totalCount",
				want: shopperOrStaff(d.activeProductCount, d.productCount)},
			{name: "Query.products(status)", query: `{ products(first: 1, filter: {status: [DRAFT, ARCHIVED]}) { totalCount } }`,
				path: "products.totalCount", want: shopperOrStaff(0, d.hiddenProductCount)},
			{name: "Category.products", query: `query($slug: String!) { category(slug: $slug) { products(first: 1) { totalCount } } }`,
				vars: slug(d.draftCategorySlug), path: "category.products.totalCount", want: shopperOrStaff(d.categoryActive, d.categoryCount)},
			{name: "User.reviews", query: fmt.Sprintf(userNode, "reviews(first: 1) { totalCount }"), vars: idVars("User", casey.ID),
				path: "node.reviews.totalCount", want: shopperOrStaff(d.caseyActiveReviews, d.caseyReviews)},
		}
		for _, tc := range totals {
			t.Run("TotalCount/"+tc.name, func(t *testing.T) {
				for w := anonymous; w < viewerKinds; w++ {
					t.Run(w.String(), func(t *testing.T) {
						res := viewers[w].sendAsViewer(t, tc.query, tc.vars)
						if len(res.errors) > 0 {
							t.Fatalf("got errors %+v, want none", res.errors)
						}
						if got := walkJSON(res.data, splitJSONPath(tc.path))[0]; jsonText(got) != jsonText(tc.want[w]) {
							t.Errorf("got totalCount %s, want %d", jsonText(got), tc.want[w])
						}
					})
				}
			})
		}
		if d.hiddenProductCount == 0 || d.caseyReviews == d.caseyActiveReviews || d.categoryCount == d.categoryActive {
			t.Fatalf("test data: got %d hidden products, want totals that tell hidden rows apart", d.hiddenProductCount)
		}

		t.Run("ViewerOrdersAreOwnOnly", func(t *testing.T) {
			for w := owner; w < viewerKinds; w++ {
				t.Run(w.String(), func(t *testing.T) {
					u := d.users[w]
					want := gids("Order", newestOrders(db.Order.Query().Where(order.CustomerID(u.ID)).AllX(ctx)), orderID)
					res := viewers[w].query(t, `{ viewer { orders(first: 100) { totalCount edges { node { id customer { id } } } } } }`, nil)
					if len(res.Errors) > 0 {
						t.Fatalf("got errors %+v, want none", res.Errors)
					}
					var data struct {
						Viewer struct {
							Orders connJSON[struct {
								ID       string
								Customer refJSON
							}]
						}
					}
					decodeJSON(t, res.Data, &data)
					var got []string
					for _, o := range data.Viewer.Orders.nodes() {
						got = append(got, o.ID)
						if o.Customer.ID != gid("User", u.ID) {
							t.Errorf("got order %s of %s, want only %s's", readable([]string{o.ID}), readable([]string{o.Customer.ID}), u.Email)
						}
					}
					checkIDs(t, "viewer.orders", got, want)
					if data.Viewer.Orders.TotalCount != len(want) {
						t.Errorf("got totalCount %d, want %d", data.Viewer.Orders.TotalCount, len(want))
					}
				})
			}
			if d.ordersOf[owner] < 2 || d.ordersOf[otherCustomer] < 1 {
				t.Fatalf("test data: got %d and %d orders, want more of each", d.ordersOf[owner], d.ordersOf[otherCustomer])
			}
		})

		t.Run("NoOtherUsersEmailAnywhere", func(t *testing.T) {
			everybody := db.User.Query().Order(user.ByID()).AllX(ctx)
			const q = `query($ids: [ID!]!) {
				products(first: 100) { edges { node { reviews(first: 100) { edges { node { author { id name email } } } } } } }
				nodes(ids: $ids) { ... on User { id name email } }
				viewer { email }
			}`
			emailPaths := []string{"products.edges.*.node.reviews.edges.*.node.author.email", "nodes.*.email"}
			for w := anonymous; w < viewerKinds; w++ {
				t.Run(w.String(), func(t *testing.T) {
					res := viewers[w].sendAsViewer(t, q, map[string]any{"ids": gids("User", everybody, userID)})
					me := d.users[w]
					seesAll := w == staffMember || w == adminUser
					for _, u := range everybody {
						visible := seesAll || (me != nil && u.ID == me.ID)
						found := bytes.Contains(bytes.ToLower(res.body), []byte(u.Email))
						switch {
						case found && !visible:
							t.Errorf("LEAK: got %s in the response body, want it nowhere", u.Email)
						case !found && visible:
							t.Errorf("got no %s in the response body, want it: the query reaches every user", u.Email)
						}
					}
					if bytes.Contains(res.body, []byte("argon2")) {
						t.Errorf("LEAK: got a password hash in the response body, want none")
					}
					var emails []any
					for _, p := range emailPaths {
						emails = append(emails, walkJSON(res.data, splitJSONPath(p))...)
					}
					nulls := 0
					for _, m := range emails {
						if m == nil {
							nulls++
						}
					}
					wantCode := "FORBIDDEN"
					if w == anonymous {
						wantCode = "UNAUTHENTICATED"
					}
					for _, err := range res.errors {
						if c, p := gqlErrorCode(err), gqlErrorPath(err); c != wantCode || !strings.HasSuffix(p, ".email") {
							t.Errorf("got %s at %s, want %s at an email", c, p, wantCode)
						}
					}
					if len(res.errors) != nulls {
						t.Errorf("got %d errors, want one per null email (%d of %d)", len(res.errors), nulls, len(emails))
					}
					if seesAll && nulls > 0 {
						t.Errorf("got %d null emails, want none for %s", nulls, w)
					}
					if len(emails) <= len(everybody) {
						t.Fatalf("test data: got %d emails, want reviews to reach authors too", len(emails))
					}
				})
			}
		})

		t.Run("ReviewsAreByActiveProductsOnly", func(t *testing.T) {
			// A non-staff viewer walking every author's reviews never reaches a
			// hidden product's review, nor counts it.
			for w := anonymous; w < viewerKinds; w++ {
				t.Run(w.String(), func(t *testing.T) {
					res := viewers[w].sendAsViewer(t, `{ products(first: 100) { edges { node { status reviews(first: 100) {
						edges { node { product { status } author { reviews(first: 100) { totalCount edges { node { id product { status } } } } } } }
					} } } } }`, nil)
					if len(res.errors) > 0 {
						t.Fatalf("got errors %+v, want none", res.errors)
					}
					statuses := walkJSON(res.data, splitJSONPath("products.edges.*.node.reviews.edges.*.node.author.reviews.edges.*.node.product.status"))
					statuses = append(statuses, walkJSON(res.data, splitJSONPath("products.edges.*.node.status"))...)
					sawHidden := slices.ContainsFunc(statuses, func(s any) bool { return s != "ACTIVE" })
					if staff := w == staffMember || w == adminUser; sawHidden != staff {
						t.Errorf("got non-ACTIVE products reached: %t, want %t", sawHidden, staff)
					}
				})
			}
		})
	})
}
