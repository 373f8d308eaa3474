package graph_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// listSpec names a connection: a top-level list ("products") or a nested
// one ("Product.reviews"), with the GraphQL types of its arguments.
type listSpec struct {
	path       string
	orderType  string
	filterType string // "" when the list takes no filter
}

var (
	productList         = listSpec{"products", "ProductOrder", "ProductFilter"}
	orderList           = listSpec{"orders", "OrderOrder", "OrderFilter"}
	userList            = listSpec{"users", "UserOrder", "UserFilter"}
	productReviewList   = listSpec{"Product.reviews", "ReviewOrder", ""}
	categoryProductList = listSpec{"Category.products", "ProductOrder", "ProductFilter"}
	userOrderList       = listSpec{"User.orders", "OrderOrder", ""}
	userReviewList      = listSpec{"User.reviews", "ReviewOrder", ""}
)

// query returns the document fetching one page of the list; a nested list
// is reached through node(id: $id).
func (s listSpec) query() string {
	decls := []string{"$first: Int", "$after: String", "$last: Int", "$before: String", "$orderBy: " + s.orderType}
	args := "first: $first, after: $after, last: $last, before: $before, orderBy: $orderBy"
	if s.filterType != "" {
		decls = append(decls, "$filter: "+s.filterType)
		args += ", filter: $filter"
	}
	typ, field, nested := strings.Cut(s.path, ".")
	if !nested {
		return fmt.Sprintf("query(%s) { list: %s(%s) %s }", strings.Join(decls, ", "), typ, args, idConnection)
	}
	decls = append(decls, "$id: ID!")
	return fmt.Sprintf("query(%s) { node(id: $id) { ... on %s { list: %s(%s) %s } } }",
		strings.Join(decls, ", "), typ, field, args, idConnection)
}

// page fetches one page; vars holds the paging arguments and whatever else
// the list needs (id, orderBy, filter).
func (e *env) page(t *testing.T, s listSpec, vars map[string]any) connJSON[refJSON] {
	t.Helper()
	var data struct {
		List connJSON[refJSON]
		Node *struct{ List connJSON[refJSON] }
	}
	e.mustQuery(t, s.query(), vars, &data)
	if data.Node != nil {
		return data.Node.List
	}
	return data.List
}

