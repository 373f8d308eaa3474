package graph_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/stockmovement"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// The tests in this file drive every mutation over HTTP and check both what
// it returns and what the database holds afterwards (read with the
// unrestricted e.store.Client). Every refused call is also checked to leave
// the database exactly as it was.

// Mutation documents, each selecting enough of its payload to check the change.
const (
	productOutFields  = `id slug title description status category { id }`
	createProductDoc  = `mutation($input: CreateProductInput!) { createProduct(input: $input) { product { ` + productOutFields + ` } } }`
	updateProductDoc  = `mutation($input: UpdateProductInput!) { updateProduct(input: $input) { product { ` + productOutFields + ` } } }`
	archiveProductDoc = `mutation($id: ID!) { archiveProduct(id: $id) { product { ` + productOutFields + ` } } }`
	createVariantDoc  = `mutation($input: CreateVariantInput!) { createVariant(input: $input) { variant { ` + variantFields + ` } } }`
	updateVariantDoc  = `mutation($input: UpdateVariantInput!) { updateVariant(input: $input) { variant { ` + variantFields + ` } } }`
	adjustStockDoc    = `mutation($input: AdjustStockInput!) { adjustStock(input: $input) { variant { ` + variantFields + ` } } }`
	createCategoryDoc = `mutation($input: CreateCategoryInput!) { createCategory(input: $input) { category { ` + categoryFields + ` } } }`
	updateCategoryDoc = `mutation($input: UpdateCategoryInput!) { updateCategory(input: $input) { category { ` + categoryFields + ` } } }`
	moveCategoryDoc   = `mutation($input: MoveCategoryInput!) { moveCategory(input: $input) { category { ` + categoryFields + ` } } }`
	placeOrderDoc     = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { ` + orderFields + ` } } }`
	cancelOrderDoc    = `mutation($input: OrderIdInput!) { cancelOrder(input: $input) { order { ` + orderFields + ` } } }`
	markOrderPaidDoc  = `mutation($input: OrderIdInput!) { markOrderPaid(input: $input) { order { ` + orderFields + ` } } }`
	shipOrderDoc      = `mutation($input: OrderIdInput!) { shipOrder(input: $input) { order { ` + orderFields + ` } } }`
	reviewOutFields   = `id rating title body author { id } product { id averageRating reviewCount }`
	createReviewDoc   = `mutation($input: CreateReviewInput!) { createReview(input: $input) { review { ` + reviewOutFields + ` } } }`
	deleteReviewDoc   = `mutation($input: DeleteReviewInput!) { deleteReview(input: $input) { deletedReviewId product { id averageRating reviewCount } } }`
	updateAccountDoc  = `mutation($input: UpdateAccountInput!) { updateAccount(input: $input) { user { id name } } }`
	changePasswordDoc = `mutation($input: ChangePasswordInput!) { changePassword(input: $input) { user { id name } } }`
	signInDoc         = `mutation($input: SignInInput!) { signIn(input: $input) { token user { id } } }`
	orderByNumberDoc  = `query($number: String!) { order(number: $number) { ` + orderFields + ` } }`
)

// Decoded payloads not covered by query_test.go's types.
type (
	productOut struct {
		ID, Slug, Title, Description, Status string
		Category                             refJSON
	}
	ratedProductOut struct {
		ID            string
		AverageRating *float64
		ReviewCount   int
	}
	reviewOut struct {
		ID          string
		Rating      int
		Title, Body string
		Author      refJSON
		Product     ratedProductOut
	}
)

// dbState summarises every table: its row count and a checksum of the
// columns a mutation may change, so two states compare equal exactly when
// no mutation left a trace.
type dbState map[string]tableSum

type tableSum struct {
	Rows int
	Sum  string
}

// tableOf checksums rows, one line each, in the order given (by ID).
func tableOf[T any](t testing.TB, table string, rows []T, err error, line func(T) string) tableSum {
	t.Helper()
	if err != nil {
		t.Fatalf("snapshot %s: got error %v, want nil", table, err)
	}
	h := sha256.New()
	for _, r := range rows {
		fmt.Fprintln(h, line(r))
	}
	return tableSum{Rows: len(rows), Sum: hex.EncodeToString(h.Sum(nil))[:16]}
}

// intOrNil prints a nullable ID.
func intOrNil(p *int) string {
	if p == nil {
		return "nil"
	}
	return fmt.Sprint(*p)
}

// snapshotDB reads every table with the unrestricted client.
func snapshotDB(t testing.TB, c *ent.Client) dbState {
	t.Helper()
	ctx := context.Background()
	s := dbState{}
	users, err := c.User.Query().Order(ent.Asc(user.FieldID)).All(ctx)
	s["users"] = tableOf(t, "users", users, err, func(u *ent.User) string {
		return fmt.Sprint(u.ID, u.Email, u.Name, u.Role, u.PasswordHash)
	})
	cats, err := c.Category.Query().Order(ent.Asc(category.FieldID)).All(ctx)
	s["categories"] = tableOf(t, "categories", cats, err, func(c *ent.Category) string {
		return fmt.Sprint(c.ID, c.Name, c.Slug, intOrNil(c.ParentID))
	})
	products, err := c.Product.Query().Order(ent.Asc(product.FieldID)).All(ctx)
	s["products"] = tableOf(t, "products", products, err, func(p *ent.Product) string {
		return fmt.Sprint(p.ID, p.Slug, p.Title, p.Description, p.Status, p.CategoryID, p.UpdatedAt.UnixMicro(), p.MinPrice, p.RatingAvg, p.InStock)
	})
	variants, err := c.Variant.Query().Order(ent.Asc(variant.FieldID)).All(ctx)
	s["variants"] = tableOf(t, "variants", variants, err, func(v *ent.Variant) string {
		return fmt.Sprint(v.ID, v.Sku, v.Title, v.Price, v.Cost, v.Stock, v.ProductID)
	})
	reviews, err := c.Review.Query().Order(ent.Asc(review.FieldID)).All(ctx)
	s["reviews"] = tableOf(t, "reviews", reviews, err, func(r *ent.Review) string {
		return fmt.Sprint(r.ID, r.ProductID, r.AuthorID, r.Rating, r.Title, r.Body)
	})
	orders, err := c.Order.Query().Order(ent.Asc(order.FieldID)).All(ctx)
	s["orders"] = tableOf(t, "orders", orders, err, func(o *ent.Order) string {
		return fmt.Sprint(o.ID, o.Number, o.Status, o.CustomerID)
	})
	lines, err := c.OrderLine.Query().Order(ent.Asc(orderline.FieldID)).All(ctx)
	s["order_lines"] = tableOf(t, "order_lines", lines, err, func(l *ent.OrderLine) string {
		return fmt.Sprint(l.ID, l.OrderID, l.VariantID, l.Quantity, l.UnitPrice)
	})
	moves, err := c.StockMovement.Query().Order(ent.Asc(stockmovement.FieldID)).All(ctx)
	s["stock_movements"] = tableOf(t, "stock_movements", moves, err, func(m *ent.StockMovement) string {
		return fmt.Sprint(m.ID, m.VariantID, m.Delta, m.Reason, intOrNil(m.ActorID), intOrNil(m.OrderID))
	})
	return s
}

// changed lists the tables whose summary differs between s and after.
func (s dbState) changed(after dbState) []string {
	var out []string
	for table, sum := range s {
		if after[table] != sum {
			out = append(out, fmt.Sprintf("%s (%d rows -> %d)", table, sum.Rows, after[table].Rows))
		}
	}
	slices.Sort(out)
	return out
}

// failure is a call that must be refused with code, naming field in
// extensions.fields (no fields when empty), and change nothing.
type failure struct {
	name  string
	as    *ent.User // nil: anonymous
	query string
	vars  map[string]any
	code  string
	field string
}

// expectFailures runs each call as a subtest, checking its error and that
// the database is unchanged afterwards.
func expectFailures(t *testing.T, e *env, cases []failure) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := snapshotDB(t, e.store.Client)
			res := e.as(t, c.as).query(t, c.query, c.vars)
			checkRefused(t, res, c.code, c.field)
			if len(res.Errors) == 1 && res.Errors[0].Extensions["code"] == "INTERNAL" && c.code != "INTERNAL" {
				if id, _ := res.Errors[0].Extensions["requestId"].(string); id != "" {
					e.waitForAccessLines(t, id) // the server logs the request after answering it
					for _, line := range e.logs.Lines(id) {
						if strings.Contains(line, "internal error") {
							t.Logf("server log: %s", line)
						}
					}
				}
			}
			if diff := before.changed(snapshotDB(t, e.store.Client)); len(diff) > 0 {
				t.Errorf("got %v changed by the refused call, want no change", diff)
			}
		})
	}
}

// checkRefused asserts res is one error with code and (when field is set)
// exactly that field in extensions.fields, and a null payload.
func checkRefused(t *testing.T, res response, code, field string) {
	t.Helper()
	if len(res.Errors) != 1 {
		t.Fatalf("got %d errors %+v (data %s), want one %s", len(res.Errors), res.Errors, res.Data, code)
	}
	if got := res.code(t); got != code {
		t.Errorf("got code %q, want %q: %+v", got, code, res.Errors[0])
	}
	var wantFields []string
	if field != "" {
		wantFields = []string{field}
	}
	if got := errorFields(res.Errors[0]); !slices.Equal(got, wantFields) {
		t.Errorf("got extensions.fields %q, want %q: %+v", got, wantFields, res.Errors[0])
	}
	var data map[string]json.RawMessage
	if len(res.Data) > 0 {
		decodeJSON(t, res.Data, &data)
	}
	for name, v := range data {
		if string(v) != "null" {
			t.Errorf("got %s = %s, want null", name, v)
		}
	}
}

// stockOf reads a variant's stock directly.
func stockOf(t testing.TB, c *ent.Client, v *ent.Variant) int {
	t.Helper()
	got, err := c.Variant.Get(context.Background(), v.ID)
	if err != nil {
		t.Fatalf("read variant %d: got error %v, want nil", v.ID, err)
	}
	return got.Stock
}

// movementLine is a stock movement reduced to what a test checks.
type movementLine struct {
	Variant, Delta, Actor int
}

func movementLines(ms []*ent.StockMovement) []movementLine {
	out := make([]movementLine, len(ms))
	for i, m := range ms {
		out[i] = movementLine{Variant: m.VariantID, Delta: m.Delta}
		if m.ActorID != nil {
			out[i].Actor = *m.ActorID
		}
	}
	slices.SortStableFunc(out, func(a, b movementLine) int {
		if (a.Delta < 0) != (b.Delta < 0) { // takes before returns
			if a.Delta < 0 {
				return -1
			}
			return 1
		}
		return a.Variant - b.Variant
	})
	return out
}

func TestMutationCatalog(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		ctx := context.Background()
		db := e.store.Client

		t.Run("CreateProduct", func(t *testing.T) {
			staff := e.as(t, s.staff)
			var out struct{ CreateProduct struct{ Product productOut } }
			staff.mustQuery(t, createProductDoc, inputVars(map[string]any{
				"slug": "rain-hat", "title": "Rain hat", "description": "Keeps you dry.",
				"status": "ACTIVE", "categoryId": gid("Category", s.tees.ID),
			}), &out)
			got := out.CreateProduct.Product
			row, err := db.Product.Query().Where(product.Slug("rain-hat")).Only(ctx)
			if err != nil {
				t.Fatalf("read created product: got error %v, want nil", err)
			}
			checkSame(t, "payload", got, productOut{
				ID: gid("Product", row.ID), Slug: "rain-hat", Title: "Rain hat", Description: "Keeps you dry.",
				Status: "ACTIVE", Category: refJSON{ID: gid("Category", s.tees.ID)},
			})
			if row.Title != "Rain hat" || row.Description != "Keeps you dry." || row.Status != product.StatusACTIVE || row.CategoryID != s.tees.ID {
				t.Errorf("got row %+v, want the input", row)
			}

			staff.mustQuery(t, createProductDoc, inputVars(map[string]any{
				"slug": "sun-hat", "title": "Sun hat", "categoryId": gid("Category", s.tees.ID),
			}), &out)
			if got := out.CreateProduct.Product; got.Status != "DRAFT" || got.Description != "" {
				t.Errorf("without status and description: got %+v, want DRAFT and empty description", got)
			}
		})

		t.Run("UpdateProduct", func(t *testing.T) {
			p := db.Product.Create().SetSlug("old-slug").SetTitle("Old title").SetDescription("Old text.").
				SetStatus(product.StatusDRAFT).SetCategoryID(s.tees.ID).SaveX(ctx)
			var out struct{ UpdateProduct struct{ Product productOut } }
			e.as(t, s.staff).mustQuery(t, updateProductDoc, inputVars(map[string]any{
				"id": gid("Product", p.ID), "slug": "new-slug", "title": "New title",
				"status": "ACTIVE", "categoryId": gid("Category", s.garden.ID),
			}), &out)
			checkSame(t, "payload", out.UpdateProduct.Product, productOut{
				ID: gid("Product", p.ID), Slug: "new-slug", Title: "New title", Description: "Old text.",
				Status: "ACTIVE", Category: refJSON{ID: gid("Category", s.garden.ID)},
			})
			row := db.Product.GetX(ctx, p.ID)
			if row.Slug != "new-slug" || row.Title != "New title" || row.Description != "Old text." ||
				row.Status != product.StatusACTIVE || row.CategoryID != s.garden.ID {
				t.Errorf("got row %+v, want the changes and the old description", row)
			}
			if !row.UpdatedAt.After(p.UpdatedAt) {
				t.Errorf("got updated_at %v, want after %v", row.UpdatedAt, p.UpdatedAt)
			}
		})

		t.Run("ArchiveProduct", func(t *testing.T) {
			p := db.Product.Create().SetSlug("to-archive").SetTitle("To archive").
				SetStatus(product.StatusACTIVE).SetCategoryID(s.tees.ID).SaveX(ctx)
			var out struct{ ArchiveProduct struct{ Product productOut } }
			e.as(t, s.staff).mustQuery(t, archiveProductDoc, map[string]any{"id": gid("Product", p.ID)}, &out)
			if got := out.ArchiveProduct.Product; got.ID != gid("Product", p.ID) || got.Status != "ARCHIVED" || got.Slug != "to-archive" {
				t.Errorf("got payload %+v, want the product ARCHIVED", got)
			}
			if got := db.Product.GetX(ctx, p.ID).Status; got != product.StatusARCHIVED {
				t.Errorf("got status %s in the database, want ARCHIVED", got)
			}
		})

		t.Run("CreateVariant", func(t *testing.T) {
			p := db.Product.Create().SetSlug("lamp").SetTitle("Lamp").
				SetStatus(product.StatusACTIVE).SetCategoryID(s.garden.ID).SaveX(ctx)
			var out struct{ CreateVariant struct{ Variant variantJSON } }
			e.as(t, s.staff).mustQuery(t, createVariantDoc, inputVars(map[string]any{
				"productId": gid("Product", p.ID), "sku": "LAMP-1", "title": "Brass", "price": 2500, "cost": 1200, "stock": 7,
			}), &out)
			row, err := db.Variant.Query().Where(variant.Sku("LAMP-1")).Only(ctx)
			if err != nil {
				t.Fatalf("read created variant: got error %v, want nil", err)
			}
			checkSame(t, "payload", out.CreateVariant.Variant, variantJSON{
				ID: gid("Variant", row.ID), SKU: "LAMP-1", Title: "Brass", Price: usd(2500), Cost: usd(1200),
				Stock: 7, InStock: true, Product: refJSON{ID: gid("Product", p.ID)},
			})
			if row.ProductID != p.ID || row.Price != 2500 || row.Cost != 1200 || row.Stock != 7 || row.Title != "Brass" {
				t.Errorf("got row %+v, want the input", row)
			}
			moves, err := db.StockMovement.Query().Where(stockmovement.VariantID(row.ID)).All(ctx)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if len(moves) != 1 || moves[0].Delta != 7 {
				t.Errorf("got %d stock movements %+v, want one of +7 (the initial stock)", len(moves), moves)
			}
			keys := db.Product.GetX(ctx, p.ID)
			if keys.MinPrice != 2500 || !keys.InStock {
				t.Errorf("got product keys min_price=%d in_stock=%v, want 2500 and true", keys.MinPrice, keys.InStock)
			}
		})

		t.Run("UpdateVariant", func(t *testing.T) {
			p := db.Product.Create().SetSlug("vase").SetTitle("Vase").
				SetStatus(product.StatusACTIVE).SetCategoryID(s.garden.ID).SaveX(ctx)
			v := db.Variant.Create().SetProductID(p.ID).SetSku("VASE-1").SetTitle("Tall").SetPrice(4000).SetCost(1000).SetStock(3).SaveX(ctx)
			var out struct{ UpdateVariant struct{ Variant variantJSON } }
			e.as(t, s.staff).mustQuery(t, updateVariantDoc, inputVars(map[string]any{
				"id": gid("Variant", v.ID), "sku": "VASE-TALL", "price": 3500, "cost": 1100,
			}), &out)
			checkSame(t, "payload", out.UpdateVariant.Variant, variantJSON{
				ID: gid("Variant", v.ID), SKU: "VASE-TALL", Title: "Tall", Price: usd(3500), Cost: usd(1100),
				Stock: 3, InStock: true, Product: refJSON{ID: gid("Product", p.ID)},
			})
			row := db.Variant.GetX(ctx, v.ID)
			if row.Sku != "VASE-TALL" || row.Title != "Tall" || row.Price != 3500 || row.Cost != 1100 || row.Stock != 3 {
				t.Errorf("got row %+v, want the changes with title and stock kept", row)
			}
			if got := db.Product.GetX(ctx, p.ID).MinPrice; got != 3500 {
				t.Errorf("got product min_price %d, want 3500", got)
			}
		})

		t.Run("AdjustStock", func(t *testing.T) {
			p := db.Product.Create().SetSlug("rake").SetTitle("Rake").
				SetStatus(product.StatusACTIVE).SetCategoryID(s.garden.ID).SaveX(ctx)
			v := db.Variant.Create().SetProductID(p.ID).SetSku("RAKE-1").SetTitle("Steel").SetPrice(1900).SetStock(7).SaveX(ctx)
			staff := e.as(t, s.staff)
			for _, step := range []struct {
				delta, want int
				reason      string
			}{{5, 12, "delivery"}, {-12, 0, "stock count"}} {
				var out struct{ AdjustStock struct{ Variant variantJSON } }
				staff.mustQuery(t, adjustStockDoc, inputVars(map[string]any{
					"variantId": gid("Variant", v.ID), "delta": step.delta, "reason": step.reason,
				}), &out)
				if got := out.AdjustStock.Variant; got.Stock != step.want || got.InStock != (step.want > 0) {
					t.Errorf("delta %d: got stock %d inStock %v, want %d", step.delta, got.Stock, got.InStock, step.want)
				}
				if got := stockOf(t, db, v); got != step.want {
					t.Errorf("delta %d: got stock %d in the database, want %d", step.delta, got, step.want)
				}
			}
			moves, err := db.StockMovement.Query().Where(stockmovement.VariantID(v.ID)).Order(ent.Asc(stockmovement.FieldID)).All(ctx)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			var got []string
			for _, m := range moves {
				got = append(got, fmt.Sprintf("%+d %s by %s", m.Delta, m.Reason, intOrNil(m.ActorID)))
			}
			want := []string{fmt.Sprintf("+5 delivery by %d", s.staff.ID), fmt.Sprintf("-12 stock count by %d", s.staff.ID)}
			if !slices.Equal(got, want) {
				t.Errorf("got stock movements %q, want %q", got, want)
			}
			if db.Product.GetX(ctx, p.ID).InStock {
				t.Errorf("got product in_stock true, want false once its only variant is at zero")
			}
		})

		t.Run("CreateCategory", func(t *testing.T) {
			staff := e.as(t, s.staff)
			var root, child struct {
				CreateCategory struct{ Category categoryJSON }
			}
			staff.mustQuery(t, createCategoryDoc, inputVars(map[string]any{"name": "Kitchen", "slug": "kitchen"}), &root)
			rootRow, err := db.Category.Query().Where(category.Slug("kitchen")).Only(ctx)
			if err != nil {
				t.Fatalf("read created category: got error %v, want nil", err)
			}
			checkSame(t, "root payload", root.CreateCategory.Category, categoryJSON{
				ID: gid("Category", rootRow.ID), Name: "Kitchen", Slug: "kitchen", Children: []refJSON{}, Ancestors: []refJSON{},
			})
			staff.mustQuery(t, createCategoryDoc, inputVars(map[string]any{"name": "Pans", "slug": "pans", "parentId": gid("Category", rootRow.ID)}), &child)
			childRow, err := db.Category.Query().Where(category.Slug("pans")).Only(ctx)
			if err != nil {
				t.Fatalf("read created category: got error %v, want nil", err)
			}
			parent := refJSON{ID: gid("Category", rootRow.ID)}
			checkSame(t, "child payload", child.CreateCategory.Category, categoryJSON{
				ID: gid("Category", childRow.ID), Name: "Pans", Slug: "pans", Parent: &parent, Children: []refJSON{}, Ancestors: []refJSON{parent},
			})
			if rootRow.ParentID != nil || childRow.ParentID == nil || *childRow.ParentID != rootRow.ID || childRow.Name != "Pans" {
				t.Errorf("got rows %+v and %+v, want a root and its child", rootRow, childRow)
			}
		})

		t.Run("UpdateCategory", func(t *testing.T) {
			c := db.Category.Create().SetName("Toys").SetSlug("toys").SetParentID(s.garden.ID).SaveX(ctx)
			var out struct {
				UpdateCategory struct{ Category categoryJSON }
			}
			e.as(t, s.staff).mustQuery(t, updateCategoryDoc, inputVars(map[string]any{"id": gid("Category", c.ID), "name": "Games", "slug": "games"}), &out)
			parent := refJSON{ID: gid("Category", s.garden.ID)}
			checkSame(t, "payload", out.UpdateCategory.Category, categoryJSON{
				ID: gid("Category", c.ID), Name: "Games", Slug: "games", Parent: &parent, Children: []refJSON{}, Ancestors: []refJSON{parent},
			})
			row := db.Category.GetX(ctx, c.ID)
			if row.Name != "Games" || row.Slug != "games" || row.ParentID == nil || *row.ParentID != s.garden.ID {
				t.Errorf("got row %+v, want renamed and still under garden", row)
			}
		})

		t.Run("MoveCategory", func(t *testing.T) {
			staff := e.as(t, s.staff)
			var out struct {
				MoveCategory struct{ Category categoryJSON }
			}
			// tees: apparel > shirts > tees, moved under garden.
			staff.mustQuery(t, moveCategoryDoc, inputVars(map[string]any{"id": gid("Category", s.tees.ID), "parentId": gid("Category", s.garden.ID)}), &out)
			garden := refJSON{ID: gid("Category", s.garden.ID)}
			got := out.MoveCategory.Category
			if got.ID != gid("Category", s.tees.ID) || got.Parent == nil || *got.Parent != garden || !slices.Equal(got.Ancestors, []refJSON{garden}) {
				t.Errorf("got payload %+v, want tees under garden with ancestors [garden]", got)
			}
			if row := db.Category.GetX(ctx, s.tees.ID); row.ParentID == nil || *row.ParentID != s.garden.ID {
				t.Errorf("got parent %s in the database, want garden %d", intOrNil(row.ParentID), s.garden.ID)
			}
			// shirts becomes a root.
			staff.mustQuery(t, moveCategoryDoc, inputVars(map[string]any{"id": gid("Category", s.shirts.ID), "parentId": nil}), &out)
			if got := out.MoveCategory.Category; got.Parent != nil || len(got.Ancestors) != 0 {
				t.Errorf("got payload %+v, want a root", got)
			}
			if row := db.Category.GetX(ctx, s.shirts.ID); row.ParentID != nil {
				t.Errorf("got parent %d in the database, want none", *row.ParentID)
			}
			// And back: tees under shirts again, a move to a former ancestor.
			staff.mustQuery(t, moveCategoryDoc, inputVars(map[string]any{"id": gid("Category", s.tees.ID), "parentId": gid("Category", s.shirts.ID)}), &out)
			if got := out.MoveCategory.Category; got.Parent == nil || got.Parent.ID != gid("Category", s.shirts.ID) {
				t.Errorf("got payload %+v, want tees under shirts", got)
			}
		})
	})
}

func TestMutationOrders(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		ctx := context.Background()
		db := e.store.Client

		t.Run("PlaceOrder", func(t *testing.T) {
			teeS, teeM := stockOf(t, db, s.teeS), stockOf(t, db, s.teeM)
			// Two lines for TEE-S are added up into one.
			got := e.placeOrder(t, s.alice, lineIn{s.teeS, 2}, lineIn{s.teeM, 1}, lineIn{s.teeS, 1})
			id := orderIDOf(t, got)
			row := db.Order.Query().Where(order.ID(id)).WithLines().OnlyX(ctx)
			lines := row.Edges.Lines
			slices.SortFunc(lines, func(a, b *ent.OrderLine) int { return a.VariantID - b.VariantID })
			wantLine := func(l *ent.OrderLine, v *ent.Variant) lineJSON {
				return lineJSON{
					ID: gid("OrderLine", l.ID), Variant: refJSON{ID: gid("Variant", v.ID)}, Product: refJSON{ID: gid("Product", v.ProductID)},
					Quantity: l.Quantity, UnitPrice: usd(v.Price), Subtotal: usd(int64(l.Quantity) * v.Price),
				}
			}
			if len(lines) != 2 {
				t.Fatalf("got %d order lines in the database, want 2 (TEE-S added up)", len(lines))
			}
			want := orderJSON{
				ID: gid("Order", id), Number: fmt.Sprintf("SG-%06d", id), Status: "PENDING", CreatedAt: stamp(row.CreatedAt),
				Customer: refJSON{ID: gid("User", s.alice.ID)},
				Lines:    []lineJSON{wantLine(lines[0], s.teeS), wantLine(lines[1], s.teeM)},
				Total:    usd(3*1500 + 1*1700),
			}
			sortLines(got.Lines)
			sortLines(want.Lines)
			checkSame(t, "payload", got, want)
			if lines[0].Quantity != 3 || lines[1].Quantity != 1 || row.Status != order.StatusPENDING || row.CustomerID != s.alice.ID || row.Number != want.Number {
				t.Errorf("got order %+v with lines %+v, want PENDING for alice with 3 TEE-S and 1 TEE-M", row, lines)
			}
			var sum int64
			for _, l := range got.Lines {
				sum += l.Subtotal.Amount
			}
			if got.Total.Amount != sum {
				t.Errorf("got total %d, want the sum of the subtotals %d", got.Total.Amount, sum)
			}
			if g, w := stockOf(t, db, s.teeS), teeS-3; g != w {
				t.Errorf("got TEE-S stock %d, want %d", g, w)
			}
			if g, w := stockOf(t, db, s.teeM), teeM-1; g != w {
				t.Errorf("got TEE-M stock %d, want %d", g, w)
			}
			checkSame(t, "stock movements", movementLines(movementsOf(t, db, id)), []movementLine{
				{Variant: s.teeS.ID, Delta: -3, Actor: s.alice.ID}, {Variant: s.teeM.ID, Delta: -1, Actor: s.alice.ID},
			})
		})

		t.Run("UnitPriceIsThePriceAtPurchase", func(t *testing.T) {
			first := e.placeOrder(t, s.alice, lineIn{s.capV, 2})
			e.as(t, s.staff).mustQuery(t, updateVariantDoc, inputVars(map[string]any{"id": gid("Variant", s.capV.ID), "price": 1400}), nil)
			var read struct{ Order orderJSON }
			e.as(t, s.alice).mustQuery(t, orderByNumberDoc, map[string]any{"number": first.Number}, &read)
			if got := read.Order; len(got.Lines) != 1 || got.Lines[0].UnitPrice != usd(1100) || got.Lines[0].Subtotal != usd(2200) || got.Total != usd(2200) {
				t.Errorf("after the price change: got %+v, want unit price 1100, subtotal and total 2200", got)
			}
			line := db.OrderLine.Query().Where(orderline.OrderID(orderIDOf(t, first))).OnlyX(ctx)
			if line.UnitPrice != 1100 {
				t.Errorf("got unit_price %d in the database, want 1100", line.UnitPrice)
			}
			second := e.placeOrder(t, s.alice, lineIn{s.capV, 1})
			if len(second.Lines) != 1 || second.Lines[0].UnitPrice != usd(1400) || second.Total != usd(1400) {
				t.Errorf("a new order: got %+v, want the new price 1400", second)
			}
		})

		t.Run("CancelReturnsStock", func(t *testing.T) {
			teeS, mug := stockOf(t, db, s.teeS), stockOf(t, db, s.mugV)
			placed := e.placeOrder(t, s.bob, lineIn{s.teeS, 2}, lineIn{s.mugV, 1})
			id := orderIDOf(t, placed)
			var out struct{ CancelOrder struct{ Order orderJSON } }
			e.as(t, s.bob).mustQuery(t, cancelOrderDoc, idInput("Order", id), &out)
			if got := out.CancelOrder.Order; got.ID != placed.ID || got.Status != "CANCELLED" || got.Total != placed.Total || len(got.Lines) != 2 {
				t.Errorf("got payload %+v, want the order CANCELLED with its lines", got)
			}
			if got := db.Order.GetX(ctx, id).Status; got != order.StatusCANCELLED {
				t.Errorf("got status %s in the database, want CANCELLED", got)
			}
			if g1, g2 := stockOf(t, db, s.teeS), stockOf(t, db, s.mugV); g1 != teeS || g2 != mug {
				t.Errorf("got stock TEE-S %d, MUG-1 %d after cancelling, want %d and %d as before the order", g1, g2, teeS, mug)
			}
			checkSame(t, "stock movements", movementLines(movementsOf(t, db, id)), []movementLine{
				{Variant: s.teeS.ID, Delta: -2, Actor: s.bob.ID}, {Variant: s.mugV.ID, Delta: -1, Actor: s.bob.ID},
				{Variant: s.teeS.ID, Delta: 2, Actor: s.bob.ID}, {Variant: s.mugV.ID, Delta: 1, Actor: s.bob.ID},
			})
		})

		t.Run("PayShipAndStaffCancel", func(t *testing.T) {
			staff := e.as(t, s.staff)
			toShip := e.placeOrder(t, s.alice, lineIn{s.teeM, 1})
			for _, step := range []struct{ doc, want string }{{markOrderPaidDoc, "PAID"}, {shipOrderDoc, "SHIPPED"}} {
				var out map[string]struct{ Order orderJSON }
				staff.mustQuery(t, step.doc, idInput("Order", orderIDOf(t, toShip)), &out)
				for _, p := range out {
					if p.Order.ID != toShip.ID || p.Order.Status != step.want {
						t.Errorf("got payload %+v, want the order %s", p.Order, step.want)
					}
				}
				if got := db.Order.GetX(ctx, orderIDOf(t, toShip)).Status; string(got) != step.want {
					t.Errorf("got status %s in the database, want %s", got, step.want)
				}
			}

			// Staff may cancel a PAID order; its stock comes back.
			before := stockOf(t, db, s.teeM)
			paid := e.placeOrder(t, s.alice, lineIn{s.teeM, 2})
			staff.mustQuery(t, markOrderPaidDoc, idInput("Order", orderIDOf(t, paid)), nil)
			var out struct{ CancelOrder struct{ Order orderJSON } }
			staff.mustQuery(t, cancelOrderDoc, idInput("Order", orderIDOf(t, paid)), &out)
			if out.CancelOrder.Order.Status != "CANCELLED" {
				t.Errorf("got status %s, want CANCELLED", out.CancelOrder.Order.Status)
			}
			if got := stockOf(t, db, s.teeM); got != before {
				t.Errorf("got TEE-M stock %d, want %d", got, before)
			}
			checkSame(t, "stock movements", movementLines(movementsOf(t, db, orderIDOf(t, paid))), []movementLine{
				{Variant: s.teeM.ID, Delta: -2, Actor: s.alice.ID}, {Variant: s.teeM.ID, Delta: 2, Actor: s.staff.ID},
			})
		})

		t.Run("StockMovementsAreRecorded", func(t *testing.T) {
			count := func() int {
				n, err := db.StockMovement.Query().Count(ctx)
				if err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
				return n
			}
			start := count()
			placed := e.placeOrder(t, s.alice, lineIn{s.teeS, 1}, lineIn{s.teeM, 1}, lineIn{s.capV, 1})
			if got := count() - start; got != 3 {
				t.Errorf("placing 3 lines: got %d new stock movements, want 3", got)
			}
			e.as(t, s.alice).mustQuery(t, cancelOrderDoc, idInput("Order", orderIDOf(t, placed)), nil)
			if got := count() - start; got != 6 {
				t.Errorf("and cancelling: got %d new stock movements, want 6", got)
			}
			e.as(t, s.staff).mustQuery(t, adjustStockDoc, inputVars(map[string]any{"variantId": gid("Variant", s.capV.ID), "delta": 4, "reason": "found"}), nil)
			if got := count() - start; got != 7 {
				t.Errorf("and adjusting: got %d new stock movements, want 7", got)
			}
		})
	})
}

func TestPlaceOrderOutOfStock(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		before := snapshotDB(t, e.store.Client)
		// MUG-1 has 3: lines of 2 and 2 add up to 4. CAP-1 has 4. TEE-S has enough.
		res := e.as(t, s.alice).query(t, placeOrderDoc, orderInput(lineIn{s.mugV, 2}, lineIn{s.teeS, 1}, lineIn{s.capV, 5}, lineIn{s.mugV, 2}))
		checkRefused(t, res, "OUT_OF_STOCK", "")
		type short struct {
			VariantID            string
			Requested, Available int
		}
		var got []short
		raw, _ := json.Marshal(res.Errors[0].Extensions["variants"])
		decodeJSON(t, raw, &got)
		slices.SortFunc(got, func(a, b short) int { return strings.Compare(a.VariantID, b.VariantID) })
		want := []short{
			{VariantID: gid("Variant", s.mugV.ID), Requested: 4, Available: 3},
			{VariantID: gid("Variant", s.capV.ID), Requested: 5, Available: 4},
		}
		slices.SortFunc(want, func(a, b short) int { return strings.Compare(a.VariantID, b.VariantID) })
		checkSame(t, "extensions.variants", got, want)
		if diff := before.changed(snapshotDB(t, e.store.Client)); len(diff) > 0 {
			t.Errorf("got %v changed by the refused order, want no change", diff)
		}
		// Exactly what is left can still be bought.
		e.placeOrder(t, s.alice, lineIn{s.mugV, 3}, lineIn{s.capV, 4})
		if g1, g2 := stockOf(t, e.store.Client, s.mugV), stockOf(t, e.store.Client, s.capV); g1 != 0 || g2 != 0 {
			t.Errorf("got stock %d and %d, want 0 and 0", g1, g2)
		}
	})
}

func TestMutationReviews(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		ctx := context.Background()
		db := e.store.Client
		rating := func(p *ent.Product) float64 { return db.Product.GetX(ctx, p.ID).RatingAvg }
		var aliceTee, bobTee int

		t.Run("CreateReview", func(t *testing.T) {
			// alice bought TEE-M in a PAID order.
			var out struct{ CreateReview struct{ Review reviewOut } }
			e.as(t, s.alice).mustQuery(t, createReviewDoc, inputVars(map[string]any{
				"productId": gid("Product", s.tee.ID), "rating": 4, "title": "Soft", "body": "Fits well.",
			}), &out)
			row, err := db.Review.Query().Where(review.ProductID(s.tee.ID), review.AuthorID(s.alice.ID)).Only(ctx)
			if err != nil {
				t.Fatalf("read created review: got error %v, want nil", err)
			}
			aliceTee = row.ID
			four := 4.0
			checkSame(t, "payload", out.CreateReview.Review, reviewOut{
				ID: gid("Review", row.ID), Rating: 4, Title: "Soft", Body: "Fits well.", Author: refJSON{ID: gid("User", s.alice.ID)},
				Product: ratedProductOut{ID: gid("Product", s.tee.ID), AverageRating: &four, ReviewCount: 1},
			})
			if row.Rating != 4 || row.Title != "Soft" || row.Body != "Fits well." {
				t.Errorf("got row %+v, want the input", row)
			}
			if got := rating(s.tee); got != 4 {
				t.Errorf("got rating_avg %v, want 4", got)
			}

			// bob's order of TEE-S ships; then he can review too.
			shipped := db.Order.Create().SetNumber("T-bob-shipped").SetCustomerID(s.bob.ID).SetStatus(order.StatusSHIPPED).SaveX(ctx)
			db.OrderLine.Create().SetOrderID(shipped.ID).SetVariantID(s.teeS.ID).SetQuantity(1).SetUnitPrice(1500).SaveX(ctx)
			e.as(t, s.bob).mustQuery(t, createReviewDoc, inputVars(map[string]any{
				"productId": gid("Product", s.tee.ID), "rating": 1, "title": "Shrank", "body": "",
			}), &out)
			bobTee = db.Review.Query().Where(review.ProductID(s.tee.ID), review.AuthorID(s.bob.ID)).OnlyX(ctx).ID
			if got := out.CreateReview.Review.Product; got.AverageRating == nil || *got.AverageRating != 2.5 || got.ReviewCount != 2 {
				t.Errorf("got product %+v, want averageRating 2.5 and reviewCount 2", got)
			}
			if got := rating(s.tee); got != 2.5 {
				t.Errorf("got rating_avg %v, want 2.5", got)
			}
		})

		t.Run("DeleteReview", func(t *testing.T) {
			if aliceTee == 0 || bobTee == 0 {
				t.Skip("needs CreateReview")
			}
			// The author deletes hers.
			var out struct {
				DeleteReview struct {
					DeletedReviewID string
					Product         ratedProductOut
				}
			}
			e.as(t, s.alice).mustQuery(t, deleteReviewDoc, idInput("Review", aliceTee), &out)
			one := 1.0
			checkSame(t, "payload", out.DeleteReview.DeletedReviewID, gid("Review", aliceTee))
			checkSame(t, "product", out.DeleteReview.Product, ratedProductOut{ID: gid("Product", s.tee.ID), AverageRating: &one, ReviewCount: 1})
			if n, _ := db.Review.Query().Where(review.ID(aliceTee)).Count(ctx); n != 0 {
				t.Errorf("got the deleted review still in the database, want it gone")
			}
			// Staff delete anyone's.
			e.as(t, s.staff).mustQuery(t, deleteReviewDoc, idInput("Review", bobTee), &out)
			checkSame(t, "product", out.DeleteReview.Product, ratedProductOut{ID: gid("Product", s.tee.ID), ReviewCount: 0})
			if n, _ := db.Review.Query().Where(review.ProductID(s.tee.ID)).Count(ctx); n != 0 {
				t.Errorf("got %d reviews of the tee in the database, want 0", n)
			}
			if got := rating(s.tee); got != 0 {
				t.Errorf("got rating_avg %v, want 0 without reviews", got)
			}
			// alice may review the tee again after deleting her review.
			e.as(t, s.alice).mustQuery(t, createReviewDoc, inputVars(map[string]any{
				"productId": gid("Product", s.tee.ID), "rating": 3, "title": "", "body": "",
			}), nil)
		})
	})
}

func TestMutationAccount(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		ctx := context.Background()
		db := e.store.Client

		t.Run("UpdateAccount", func(t *testing.T) {
			var out struct {
				UpdateAccount struct{ User struct{ ID, Name string } }
			}
			e.as(t, s.bob).mustQuery(t, updateAccountDoc, inputVars(map[string]any{"name": "  Robert  "}), &out)
			if got := out.UpdateAccount.User; got.ID != gid("User", s.bob.ID) || got.Name != "Robert" {
				t.Errorf("got payload %+v, want bob renamed Robert (trimmed)", got)
			}
			if got := db.User.GetX(ctx, s.bob.ID).Name; got != "Robert" {
				t.Errorf("got name %q in the database, want Robert", got)
			}
		})

		t.Run("ChangePassword", func(t *testing.T) {
			const newPassword = "a-much-longer-password"
			before := db.User.GetX(ctx, s.alice.ID).PasswordHash
			var out struct {
				ChangePassword struct{ User struct{ ID, Name string } }
			}
			e.as(t, s.alice).mustQuery(t, changePasswordDoc, inputVars(map[string]any{"currentPassword": alicePassword, "newPassword": newPassword}), &out)
			if got := out.ChangePassword.User.ID; got != gid("User", s.alice.ID) {
				t.Errorf("got user %s, want alice", got)
			}
			if after := db.User.GetX(ctx, s.alice.ID).PasswordHash; after == before || after == "" || strings.Contains(after, newPassword) {
				t.Errorf("got password hash %q, want a new hash", after)
			}
			anon := e.as(t, nil)
			var in struct{ SignIn struct{ Token string } }
			anon.mustQuery(t, signInDoc, inputVars(map[string]any{"email": "alice@example.com", "password": newPassword}), &in)
			if in.SignIn.Token == "" {
				t.Errorf("got no token signing in with the new password, want one")
			}
			anon.expectCode(t, signInDoc, inputVars(map[string]any{"email": "alice@example.com", "password": alicePassword}), "UNAUTHENTICATED")
		})
	})
}

// mutationCall is a well-formed call of one mutation.
type mutationCall struct {
	name, doc string
	vars      map[string]any
	staffOnly bool
}

// wellFormedCalls are calls of every mutation under test with valid input.
func wellFormedCalls(s *shop) []mutationCall {
	return []mutationCall{
		{"CreateProduct", createProductDoc, inputVars(map[string]any{"slug": "ok-slug", "title": "OK", "categoryId": gid("Category", s.tees.ID)}), true},
		{"UpdateProduct", updateProductDoc, inputVars(map[string]any{"id": gid("Product", s.tee.ID), "title": "Renamed"}), true},
		{"ArchiveProduct", archiveProductDoc, map[string]any{"id": gid("Product", s.tee.ID)}, true},
		{"CreateVariant", createVariantDoc, inputVars(map[string]any{"productId": gid("Product", s.tee.ID), "sku": "TEE-L", "title": "L", "price": 1, "cost": 1, "stock": 1}), true},
		{"UpdateVariant", updateVariantDoc, inputVars(map[string]any{"id": gid("Variant", s.teeS.ID), "price": 1}), true},
		{"AdjustStock", adjustStockDoc, inputVars(map[string]any{"variantId": gid("Variant", s.teeS.ID), "delta": 1, "reason": "count"}), true},
		{"CreateCategory", createCategoryDoc, inputVars(map[string]any{"name": "New", "slug": "new"}), true},
		{"UpdateCategory", updateCategoryDoc, inputVars(map[string]any{"id": gid("Category", s.garden.ID), "name": "Yard"}), true},
		{"MoveCategory", moveCategoryDoc, inputVars(map[string]any{"id": gid("Category", s.garden.ID), "parentId": gid("Category", s.apparel.ID)}), true},
		{"MarkOrderPaid", markOrderPaidDoc, idInput("Order", s.alicePending.ID), true},
		{"ShipOrder", shipOrderDoc, idInput("Order", s.alicePaid.ID), true},
		{"PlaceOrder", placeOrderDoc, orderInput(lineIn{s.teeS, 1}), false},
		{"CancelOrder", cancelOrderDoc, idInput("Order", s.alicePending.ID), false},
		{"CreateReview", createReviewDoc, inputVars(map[string]any{"productId": gid("Product", s.tee.ID), "rating": 5, "title": "", "body": ""}), false},
		{"DeleteReview", deleteReviewDoc, idInput("Review", s.aliceMugReview.ID), false},
		{"UpdateAccount", updateAccountDoc, inputVars(map[string]any{"name": "New name"}), false},
		{"ChangePassword", changePasswordDoc, inputVars(map[string]any{"currentPassword": alicePassword, "newPassword": "correct horse battery"}), false},
	}
}

// hundredAndOneLines is a placeOrder input one line over the limit.
func hundredAndOneLines(v *ent.Variant) map[string]any {
	lines := make([]lineIn, 101)
	for i := range lines {
		lines[i] = lineIn{v, 1}
	}
	return orderInput(lines...)
}

func TestMutationFailuresLeaveDatabaseUnchanged(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		pid := func(id int) string { return gid("Product", id) }
		cid := func(id int) string { return gid("Category", id) }
		vid := func(id int) string { return gid("Variant", id) }
		const missing = 987654

		t.Run("Authorization", func(t *testing.T) {
			var cases []failure
			for _, c := range wellFormedCalls(s) {
				cases = append(cases, failure{name: c.name + "/Anonymous", query: c.doc, vars: c.vars, code: "UNAUTHENTICATED"})
				if c.staffOnly {
					cases = append(cases, failure{name: c.name + "/Customer", as: s.alice, query: c.doc, vars: c.vars, code: "FORBIDDEN"})
				}
			}
			cases = append(cases,
				failure{"CancelOrder/OtherCustomersOrder", s.bob, cancelOrderDoc, idInput("Order", s.alicePending.ID), "NOT_FOUND", "input.id"},
				failure{"CancelOrder/OwnPaidOrder", s.alice, cancelOrderDoc, idInput("Order", s.alicePaid.ID), "FORBIDDEN", ""},
				failure{"DeleteReview/OtherAuthorsReview", s.bob, deleteReviewDoc, idInput("Review", s.aliceMugReview.ID), "FORBIDDEN", ""},
				failure{"CreateReview/NeverBought", s.bob, createReviewDoc, inputVars(map[string]any{"productId": pid(s.cap.ID), "rating": 5, "title": "", "body": ""}), "FORBIDDEN", ""},
				failure{"CreateReview/OnlyInPendingOrder", s.bob, createReviewDoc, inputVars(map[string]any{"productId": pid(s.tee.ID), "rating": 5, "title": "", "body": ""}), "FORBIDDEN", ""},
				failure{"CreateReview/OnlyInCancelledOrder", s.alice, createReviewDoc, inputVars(map[string]any{"productId": pid(s.cap.ID), "rating": 5, "title": "", "body": ""}), "FORBIDDEN", ""},
				failure{"CreateReview/StaffNeverBought", s.staff, createReviewDoc, inputVars(map[string]any{"productId": pid(s.tee.ID), "rating": 5, "title": "", "body": ""}), "FORBIDDEN", ""},
			)
			expectFailures(t, e, cases)
		})

		t.Run("Validation", func(t *testing.T) {
			reviewInput := func(rating int, title string) map[string]any {
				return inputVars(map[string]any{"productId": pid(s.tee.ID), "rating": rating, "title": title, "body": ""})
			}
			expectFailures(t, e, []failure{
				{"CreateProduct/BadSlug", s.staff, createProductDoc, inputVars(map[string]any{"slug": "Not A Slug", "title": "T", "categoryId": cid(s.tees.ID)}), "BAD_USER_INPUT", "input.slug"},
				{"CreateProduct/EmptyTitle", s.staff, createProductDoc, inputVars(map[string]any{"slug": "fine", "title": "", "categoryId": cid(s.tees.ID)}), "BAD_USER_INPUT", "input.title"},
				{"CreateProduct/CategoryIDOfAProduct", s.staff, createProductDoc, inputVars(map[string]any{"slug": "fine", "title": "T", "categoryId": pid(s.tee.ID)}), "BAD_USER_INPUT", "input.categoryId"},
				{"UpdateProduct/BadSlug", s.staff, updateProductDoc, inputVars(map[string]any{"id": pid(s.tee.ID), "slug": "double--hyphen"}), "BAD_USER_INPUT", "input.slug"},
				{"UpdateProduct/EmptyTitle", s.staff, updateProductDoc, inputVars(map[string]any{"id": pid(s.tee.ID), "title": ""}), "BAD_USER_INPUT", "input.title"},
				{"ArchiveProduct/MalformedID", s.staff, archiveProductDoc, map[string]any{"id": "not an id!"}, "BAD_USER_INPUT", "id"},
				{"CreateVariant/NegativePrice", s.staff, createVariantDoc, inputVars(map[string]any{"productId": pid(s.tee.ID), "sku": "X-1", "title": "X", "price": -1, "cost": 0, "stock": 0}), "BAD_USER_INPUT", "input.price"},
				{"CreateVariant/NegativeCost", s.staff, createVariantDoc, inputVars(map[string]any{"productId": pid(s.tee.ID), "sku": "X-1", "title": "X", "price": 1, "cost": -1, "stock": 0}), "BAD_USER_INPUT", "input.cost"},
				{"CreateVariant/NegativeStock", s.staff, createVariantDoc, inputVars(map[string]any{"productId": pid(s.tee.ID), "sku": "X-1", "title": "X", "price": 1, "cost": 0, "stock": -1}), "BAD_USER_INPUT", "input.stock"},
				{"CreateVariant/EmptySKU", s.staff, createVariantDoc, inputVars(map[string]any{"productId": pid(s.tee.ID), "sku": "", "title": "X", "price": 1, "cost": 0, "stock": 0}), "BAD_USER_INPUT", "input.sku"},
				{"UpdateVariant/NegativePrice", s.staff, updateVariantDoc, inputVars(map[string]any{"id": vid(s.teeS.ID), "price": -5}), "BAD_USER_INPUT", "input.price"},
				{"UpdateVariant/EmptyTitle", s.staff, updateVariantDoc, inputVars(map[string]any{"id": vid(s.teeS.ID), "title": ""}), "BAD_USER_INPUT", "input.title"},
				{"UpdateVariant/EmptySKU", s.staff, updateVariantDoc, inputVars(map[string]any{"id": vid(s.teeS.ID), "sku": ""}), "BAD_USER_INPUT", "input.sku"},
				{"AdjustStock/BelowZero", s.staff, adjustStockDoc, inputVars(map[string]any{"variantId": vid(s.mugV.ID), "delta": -4, "reason": "count"}), "BAD_USER_INPUT", "input.delta"},
				{"AdjustStock/ZeroDelta", s.staff, adjustStockDoc, inputVars(map[string]any{"variantId": vid(s.mugV.ID), "delta": 0, "reason": "count"}), "BAD_USER_INPUT", "input.delta"},
				{"AdjustStock/NoReason", s.staff, adjustStockDoc, inputVars(map[string]any{"variantId": vid(s.mugV.ID), "delta": 1, "reason": ""}), "BAD_USER_INPUT", "input.reason"},
				{"CreateCategory/BadSlug", s.staff, createCategoryDoc, inputVars(map[string]any{"name": "N", "slug": "Not A Slug"}), "BAD_USER_INPUT", "input.slug"},
				{"CreateCategory/EmptyName", s.staff, createCategoryDoc, inputVars(map[string]any{"name": "", "slug": "fine"}), "BAD_USER_INPUT", "input.name"},
				{"UpdateCategory/BadSlug", s.staff, updateCategoryDoc, inputVars(map[string]any{"id": cid(s.garden.ID), "slug": "-garden"}), "BAD_USER_INPUT", "input.slug"},
				{"UpdateCategory/EmptyName", s.staff, updateCategoryDoc, inputVars(map[string]any{"id": cid(s.garden.ID), "name": ""}), "BAD_USER_INPUT", "input.name"},
				{"MoveCategory/IntoItself", s.staff, moveCategoryDoc, inputVars(map[string]any{"id": cid(s.shirts.ID), "parentId": cid(s.shirts.ID)}), "BAD_USER_INPUT", "input.parentId"},
				{"MoveCategory/IntoItsChild", s.staff, moveCategoryDoc, inputVars(map[string]any{"id": cid(s.shirts.ID), "parentId": cid(s.tees.ID)}), "BAD_USER_INPUT", "input.parentId"},
				{"MoveCategory/IntoItsGrandchild", s.staff, moveCategoryDoc, inputVars(map[string]any{"id": cid(s.apparel.ID), "parentId": cid(s.tees.ID)}), "BAD_USER_INPUT", "input.parentId"},
				{"PlaceOrder/QuantityZero", s.alice, placeOrderDoc, orderInput(lineIn{s.teeS, 0}), "BAD_USER_INPUT", "input.lines[0].quantity"},
				{"PlaceOrder/QuantityOverLimitOnThirdLine", s.alice, placeOrderDoc, orderInput(lineIn{s.teeS, 1}, lineIn{s.teeM, 1}, lineIn{s.mugV, 1001}), "BAD_USER_INPUT", "input.lines[2].quantity"},
				{"PlaceOrder/NegativeQuantity", s.alice, placeOrderDoc, orderInput(lineIn{s.teeS, 1}, lineIn{s.teeM, -2}), "BAD_USER_INPUT", "input.lines[1].quantity"},
				{"PlaceOrder/NoLines", s.alice, placeOrderDoc, orderInput(), "BAD_USER_INPUT", "input.lines"},
				{"PlaceOrder/101Lines", s.alice, placeOrderDoc, hundredAndOneLines(s.teeS), "BAD_USER_INPUT", "input.lines"},
				{"PlaceOrder/MalformedVariantID", s.alice, placeOrderDoc, inputVars(map[string]any{"lines": []any{map[string]any{"variantId": "???", "quantity": 1}}}), "BAD_USER_INPUT", "input.lines[0].variantId"},
				{"PlaceOrder/ProductIDAsVariantID", s.alice, placeOrderDoc, inputVars(map[string]any{"lines": []any{map[string]any{"variantId": pid(s.tee.ID), "quantity": 1}}}), "BAD_USER_INPUT", "input.lines[0].variantId"},
				{"CreateReview/Rating6", s.alice, createReviewDoc, reviewInput(6, ""), "BAD_USER_INPUT", "input.rating"},
				{"CreateReview/Rating0", s.alice, createReviewDoc, reviewInput(0, ""), "BAD_USER_INPUT", "input.rating"},
				{"CreateReview/TitleTooLong", s.alice, createReviewDoc, reviewInput(5, strings.Repeat("x", 201)), "BAD_USER_INPUT", "input.title"},
				{"UpdateAccount/EmptyName", s.alice, updateAccountDoc, inputVars(map[string]any{"name": ""}), "BAD_USER_INPUT", "input.name"},
				{"UpdateAccount/BlankName", s.alice, updateAccountDoc, inputVars(map[string]any{"name": "   "}), "BAD_USER_INPUT", "input.name"},
				{"ChangePassword/WrongCurrent", s.alice, changePasswordDoc, inputVars(map[string]any{"currentPassword": "not-my-password", "newPassword": "correct horse battery"}), "BAD_USER_INPUT", "input.currentPassword"},
				{"ChangePassword/ShortNew", s.alice, changePasswordDoc, inputVars(map[string]any{"currentPassword": alicePassword, "newPassword": "short"}), "BAD_USER_INPUT", "input.newPassword"},
			})
		})

		t.Run("NotFound", func(t *testing.T) {
			expectFailures(t, e, []failure{
				{"CreateProduct/UnknownCategory", s.staff, createProductDoc, inputVars(map[string]any{"slug": "fine", "title": "T", "categoryId": cid(missing)}), "NOT_FOUND", "input.categoryId"},
				{"UpdateProduct/UnknownProduct", s.staff, updateProductDoc, inputVars(map[string]any{"id": pid(missing), "title": "T"}), "NOT_FOUND", "input.id"},
				{"UpdateProduct/UnknownCategory", s.staff, updateProductDoc, inputVars(map[string]any{"id": pid(s.tee.ID), "categoryId": cid(missing)}), "NOT_FOUND", "input.categoryId"},
				{"ArchiveProduct/UnknownProduct", s.staff, archiveProductDoc, map[string]any{"id": pid(missing)}, "NOT_FOUND", "id"},
				{"CreateVariant/UnknownProduct", s.staff, createVariantDoc, inputVars(map[string]any{"productId": pid(missing), "sku": "X-1", "title": "X", "price": 1, "cost": 0, "stock": 1}), "NOT_FOUND", "input.productId"},
				{"UpdateVariant/UnknownVariant", s.staff, updateVariantDoc, inputVars(map[string]any{"id": vid(missing), "price": 1}), "NOT_FOUND", "input.id"},
				{"AdjustStock/UnknownVariant", s.staff, adjustStockDoc, inputVars(map[string]any{"variantId": vid(missing), "delta": 1, "reason": "count"}), "NOT_FOUND", "input.variantId"},
				{"CreateCategory/UnknownParent", s.staff, createCategoryDoc, inputVars(map[string]any{"name": "N", "slug": "fine", "parentId": cid(missing)}), "NOT_FOUND", "input.parentId"},
				{"UpdateCategory/UnknownCategory", s.staff, updateCategoryDoc, inputVars(map[string]any{"id": cid(missing), "name": "N"}), "NOT_FOUND", "input.id"},
				{"MoveCategory/UnknownCategory", s.staff, moveCategoryDoc, inputVars(map[string]any{"id": cid(missing), "parentId": nil}), "NOT_FOUND", "input.id"},
				{"MoveCategory/UnknownParent", s.staff, moveCategoryDoc, inputVars(map[string]any{"id": cid(s.tees.ID), "parentId": cid(missing)}), "NOT_FOUND", "input.parentId"},
				{"PlaceOrder/DraftProductsVariant", s.alice, placeOrderDoc, orderInput(lineIn{s.draftV, 1}), "NOT_FOUND", "input.lines[0].variantId"},
				{"PlaceOrder/ArchivedProductsVariant", s.alice, placeOrderDoc, orderInput(lineIn{s.teeS, 1}, lineIn{s.archivedV, 1}), "NOT_FOUND", "input.lines[1].variantId"},
				{"PlaceOrder/DraftProductsVariantAsStaff", s.staff, placeOrderDoc, orderInput(lineIn{s.draftV, 1}), "NOT_FOUND", "input.lines[0].variantId"},
				{"PlaceOrder/UnknownVariant", s.alice, placeOrderDoc, orderInput(lineIn{s.teeS, 1}, lineIn{&ent.Variant{ID: missing}, 1}), "NOT_FOUND", "input.lines[1].variantId"},
				{"CancelOrder/UnknownOrder", s.alice, cancelOrderDoc, idInput("Order", missing), "NOT_FOUND", "input.id"},
				{"MarkOrderPaid/UnknownOrder", s.staff, markOrderPaidDoc, idInput("Order", missing), "NOT_FOUND", "input.id"},
				{"ShipOrder/UnknownOrder", s.staff, shipOrderDoc, idInput("Order", missing), "NOT_FOUND", "input.id"},
				{"CreateReview/UnknownProduct", s.alice, createReviewDoc, inputVars(map[string]any{"productId": pid(missing), "rating": 5, "title": "", "body": ""}), "NOT_FOUND", "input.productId"},
				{"DeleteReview/UnknownReview", s.alice, deleteReviewDoc, idInput("Review", missing), "NOT_FOUND", "input.id"},
			})
		})

		t.Run("Conflicts", func(t *testing.T) {
			expectFailures(t, e, []failure{
				{"CreateProduct/DuplicateSlug", s.staff, createProductDoc, inputVars(map[string]any{"slug": "mug", "title": "Another mug", "categoryId": cid(s.garden.ID)}), "CONFLICT", "input.slug"},
				{"UpdateProduct/DuplicateSlug", s.staff, updateProductDoc, inputVars(map[string]any{"id": pid(s.tee.ID), "slug": "mug"}), "CONFLICT", "input.slug"},
				{"CreateVariant/DuplicateSKU", s.staff, createVariantDoc, inputVars(map[string]any{"productId": pid(s.tee.ID), "sku": "MUG-1", "title": "X", "price": 1, "cost": 0, "stock": 3}), "CONFLICT", "input.sku"},
				{"UpdateVariant/DuplicateSKU", s.staff, updateVariantDoc, inputVars(map[string]any{"id": vid(s.teeS.ID), "sku": "TEE-M"}), "CONFLICT", "input.sku"},
				{"CreateCategory/DuplicateSlug", s.staff, createCategoryDoc, inputVars(map[string]any{"name": "Garden 2", "slug": "garden"}), "CONFLICT", "input.slug"},
				{"UpdateCategory/DuplicateSlug", s.staff, updateCategoryDoc, inputVars(map[string]any{"id": cid(s.garden.ID), "slug": "tees"}), "CONFLICT", "input.slug"},
				{"CreateReview/SecondReview", s.alice, createReviewDoc, inputVars(map[string]any{"productId": pid(s.mug.ID), "rating": 1, "title": "", "body": ""}), "CONFLICT", "input.productId"},
				{"PlaceOrder/OutOfStock", s.alice, placeOrderDoc, orderInput(lineIn{s.teeS, 1}, lineIn{s.mugV, 4}), "OUT_OF_STOCK", ""},
			})
		})

		t.Run("IllegalTransitions", func(t *testing.T) {
			expectFailures(t, e, []failure{
				{"ShipPending", s.staff, shipOrderDoc, idInput("Order", s.alicePending.ID), "CONFLICT", ""},
				{"ShipCancelled", s.staff, shipOrderDoc, idInput("Order", s.aliceCancelled.ID), "CONFLICT", ""},
				{"ShipShipped", s.staff, shipOrderDoc, idInput("Order", s.aliceShipped.ID), "CONFLICT", ""},
				{"PayCancelled", s.staff, markOrderPaidDoc, idInput("Order", s.aliceCancelled.ID), "CONFLICT", ""},
				{"PayPaid", s.staff, markOrderPaidDoc, idInput("Order", s.alicePaid.ID), "CONFLICT", ""},
				{"PayShipped", s.staff, markOrderPaidDoc, idInput("Order", s.aliceShipped.ID), "CONFLICT", ""},
				{"StaffCancelShipped", s.staff, cancelOrderDoc, idInput("Order", s.aliceShipped.ID), "CONFLICT", ""},
				{"StaffCancelCancelled", s.staff, cancelOrderDoc, idInput("Order", s.aliceCancelled.ID), "CONFLICT", ""},
				{"CustomerCancelShipped", s.alice, cancelOrderDoc, idInput("Order", s.aliceShipped.ID), "CONFLICT", ""},
				{"CustomerCancelCancelled", s.alice, cancelOrderDoc, idInput("Order", s.aliceCancelled.ID), "CONFLICT", ""},
			})
		})
	})
}

func TestPlaceOrderStatementsDoNotGrowWithLines(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		s := newShop(t, e.store.Client)
		ctx := context.Background()
		// 50 variants over 10 products.
		var vs []*ent.Variant
		for p := range 10 {
			prod := e.store.Client.Product.Create().SetSlug(fmt.Sprintf("bulk-%d", p)).SetTitle("Bulk").
				SetStatus(product.StatusACTIVE).SetCategoryID(s.garden.ID).SaveX(ctx)
			for v := range 5 {
				vs = append(vs, e.store.Client.Variant.Create().SetProductID(prod.ID).
					SetSku(fmt.Sprintf("BULK-%d-%d", p, v)).SetTitle("V").SetPrice(int64(100+v)).SetStock(10).SaveX(ctx))
			}
		}
		alice := e.as(t, s.alice)
		type cost struct{ outside, all int }
		measure := func(query string, vars map[string]any) cost {
			e.counter.Reset()
			alice.mustQuery(t, query, vars, nil)
			c := cost{all: e.counter.Count()}
			for _, st := range e.counter.Statements() {
				if !st.InTx {
					c.outside++
				}
			}
			return c
		}
		var placed [2]cost
		var cancelled [2]cost
		var stmts [2]string
		for i, n := range []int{1, 50} {
			lines := make([]lineIn, n)
			for j := range lines {
				lines[j] = lineIn{vs[j], 1 + j%3}
			}
			placed[i] = measure(placeOrderDoc, orderInput(lines...))
			stmts[i] = e.counter.String()
			// The order just placed is the newest; find it to cancel it.
			o, err := e.store.Client.Order.Query().Where(order.CustomerID(s.alice.ID)).Order(ent.Desc(order.FieldID)).First(ctx)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			cancelled[i] = measure(cancelOrderDoc, idInput("Order", o.ID))
		}
		t.Logf("placeOrder statements (outside transactions, all): 1 line %v, 50 lines %v; cancelOrder: %v, %v", placed[0], placed[1], cancelled[0], cancelled[1])
		if placed[0] != placed[1] {
			t.Errorf("placeOrder: got %+v statements for 1 line and %+v for 50, want equal\n1 line:\n%s\n50 lines:\n%s", placed[0], placed[1], stmts[0], stmts[1])
		}
		if placed[0].outside < 1 {
			t.Errorf("placeOrder: got %d statements outside the transaction, want at least the viewer's", placed[0].outside)
		}
		if cancelled[0] != cancelled[1] {
			t.Errorf("cancelOrder: got %+v statements for 1 line and %+v for 50, want equal", cancelled[0], cancelled[1])
		}
	})
}
