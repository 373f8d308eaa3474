package graph_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/stockmovement"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// The core promise of the data layer: the statements a request sends depend
// on the shape of its query, never on how many rows it returns.

// catalogQuery walks products -> category -> parent, variants -> product,
// reviews(first: 3) -> author, and the per-product aggregates, for every
// product under every root category.
const catalogQuery = `{
  categories {
    products(first: 100) {
      totalCount
      edges { node {
        title
        category { name parent { name } }
        variants { sku product { slug } }
        reviews(first: 3) { totalCount edges { node { rating author { name } } } }
        averageRating reviewCount priceRange { min { amount } max { amount } } inStock
      } }
    }
  }
}`

// catalogStatements lists one statement per distinct edge of catalogQuery.
var catalogStatements = []string{
	"root categories",
	"products of each category (windowed page)",
	"product count of each category",
	"product -> category",
	"category -> parent",
	"product -> variants (variant -> product is primed from the page)",
	"product -> reviews(first: 3) (windowed page)",
	"review stats: reviews.totalCount, averageRating, reviewCount",
	"review -> author",
	"variant stats: priceRange, inStock",
}

// ordersQuery walks users -> orders -> customer, lines -> variant ->
// product, line -> product, and the order total.
const ordersQuery = `{
  users(first: 100) {
    edges { node {
      orders(first: 10) {
        totalCount
        edges { node {
          number total { amount }
          customer { name }
          lines { quantity subtotal { amount } variant { sku product { slug } } product { title } }
        } }
      }
    } }
  }
}`

var ordersStatements = []string{
	"users page",
	"orders of each user (windowed page)",
	"order count of each user",
	"order -> customer",
	"order total",
	"order -> lines",
	"line -> variant",
	"variant -> product and line -> product",
}

// buildCatalog makes 10 or 1,000 products under 10 root categories.
func buildCatalog(t *testing.T, e *env, small bool) {
	t.Helper()
	if small {
		catalog(t, e.store.Client, 10, 1)
	} else {
		catalog(t, e.store.Client, 10, 100)
	}
}

// catalogRows counts the products a catalogQuery response holds.
func catalogRows(data map[string]any) int {
	n := 0
	for _, c := range data["categories"].([]any) {
		n += len(c.(map[string]any)["products"].(map[string]any)["edges"].([]any))
	}
	return n
}

func TestStatementsDoNotGrowWithRows(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		for _, tc := range []struct {
			name     string
			query    string
			staff    bool // run as a STAFF viewer (else anonymous)
			want     []string
			build    func(t *testing.T, e *env, small bool)
			rowsPath func(data map[string]any) int
		}{
			{
				name:     "CatalogQueryAnonymous",
				query:    catalogQuery,
				want:     catalogStatements,
				build:    buildCatalog,
				rowsPath: catalogRows,
			},
			{
				name:     "CatalogQueryAsStaff",
				query:    catalogQuery,
				staff:    true,
				want:     append([]string{"viewer of the access token"}, catalogStatements...),
				build:    buildCatalog,
				rowsPath: catalogRows,
			},
			{
				name:  "OrdersQueryAsStaff",
				query: ordersQuery,
				staff: true,
				want:  append([]string{"viewer of the access token"}, ordersStatements...),
				build: func(t *testing.T, e *env, small bool) {
					catalog(t, e.store.Client, 1, 10)
					if small {
						orders(t, e.store.Client, 10, 1) // 10 orders
					} else {
						orders(t, e.store.Client, 100, 10) // 1,000 orders
					}
				},
				rowsPath: func(data map[string]any) int {
					n := 0
					for _, u := range data["users"].(map[string]any)["edges"].([]any) {
						n += len(u.(map[string]any)["node"].(map[string]any)["orders"].(map[string]any)["edges"].([]any))
					}
					return n
				},
			},
		} {
			t.Run(tc.name, func(t *testing.T) {
				counts := map[bool]int{}
				rows := map[bool]int{}
				for _, small := range []bool{true, false} {
					e := newEnv(t, dialect)
					if tc.staff { // created first: the oldest user, off the users page
						staff := e.store.Client.User.Create().SetEmail("staff@example.com").SetName("Staff").SetRole(user.RoleSTAFF).SaveX(context.Background())
						e = e.as(t, staff)
					}
					tc.build(t, e, small)
					e.counter.Reset()
					var data map[string]any
					e.mustQuery(t, tc.query, nil, &data)
					counts[small], rows[small] = e.counter.Count(), tc.rowsPath(data)
					checkNoStall(t, e)
					if got, want := counts[small], len(tc.want); got != want {
						t.Errorf("%d rows: got %d statements, want %d (one per edge: %q)\n%s", rows[small], got, want, tc.want, e.counter)
					}
				}
				if rows[true] != 10 || rows[false] != 1000 {
					t.Errorf("got %d and %d rows, want 10 and 1000", rows[true], rows[false])
				}
				if counts[true] != counts[false] {
					t.Errorf("got %d statements for 10 rows and %d for 1,000, want equal", counts[true], counts[false])
				}
			})
		}
	})
}