// with returns a copy of base with more variables set.
func with(base map[string]any, kv ...any) map[string]any {
	out := map[string]any{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

// checkPage asserts one page: its IDs, totalCount and PageInfo, with the
// start and end cursors those of its first and last edge. It reports
// whether the page was right, so a walk can stop at the first wrong one.
func checkPage(t *testing.T, what string, c connJSON[refJSON], want []string, total int, hasNext, hasPrev bool) bool {
	t.Helper()
	ok := true
	if got := nodeIDs(c); !slices.Equal(got, want) {
		t.Errorf("%s: got IDs %v, want %v", what, readable(got), readable(want))
		ok = false
	}
	if c.TotalCount != total {
		t.Errorf("%s: got totalCount %d, want %d", what, c.TotalCount, total)
		ok = false
	}
	pi := c.PageInfo
	if pi.HasNextPage != hasNext || pi.HasPreviousPage != hasPrev {
		t.Errorf("%s: got hasNextPage %v, hasPreviousPage %v, want %v, %v", what, pi.HasNextPage, pi.HasPreviousPage, hasNext, hasPrev)
		ok = false
	}
	var wantStart, wantEnd *string
	if n := len(c.Edges); n > 0 {
		wantStart, wantEnd = &c.Edges[0].Cursor, &c.Edges[n-1].Cursor
	}
	if !sameCursor(pi.StartCursor, wantStart) || !sameCursor(pi.EndCursor, wantEnd) {
		t.Errorf("%s: got startCursor %v, endCursor %v, want %v, %v", what, str(pi.StartCursor), str(pi.EndCursor), str(wantStart), str(wantEnd))
		ok = false
	}
	return ok
}

func sameCursor(a, b *string) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

func str(s *string) string {
	if s == nil {
		return "null"
	}
	return *s
}

// walkForward pages through a list with first: size, following endCursor,
// and asserts the pages add up to want, in order, each page's PageInfo right.
func walkForward(t *testing.T, e *env, s listSpec, base map[string]any, size int, want []string) {
	t.Helper()
	var got []string
	vars := with(base, "first", size)
	for page := 0; ; page++ {
		if page > len(want)/size+1 {
			t.Fatalf("page %d: got hasNextPage after %d of %d items, want the end", page, len(got), len(want))
		}
		c := e.page(t, s, vars)
		from := len(got)
		to := min(from+size, len(want))
		if !checkPage(t, fmt.Sprintf("page %d", page), c, want[from:to], len(want), to < len(want), page > 0) {
			return
		}
		got = append(got, nodeIDs(c)...)
		if !c.PageInfo.HasNextPage {
			break
		}
		vars = with(base, "first", size, "after", *c.PageInfo.EndCursor)
	}
	checkIDs(t, "all pages", got, want)
}

// walkBackward pages from the end with last: size, following startCursor.
func walkBackward(t *testing.T, e *env, s listSpec, base map[string]any, size int, want []string) {
	t.Helper()
	var got []string
	vars := with(base, "last", size)
	for page := 0; ; page++ {
		if page > len(want)/size+1 {
			t.Fatalf("page %d: got hasPreviousPage after %d of %d items, want the start", page, len(got), len(want))
		}
		c := e.page(t, s, vars)
		to := len(want) - len(got)
		from := max(to-size, 0)
		if !checkPage(t, fmt.Sprintf("page %d from the end", page), c, want[from:to], len(want), page > 0, from > 0) {
			return
		}
		got = append(nodeIDs(c), got...)
		if !c.PageInfo.HasPreviousPage {
			break
		}
		vars = with(base, "last", size, "before", *c.PageInfo.StartCursor)
	}
	checkIDs(t, "all pages", got, want)
}

func TestPaginationWalk(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		type walk struct {
			name string
			spec listSpec
			vars map[string]any
			size int
			want []string
		}
		var walks []walk

		// Every product order, both directions, and the default.
		for _, field := range productFieldNames {
			for _, dir := range []string{"ASC", "DESC"} {
				want := sortedBy(f.products, productKeys[field], productID, dir == "DESC")
				walks = append(walks, walk{"products/" + field + "_" + dir, productList,
					map[string]any{"orderBy": map[string]any{"field": field, "direction": dir}}, 7, gids("Product", want, productID)})
			}
		}
		walks = append(walks, walk{"products/Default", productList, nil, 7, gids("Product", newestProducts(f.products), productID)})

		// A filtered list.
		root := f.ancestors(f.deepest())[0]
		inRoot := keepOnly(f.products, func(p *ent.Product) bool { return inTree(f, root.ID)(p) && inStock(p) })
		walks = append(walks, walk{"products/FilteredByTitle", productList,
			map[string]any{"filter": map[string]any{"category": root.Slug, "inStock": true}, "orderBy": map[string]any{"field": "TITLE"}},
			3, gids("Product", sortedBy(inRoot, productKeys["TITLE"], productID, false), productID)})

		// The other top-level lists.
		byOrderCreated := func(a, b *ent.Order) int { return a.CreatedAt.Compare(b.CreatedAt) }
		walks = append(walks,
			walk{"orders/Default", orderList, nil, 4, gids("Order", newestOrders(f.orders), orderID)},
			walk{"orders/OldestFirst", orderList, map[string]any{"orderBy": map[string]any{"field": "CREATED_AT"}}, 4,
				gids("Order", sortedBy(f.orders, byOrderCreated, orderID, false), orderID)},
			walk{"users/EmailDesc", userList, map[string]any{"orderBy": map[string]any{"field": "EMAIL", "direction": "DESC"}}, 5,
				gids("User", sortedBy(f.users, func(a, b *ent.User) int { return strings.Compare(a.Email, b.Email) }, userID, true), userID)},
		)

		// Nested lists, on the parent with the most children.
		mostReviewed := f.products[0]
		for _, p := range f.products {
			if len(p.Edges.Reviews) > len(mostReviewed.Edges.Reviews) {
				mostReviewed = p
			}
		}
		byRating := func(a, b *ent.Review) int { return a.Rating - b.Rating }
		biggestRoot := root
		for _, c := range f.categories {
			if c.ParentID == nil && len(f.productsIn(c.ID)) > len(f.productsIn(biggestRoot.ID)) {
				biggestRoot = c
			}
		}
		mostOrders, mostReviews := f.users[0], f.users[0]
		for _, u := range f.users {
			if len(u.Edges.Orders) > len(mostOrders.Edges.Orders) {
				mostOrders = u
			}
			if len(u.Edges.Reviews) > len(mostReviews.Edges.Reviews) {
				mostReviews = u
			}
		}
		productVars := func(p *ent.Product, orderBy map[string]any) map[string]any {
			return map[string]any{"id": gid("Product", p.ID), "orderBy": orderBy}
		}
		walks = append(walks,
			walk{"Product.reviews/Default", productReviewList, productVars(mostReviewed, nil), 2,
				gids("Review", newestReviews(mostReviewed.Edges.Reviews), reviewID)},
			walk{"Product.reviews/RatingAsc", productReviewList, productVars(mostReviewed, map[string]any{"field": "RATING"}), 2,
				gids("Review", sortedBy(mostReviewed.Edges.Reviews, byRating, reviewID, false), reviewID)},
			walk{"Category.products/Default", categoryProductList, map[string]any{"id": gid("Category", biggestRoot.ID)}, 5,
				gids("Product", newestProducts(f.productsIn(biggestRoot.ID)), productID)},
			walk{"Category.products/TitleDesc", categoryProductList,
				map[string]any{"id": gid("Category", biggestRoot.ID), "orderBy": map[string]any{"field": "TITLE", "direction": "DESC"}}, 5,
				gids("Product", sortedBy(f.productsIn(biggestRoot.ID), productKeys["TITLE"], productID, true), productID)},
			walk{"Category.products/InStockByPrice", categoryProductList,
				map[string]any{"id": gid("Category", biggestRoot.ID), "filter": map[string]any{"inStock": true}, "orderBy": map[string]any{"field": "PRICE"}}, 4,
				gids("Product", sortedBy(keepOnly(f.productsIn(biggestRoot.ID), inStock), productKeys["PRICE"], productID, false), productID)},
			walk{"User.orders/Default", userOrderList, map[string]any{"id": gid("User", mostOrders.ID)}, 1,
				gids("Order", newestOrders(mostOrders.Edges.Orders), orderID)},
			walk{"User.reviews/RatingDesc", userReviewList,
				map[string]any{"id": gid("User", mostReviews.ID), "orderBy": map[string]any{"field": "RATING", "direction": "DESC"}}, 6,
				gids("Review", sortedBy(mostReviews.Edges.Reviews, byRating, reviewID, true), reviewID)},
		)

		for _, w := range walks {
			if len(w.want) <= w.size {
				t.Fatalf("test data: got %d items in %s, want more than one page of %d", len(w.want), w.name, w.size)
			}
			t.Run(w.name+"/Forward", func(t *testing.T) { walkForward(t, e, w.spec, w.vars, w.size, w.want) })
			t.Run(w.name+"/Backward", func(t *testing.T) { walkBackward(t, e, w.spec, w.vars, w.size, w.want) })
		}
	})
}

