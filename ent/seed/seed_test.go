package seed_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/review"
	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/ent/variant"
)

func TestDemo(t *testing.T) {
	snapshots := map[string][]string{}
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, dialect, nil)
			assertEmpty(t, s, true)
			sum, err := seed.Demo(ctx, s)
			if err != nil {
				t.Fatalf("Demo: %v", err)
			}
			t.Logf("demo: %s", sum)

			t.Run("SummaryMatchesRows", func(t *testing.T) {
				if got := count(t, s); got != sum {
					t.Errorf("got rows %+v, want %+v", got, sum)
				}
				if sum.Products < 50 || sum.Categories < 20 || sum.Reviews == 0 || sum.OrderLines == 0 {
					t.Errorf("got %+v, want a browsable store", sum)
				}
			})
			t.Run("NotEmpty", func(t *testing.T) { assertEmpty(t, s, false) })
			t.Run("RoleAccounts", func(t *testing.T) { assertRoleAccounts(t, s) })
			t.Run("DemoPasswordStrong", func(t *testing.T) { assertDemoPasswordStrong(t, s) })
			t.Run("SortKeysMatchRows", func(t *testing.T) { assertSortKeys(t, s) })
			t.Run("StatusesAndStock", func(t *testing.T) { assertDemoStates(t, s) })
			t.Run("ErrNotEmpty", func(t *testing.T) {
				if _, err := seed.Demo(ctx, s); !errors.Is(err, seed.ErrNotEmpty) {
					t.Errorf("got %v, want ErrNotEmpty", err)
				}
			})
			t.Run("Deterministic", func(t *testing.T) {
				again := storetest.Open(t, dialect, nil)
				if _, err := seed.Demo(ctx, again); err != nil {
					t.Fatalf("Demo: %v", err)
				}
				assertSameRows(t, snapshot(t, again), snapshot(t, s))
			})
			snapshots[dialect] = snapshot(t, s)
		})
	}
	t.Run("SameInEveryDialect", func(t *testing.T) {
		want := snapshots[storetest.Dialects[0]]
		for _, dialect := range storetest.Dialects[1:] {
			assertSameRows(t, snapshots[dialect], want)
		}
	})
}

func TestScale(t *testing.T) {
	const products = 2000
	snapshots := map[string][]string{}
	for _, dialect := range storetest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			ctx := context.Background()
			s := storetest.Open(t, dialect, nil)
			assertEmpty(t, s, true)
			sum, err := seed.Scale(ctx, s, products, logWriter{t})
			if err != nil {
				t.Fatalf("Scale: %v", err)
			}

			t.Run("Sizes", func(t *testing.T) {
				if got := count(t, s); got != sum {
					t.Errorf("got rows %+v, want %+v", got, sum)
				}
				want := seed.Summary{Users: products / 10, Categories: 200, Products: products, Orders: products / 5}
				got := seed.Summary{Users: sum.Users, Categories: sum.Categories, Products: sum.Products, Orders: sum.Orders}
				if got != want {
					t.Errorf("got %+v, want %+v", got, want)
				}
				if least := products * 4 * 9 / 10; sum.Variants < least {
					t.Errorf("got %d variants, want at least %d", sum.Variants, least)
				}
				if sum.Reviews < products || sum.Reviews > 3*products {
					t.Errorf("got %d reviews, want about two per product", sum.Reviews)
				}
				if sum.OrderLines < sum.Orders || sum.OrderLines > 3*sum.Orders {
					t.Errorf("got %d lines for %d orders, want one to three each", sum.OrderLines, sum.Orders)
				}
			})
			t.Run("ThreeLevelTree", func(t *testing.T) { assertThreeLevels(t, s) })
			t.Run("UniqueKeys", func(t *testing.T) { assertUnique(t, s) })
			t.Run("RoleAccounts", func(t *testing.T) { assertRoleAccounts(t, s) })
			t.Run("DemoPasswordStrong", func(t *testing.T) { assertDemoPasswordStrong(t, s) })
			t.Run("SortKeysMatchRows", func(t *testing.T) { assertSortKeys(t, s) })
			t.Run("SortKeysAsRefreshed", func(t *testing.T) { assertKeysAsRefreshed(t, s) })
			t.Run("NotEmpty", func(t *testing.T) { assertEmpty(t, s, false) })
			t.Run("ErrNotEmpty", func(t *testing.T) {
				if _, err := seed.Scale(ctx, s, 10, nil); !errors.Is(err, seed.ErrNotEmpty) {
					t.Errorf("got %v, want ErrNotEmpty", err)
				}
			})
			snapshots[dialect] = snapshot(t, s)
		})
	}
	// Two runs into two databases: proves determinism across runs and
	// dialects at once.
	t.Run("SameInEveryDialect", func(t *testing.T) {
		want := snapshots[storetest.Dialects[0]]
		for _, dialect := range storetest.Dialects[1:] {
			assertSameRows(t, snapshots[dialect], want)
		}
	})
}

