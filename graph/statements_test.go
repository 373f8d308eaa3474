package graph_test

import (
	"context"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/loaders"
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

// testLoaders widens the idle gap and MaxWait, the latency cap for a
// saturated CPU: CI runs test packages in parallel under the race detector
// on two cores, where the OS can stall this process for longer than the
// production gap and one level of 1,000 rows can take longer than the
// production cap. Either splits a level into two statements (a cost, never
// a wrong answer); the shape property under test does not depend on them.
var testLoaders = loaders.Config{Wait: 10 * time.Millisecond, MaxWait: 5 * time.Second}

// buildCatalog makes 10 or 1,000 products under 10 root categories.
func buildCatalog(t *testing.T, e *env, small bool) {
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
					e := newEnv(t, dialect, withLoaders(testLoaders))
					if tc.staff { // created first: the oldest user, off the users page
						staff := e.store.Client.User.Create().SetEmail("staff@example.com").SetName("Staff").SetRole(user.RoleSTAFF).SaveX(context.Background())
						e = e.as(staff)
					}
					tc.build(t, e, small)
					e.counter.Reset()
					var data map[string]any
					e.mustQuery(tc.query, nil, &data)
					counts[small], rows[small] = e.counter.Count(), tc.rowsPath(data)
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