// TestStatementsUnderLoad: one request's statements stay one per edge while
// 32 copies of the same query run at once and CPU-burning goroutines
// compete for the processors in the same process, at the production loader
// settings. Batching follows the request's own structure, so neither other
// requests nor a busy machine can split a level.
func TestStatementsUnderLoad(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		catalog(t, e.store.Client, 10, 10) // 100 products
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for x := 0; ; x++ {
					select {
					case <-stop:
						return
					default:
					}
				}
			}()
		}
		var background, failed atomic.Int64
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-stop:
						return
					default:
					}
					if res, err := e.post(catalogQuery, nil, ""); err != nil || len(res.Errors) > 0 {
						failed.Add(1)
					}
					background.Add(1)
				}
			}()
		}
		defer func() {
			close(stop)
			wg.Wait()
			if failed.Load() > 0 {
				t.Errorf("got %d of %d concurrent copies failed, want none", failed.Load(), background.Load())
			}
		}()
		for i := range 3 {
			id := fmt.Sprintf("measured-%s-%d", dialect, i)
			res, err := e.post(catalogQuery, nil, id)
			if err != nil || len(res.Errors) > 0 {
				t.Fatalf("measured request: got error %v and errors %+v, want data", err, res.Errors)
			}
			stmts := e.counter.Tagged(id)
			if got, want := len(stmts), len(catalogStatements); got != want {
				var list strings.Builder
				for j, s := range stmts {
					fmt.Fprintf(&list, "%d: %.200s\n", j+1, s.Query)
				}
				t.Errorf("request %d under load: got %d statements, want %d (one per edge: %q)\n%s", i, got, want, catalogStatements, list.String())
			}
		}
		checkNoStall(t, e)
	})
}

// TestReadsOnlyWhatItShows: no read statement selects a password hash (a
// review's author, a user list, the viewer of a token), and a product's
// description is read only when the document asks for one.
func TestReadsOnlyWhatItShows(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		staff := e.store.Client.User.Create().SetEmail("staff@example.com").SetName("Staff").SetRole(user.RoleSTAFF).SaveX(context.Background())
		catalog(t, e.store.Client, 2, 3)
		orders(t, e.store.Client, 3, 2)
		e = e.as(t, staff)
		for _, tc := range []struct {
			name, query, absent string
		}{
			{"CatalogWithoutPasswordHash", catalogQuery, "password_hash"},
			{"OrdersWithoutPasswordHash", ordersQuery, "password_hash"},
			{"ViewerWithoutPasswordHash", `{ viewer { name email } }`, "password_hash"},
			{"CatalogWithoutDescription", catalogQuery, "description"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				e.counter.Reset()
				e.mustQuery(t, tc.query, nil, nil)
				for _, s := range e.counter.Statements() {
					if strings.Contains(s.Query, tc.absent) {
						t.Errorf("got a statement reading %s, want none: %s", tc.absent, s.Query)
					}
				}
			})
		}
		t.Run("DescriptionWhenAsked", func(t *testing.T) {
			var data struct {
				Products struct {
					Edges []struct{ Node struct{ Description string } }
				}
			}
			e.store.Client.Product.Update().SetDescription("Soft and warm.").ExecX(context.Background())
			e.mustQuery(t, `{ products(first: 2) { edges { node { description } } } }`, nil, &data)
			if len(data.Products.Edges) == 0 || data.Products.Edges[0].Node.Description != "Soft and warm." {
				t.Errorf("got %+v, want the description", data.Products)
			}
		})
	})
}

// TestMutationRootFieldsRunInTurn: a mutation's root fields run one after
// another, so a later one must not hold back the batches of an earlier
// one's payload (it would wait for the stall guard).
func TestMutationRootFieldsRunInTurn(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		catalog(t, e.store.Client, 1, 3)
		e = e.as(t, e.user(t, "a1@example.com"))
		const m = `mutation {
  a: updateAccount(input: { name: "First" }) { user { name reviews(first: 2) { edges { node { rating product { title } } } } } }
  b: updateAccount(input: { name: "Second" }) { user { name reviews(first: 1) { edges { node { rating } } } } }
}`
		var data struct {
			A, B struct{ User struct{ Name string } }
		}
		e.mustQuery(t, m, nil, &data)
		if data.A.User.Name != "First" || data.B.User.Name != "Second" {
			t.Errorf("got %+v, want First then Second", data)
		}
		checkNoStall(t, e)
	})
}

// TestMutationStatementsInTransactionCounted: the statement counter sees a
// mutation's statements inside its transaction, not only those around it,
// so statement counts of mutations mean what they say.
func TestMutationStatementsInTransactionCounted(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		s := newShop(t, e.store.Client)
		alice := e.as(t, s.alice)
		e.counter.Reset()
		var out struct{ PlaceOrder struct{ Order orderJSON } }
		alice.mustQuery(t, placeOrderDoc, orderInput(lineIn{s.teeS, 1}, lineIn{s.mugV, 2}), &out)
		if got := e.counter.Transactions(); got != 1 {
			t.Errorf("transactions of one placeOrder: got %d, want 1\n%s", got, e.counter)
		}
		// What the order writes, it writes inside its transaction.
		for _, table := range []string{order.Table, orderline.Table, stockmovement.Table, variant.Table, product.Table} {
			writes := regexp.MustCompile("(INSERT INTO|UPDATE) [`\"]?" + table + "\\b")
			var inTx, outside int
			for _, st := range e.counter.Statements() {
				if !writes.MatchString(st.Query) {
					continue
				}
				if st.InTx {
					inTx++
				} else {
					outside++
				}
			}
			if inTx == 0 || outside != 0 {
				t.Errorf("writes to %s: got %d inside the transaction and %d outside, want at least one, all inside\n%s", table, inTx, outside, e.counter)
			}
		}
	})
}