// TestScaleLarge measures Scale at benchmark size. It is skipped unless
// SEED_SCALE_PRODUCTS is set, e.g. SEED_SCALE_PRODUCTS=250000 for a
// million variants; SEED_SCALE_DIALECT limits it to one dialect.
func TestScaleLarge(t *testing.T) {
	products, _ := strconv.Atoi(os.Getenv("SEED_SCALE_PRODUCTS"))
	if products <= 0 {
		t.Skip("set SEED_SCALE_PRODUCTS to run")
	}
	for _, dialect := range storetest.Dialects {
		if only := os.Getenv("SEED_SCALE_DIALECT"); only != "" && only != dialect {
			continue
		}
		t.Run(dialect, func(t *testing.T) {
			s := storetest.Open(t, dialect, nil)
			sum, err := seed.Scale(context.Background(), s, products, logWriter{t})
			if err != nil {
				t.Fatalf("Scale: %v", err)
			}
			if got := count(t, s); got != sum {
				t.Errorf("got rows %+v, want %+v", got, sum)
			}
			assertUnique(t, s)
			assertKeysAsRefreshed(t, s)
		})
	}
}

// logWriter sends Scale's progress to the test log.
type logWriter struct{ t *testing.T }

func (w logWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

func assertEmpty(t *testing.T, s *store.Store, want bool) {
	t.Helper()
	got, err := seed.Empty(context.Background(), s)
	if err != nil {
		t.Fatalf("Empty: %v", err)
	}
	if got != want {
		t.Errorf("got Empty %v, want %v", got, want)
	}
}

// count counts the rows of every table.
func count(t *testing.T, s *store.Store) seed.Summary {
	t.Helper()
	ctx, c := context.Background(), s.Client
	var sum seed.Summary
	for _, n := range []struct {
		dst   *int
		count func(context.Context) (int, error)
	}{
		{&sum.Users, c.User.Query().Count},
		{&sum.Categories, c.Category.Query().Count},
		{&sum.Products, c.Product.Query().Count},
		{&sum.Variants, c.Variant.Query().Count},
		{&sum.Reviews, c.Review.Query().Count},
		{&sum.Orders, c.Order.Query().Count},
		{&sum.OrderLines, c.OrderLine.Query().Count},
	} {
		var err error
		if *n.dst, err = n.count(ctx); err != nil {
			t.Fatalf("count: %v", err)
		}
	}
	return sum
}

func assertRoleAccounts(t *testing.T, s *store.Store) {
	t.Helper()
	users, err := s.Client.User.Query().All(context.Background())
	if err != nil {
		t.Fatalf("list users: %v", err)
	}
	roles := map[string]user.Role{}
	for _, u := range users {
		if u.Email != strings.ToLower(u.Email) {
			t.Errorf("got email %q, want lower case", u.Email)
		}
		roles[u.Email] = u.Role
	}
	for email, want := range map[string]user.Role{
		"admin@shopgraph.dev":    user.RoleADMIN,
		"staff@shopgraph.dev":    user.RoleSTAFF,
		"customer@shopgraph.dev": user.RoleCUSTOMER,
	} {
		if got, ok := roles[email]; !ok || got != want {
			t.Errorf("got role %q for %s (present %v), want %q", got, email, ok, want)
		}
	}
}

// assertDemoPasswordStrong checks that every seeded account could have
// chosen seed.DemoPassword at sign-up: seeding writes users without
// shop.SignUp, so nothing else holds it to the strength rule.
func assertDemoPasswordStrong(t *testing.T, s *store.Store) {
	t.Helper()
	users, err := s.Client.User.Query().All(context.Background())
	if err != nil {
		t.Fatalf("list users: %v", err)
	}
	for _, u := range users {
		if !shop.PasswordStrong(seed.DemoPassword, u.Email, u.Name) {
			t.Errorf("the demo password %q is too weak for %s (%s): sign-up would refuse it", seed.DemoPassword, u.Email, u.Name)
		}
	}
}

// assertSortKeys checks that every product's denormalised keys agree with
// its variants and reviews.
func assertSortKeys(t *testing.T, s *store.Store) {
	t.Helper()
	products, err := s.Client.Product.Query().WithVariants().WithReviews().All(context.Background())
	if err != nil {
		t.Fatalf("list products: %v", err)
	}
	for _, p := range products {
		if len(p.Edges.Variants) == 0 {
			t.Errorf("product %d: got no variants, want at least one", p.ID)
			continue
		}
		minPrice, inStock := p.Edges.Variants[0].Price, false
		for _, v := range p.Edges.Variants {
			minPrice = min(minPrice, v.Price)
			inStock = inStock || v.Stock > 0
		}
		rating := 0.0
		for _, r := range p.Edges.Reviews {
			rating += float64(r.Rating) / float64(len(p.Edges.Reviews))
		}
		if p.MinPrice != minPrice || p.InStock != inStock || math.Abs(p.RatingAvg-rating) > 1e-9 {
			t.Errorf("product %d: got min_price %d, in_stock %v, rating_avg %v; want %d, %v, %v",
				p.ID, p.MinPrice, p.InStock, p.RatingAvg, minPrice, inStock, rating)
		}
	}
}

// assertKeysAsRefreshed checks that the sort keys Scale computes while
// generating are exactly those store.RefreshProductKeys writes.
func assertKeysAsRefreshed(t *testing.T, s *store.Store) {
	t.Helper()
	keys := func() []string {
		var rows []string
		for _, p := range s.Client.Product.Query().Order(product.ByID()).AllX(context.Background()) {
			rows = append(rows, fmt.Sprintf("product %d: min_price %d, rating_avg %v, in_stock %v", p.ID, p.MinPrice, p.RatingAvg, p.InStock))
		}
		return rows
	}
	got := keys()
	if err := store.RefreshProductKeys(context.Background(), s.Client); err != nil {
		t.Fatalf("refresh product keys: %v", err)
	}
	assertSameRows(t, got, keys())
}

// assertDemoStates checks the demo shows every product state.
func assertDemoStates(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	for status, want := range map[product.Status]int{product.StatusDRAFT: 6, product.StatusARCHIVED: 4} {
		if got := s.Client.Product.Query().Where(product.StatusEQ(status)).CountX(ctx); got != want {
			t.Errorf("got %d %s products, want %d", got, status, want)
		}
	}
	soldOut := s.Client.Product.Query().Where(product.StatusEQ(product.StatusACTIVE), product.InStock(false)).CountX(ctx)
	if soldOut == 0 {
		t.Errorf("got no sold-out active products, want some")
	}
	inactive := s.Client.Review.Query().Where(review.HasProductWith(product.StatusNEQ(product.StatusACTIVE))).CountX(ctx)
	if inactive != 0 {
		t.Errorf("got %d reviews of inactive products, want 0", inactive)
	}
}

func assertThreeLevels(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	roots := s.Client.Category.Query().Where(category.ParentIDIsNil()).CountX(ctx)
	leaves := s.Client.Category.Query().Where(category.HasParentWith(category.HasParent())).CountX(ctx)
	outside := s.Client.Product.Query().Where(product.Not(product.HasCategoryWith(category.HasParentWith(category.HasParent())))).CountX(ctx)
	if roots != 8 || leaves != 168 || outside != 0 {
		t.Errorf("got %d roots, %d third-level categories, %d products above the third level; want 8, 168, 0", roots, leaves, outside)
	}
}

// assertUnique checks the keys the schema declares unique, which a generator
// could only break by failing the load, and the pairs it keeps distinct.
func assertUnique(t *testing.T, s *store.Store) {
	t.Helper()
	for _, q := range []string{
		"SELECT COUNT(*) - COUNT(DISTINCT email) FROM users",
		"SELECT COUNT(*) - COUNT(DISTINCT slug) FROM categories",
		"SELECT COUNT(*) - COUNT(DISTINCT slug) FROM products",
		"SELECT COUNT(*) - COUNT(DISTINCT sku) FROM variants",
		"SELECT COUNT(*) - COUNT(DISTINCT number) FROM orders",
		"SELECT COUNT(*) FROM (SELECT product_id, author_id FROM reviews GROUP BY product_id, author_id HAVING COUNT(*) > 1) d",
		"SELECT COUNT(*) FROM (SELECT order_id, variant_id FROM order_lines GROUP BY order_id, variant_id HAVING COUNT(*) > 1) d",
	} {
		var dups int
		if err := s.DB.QueryRow(q).Scan(&dups); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		if dups != 0 {
			t.Errorf("%s: got %d duplicates, want 0", q, dups)
		}
	}
}

// snapshot lists the rows of every table, ids included, in id order.
func snapshot(t *testing.T, s *store.Store) []string {
	t.Helper()
	ctx, c := context.Background(), s.Client
	var rows []string
	add := func(format string, args ...any) { rows = append(rows, fmt.Sprintf(format, args...)) }
	for _, u := range c.User.Query().Order(user.ByID()).AllX(ctx) {
		add("user %d %s %s %s %s", u.ID, u.Email, u.Name, u.Role, u.CreatedAt.UTC())
	}
	for _, cat := range c.Category.Query().Order(category.ByID()).AllX(ctx) {
		parent := 0 // a root
		if cat.ParentID != nil {
			parent = *cat.ParentID
		}
		add("category %d %s %s %d", cat.ID, cat.Slug, cat.Name, parent)
	}
	for _, p := range c.Product.Query().Order(product.ByID()).AllX(ctx) {
		add("product %d %s %q %s %d %s %s %d %.9f %v", p.ID, p.Slug, p.Title, p.Status, p.CategoryID,
			p.CreatedAt.UTC(), p.UpdatedAt.UTC(), p.MinPrice, p.RatingAvg, p.InStock)
	}
	for _, v := range c.Variant.Query().Order(variant.ByID()).AllX(ctx) {
		add("variant %d %s %q %d %d %d %d", v.ID, v.Sku, v.Title, v.Price, v.Cost, v.Stock, v.ProductID)
	}
	for _, r := range c.Review.Query().Order(review.ByID()).AllX(ctx) {
		add("review %d %d %d %d %q %s", r.ID, r.ProductID, r.AuthorID, r.Rating, r.Title, r.CreatedAt.UTC())
	}
	for _, o := range c.Order.Query().Order(order.ByID()).AllX(ctx) {
		add("order %d %s %s %d %s", o.ID, o.Number, o.Status, o.CustomerID, o.CreatedAt.UTC())
	}
	for _, l := range c.OrderLine.Query().Order(orderline.ByID()).AllX(ctx) {
		add("line %d %d %d %d %d", l.ID, l.OrderID, l.VariantID, l.Quantity, l.UnitPrice)
	}
	return rows
}

func assertSameRows(t *testing.T, got, want []string) {
	t.Helper()
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Fatalf("row %d: got %s, want %s", i, got[i], want[i])
		}
	}
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
}