func TestPaginationArguments(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		all := gids("Product", newestProducts(f.products), productID)
		byTitle := map[string]any{"orderBy": map[string]any{"field": "TITLE"}}
		byPrice := map[string]any{"orderBy": map[string]any{"field": "PRICE"}}
		titled := e.page(t, productList, with(byTitle, "first", 100))
		cursorOf := func(c connJSON[refJSON], i int) string { return c.Edges[i].Cursor }
		newest := e.page(t, productList, map[string]any{"first": 100})
		p := f.products[0]
		reviewVars := map[string]any{"id": gid("Product", p.ID)}

		t.Run("DefaultPageSizeIsTwenty", func(t *testing.T) {
			c := e.page(t, productList, nil)
			checkPage(t, "first page", c, all[:20], len(all), true, false)
			c = e.page(t, productList, map[string]any{"after": cursorOf(newest, 4)})
			checkPage(t, "page after the fifth", c, all[5:25], len(all), true, true)
		})

		t.Run("DefaultPageSizeOfNestedList", func(t *testing.T) {
			u := f.users[0]
			for _, cand := range f.users {
				if len(cand.Edges.Reviews) > len(u.Edges.Reviews) {
					u = cand
				}
			}
			want := gids("Review", newestReviews(u.Edges.Reviews), reviewID)
			c := e.page(t, userReviewList, map[string]any{"id": gid("User", u.ID)})
			checkPage(t, "reviews of "+u.Email, c, want[:min(20, len(want))], len(want), len(want) > 20, false)
		})

		t.Run("AfterAndBeforeTogether", func(t *testing.T) {
			vars := with(byTitle, "after", cursorOf(titled, 10), "before", cursorOf(titled, 20))
			c := e.page(t, productList, with(vars, "first", 100))
			if !slices.Equal(nodeIDs(c), nodeIDs(titled)[11:20]) {
				t.Errorf("first: got %v, want %v", readable(nodeIDs(c)), readable(nodeIDs(titled)[11:20]))
			}
			c = e.page(t, productList, with(vars, "first", 3))
			checkPage(t, "first 3 between", c, nodeIDs(titled)[11:14], len(all), true, true)
			c = e.page(t, productList, with(vars, "last", 3))
			checkPage(t, "last 3 between", c, nodeIDs(titled)[17:20], len(all), true, true)
		})

		// The schema promises hasNextPage means "more items follow the last
		// item of this page": with before, the item at before follows.
		t.Run("HasNextPageWhenBeforeGiven", func(t *testing.T) {
			c := e.page(t, productList, with(byTitle, "first", 100, "before", cursorOf(titled, 20)))
			checkPage(t, "first 100 before the 21st", c, nodeIDs(titled)[:20], len(all), true, false)
		})

		t.Run("HasPreviousPageWhenAfterGiven", func(t *testing.T) {
			c := e.page(t, productList, with(byTitle, "last", 100, "after", cursorOf(titled, 9)))
			checkPage(t, "last 100 after the 10th", c, nodeIDs(titled)[10:], len(all), false, true)
		})

		t.Run("AfterMiddleCursor", func(t *testing.T) {
			for _, i := range []int{0, 1, 29, 57} {
				c := e.page(t, productList, with(byTitle, "first", 3, "after", cursorOf(titled, i)))
				to := min(i+4, len(all))
				checkPage(t, fmt.Sprintf("after item %d", i), c, nodeIDs(titled)[i+1:to], len(all), to < len(all), true)
			}
		})

		t.Run("BeforeMiddleCursor", func(t *testing.T) {
			for _, i := range []int{len(all) - 1, 30, 2} {
				c := e.page(t, productList, with(byTitle, "last", 3, "before", cursorOf(titled, i)))
				from := max(i-3, 0)
				checkPage(t, fmt.Sprintf("before item %d", i), c, nodeIDs(titled)[from:i], len(all), true, from > 0)
			}
		})

		t.Run("AfterLastItemIsEmpty", func(t *testing.T) {
			c := e.page(t, productList, with(byTitle, "first", 5, "after", cursorOf(titled, len(all)-1)))
			checkPage(t, "after the last", c, []string{}, len(all), false, true)
		})

		t.Run("InvalidArgumentsAreBadUserInput", func(t *testing.T) {
			tests := []struct {
				name  string
				vars  map[string]any
				field string
			}{
				{"FirstZero", map[string]any{"first": 0}, "first"},
				{"FirstNegative", map[string]any{"first": -1}, "first"},
				{"FirstOverHundred", map[string]any{"first": 101}, "first"},
				{"LastZero", map[string]any{"last": 0}, "last"},
				{"LastNegative", map[string]any{"last": -5}, "last"},
				{"LastOverHundred", map[string]any{"last": 101}, "last"},
				{"FirstAndLast", map[string]any{"first": 5, "last": 5}, ""},
				{"AfterNotBase64", map[string]any{"after": "not a cursor!"}, "after"},
				{"BeforeNotBase64", map[string]any{"before": "not a cursor!"}, "before"},
				{"AfterNotJSON", map[string]any{"after": relayRaw("Product:1")}, "after"},
				{"AfterEmptyObject", map[string]any{"after": relayRaw("{}")}, "after"},
				{"AfterEmpty", map[string]any{"after": ""}, "after"},
				{"AfterFromOtherOrder", with(byPrice, "after", cursorOf(titled, 3)), "after"},
				{"BeforeFromOtherOrder", with(byPrice, "before", cursorOf(titled, 3)), "before"},
				{"AfterFromDefaultOrderInTitleOrder", with(byTitle, "after", cursorOf(newest, 3)), "after"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					e.expectInvalid(t, productList.query(), tc.vars, tc.field)
				})
				t.Run("Nested"+tc.name, func(t *testing.T) {
					vars := with(tc.vars, "id", gid("Category", f.categories[0].ID))
					e.expectInvalid(t, categoryProductList.query(), vars, tc.field)
				})
			}
		})

		t.Run("NestedReviewsInvalidArgumentsAreBadUserInput", func(t *testing.T) {
			tests := []struct {
				name  string
				vars  map[string]any
				field string
			}{
				{"FirstZero", with(reviewVars, "first", 0), "first"},
				{"LastOverHundred", with(reviewVars, "last", 101), "last"},
				{"ProductCursor", with(reviewVars, "after", cursorOf(titled, 0)), "after"},
				{"MalformedCursor", with(reviewVars, "before", "%%%"), "before"},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					e.expectInvalid(t, productReviewList.query(), tc.vars, tc.field)
				})
			}
		})

		t.Run("EmptyResults", func(t *testing.T) {
			admin := f.user(t, "admin@shopgraph.dev")
			noReviews := keepOnly(f.products, func(p *ent.Product) bool { return len(p.Edges.Reviews) == 0 })[0]
			none := map[string]any{"search": "qqzzxxq"}
			tests := []struct {
				name string
				spec listSpec
				vars map[string]any
			}{
				{"Products", productList, map[string]any{"filter": none}},
				{"ProductsLast", productList, map[string]any{"filter": none, "last": 5}},
				{"ProductsByPrice", productList, with(byPrice, "filter", none, "first", 3)},
				{"CategoryProducts", categoryProductList, map[string]any{"id": gid("Category", f.categories[0].ID), "filter": none}},
				{"ProductReviews", productReviewList, map[string]any{"id": gid("Product", noReviews.ID)}},
				{"UserOrders", userOrderList, map[string]any{"id": gid("User", admin.ID)}},
				{"UserReviewsLast", userReviewList, map[string]any{"id": gid("User", admin.ID), "last": 10}},
				{"Orders", orderList, map[string]any{"filter": map[string]any{"customerId": gid("User", admin.ID)}}},
			}
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					c := e.page(t, tc.spec, tc.vars)
					if c.Edges == nil {
						t.Errorf("got edges null, want []")
					}
					checkPage(t, tc.name, c, []string{}, 0, false, false)
				})
			}
		})
	})
}

// TestPaginationCursorOfDeletedRow: a keyset cursor holds the sort value
// and ID of its row, not an offset, so it still marks a position after the
// row is gone.
func TestPaginationCursorOfDeletedRow(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := demoEnv(t, dialect)
		f := loadDemo(t, e)
		ctx := context.Background()
		orders := []struct {
			name    string
			orderBy map[string]any
		}{
			{"Default", nil},
			{"PriceDesc", map[string]any{"field": "PRICE", "direction": "DESC"}},
			{"TitleAsc", map[string]any{"field": "TITLE"}},
			{"RatingAsc", map[string]any{"field": "RATING"}},
		}
		before := make([]connJSON[refJSON], len(orders))
		for i, o := range orders {
			before[i] = e.page(t, productList, map[string]any{"first": 100, "orderBy": o.orderBy})
		}

		// A product nobody ordered, away from the ends of every list.
		ordered := map[int]bool{}
		for _, l := range f.lines {
			ordered[f.variants[l.VariantID].ProductID] = true
		}
		var victim *ent.Product
		for _, p := range f.products {
			if ordered[p.ID] || len(p.Edges.Reviews) == 0 {
				continue
			}
			inside := true
			for _, c := range before {
				i := slices.Index(nodeIDs(c), gid("Product", p.ID))
				inside = inside && i >= 5 && i < len(c.Edges)-5
			}
			if inside {
				victim = p
				break
			}
		}
		if victim == nil {
			t.Fatal("test data: got no unordered, reviewed product away from the ends of the lists, want one")
		}
		c := e.store.Client
		if _, err := c.Review.Delete().Where(review.ProductID(victim.ID)).Exec(ctx); err != nil {
			t.Fatalf("delete reviews: got error %v, want nil", err)
		}
		if _, err := c.Variant.Delete().Where(variant.ProductID(victim.ID)).Exec(ctx); err != nil {
			t.Fatalf("delete variants: got error %v, want nil", err)
		}
		if err := c.Product.DeleteOneID(victim.ID).Exec(ctx); err != nil {
			t.Fatalf("delete product: got error %v, want nil", err)
		}

		for i, o := range orders {
			t.Run(o.name, func(t *testing.T) {
				list := nodeIDs(before[i])
				at := slices.Index(list, gid("Product", victim.ID))
				cursor := before[i].Edges[at].Cursor
				total := len(list) - 1
				c := e.page(t, productList, map[string]any{"orderBy": o.orderBy, "first": 4, "after": cursor})
				checkPage(t, "first 4 after the deleted row", c, list[at+1:at+5], total, true, true)
				c = e.page(t, productList, map[string]any{"orderBy": o.orderBy, "last": 4, "before": cursor})
				checkPage(t, "last 4 before the deleted row", c, list[at-4:at], total, true, true)
			})
		}
	})
}
