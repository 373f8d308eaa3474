package graph_test

import (
	"context"
	"testing"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/loaders"
)

// BenchmarkNestedQueries measures one request of each nested query over
// 1,000 rows, with the dataloaders and with batching turned off (MaxBatch 1:
// one statement per parent, as naive resolvers would send). Besides time and
// allocations it reports statements per request (a signed-in request also
// loads its viewer: one statement).
//
//	go test ./graph -run '^$' -bench NestedQueries -benchmem -benchtime 20x
func BenchmarkNestedQueries(b *testing.B) {
	modes := []struct {
		name string
		cfg  loaders.Config
	}{
		{"loaders", loaders.DefaultConfig},
		{"no-loaders", loaders.Config{MaxBatch: 1}},
	}
	queries := []struct {
		name  string
		query string
		build func(b *testing.B, e *env) *env
	}{
		// Anonymous: what a storefront sends.
		{"catalog", catalogQuery, func(b *testing.B, e *env) *env {
			catalog(b, e.store.Client, 10, 100)
			return e
		}},
		// As staff, who may list users and their orders.
		{"orders", ordersQuery, func(b *testing.B, e *env) *env {
			staff := e.store.Client.User.Create().SetEmail("staff@example.com").SetName("Staff").SetRole(user.RoleSTAFF).SaveX(context.Background())
			catalog(b, e.store.Client, 1, 10)
			orders(b, e.store.Client, 100, 10)
			return e.as(b, staff)
		}},
	}
	for _, d := range storetest.Dialects {
		for _, q := range queries {
			for _, m := range modes {
				b.Run(d+"/"+q.name+"/"+m.name, func(b *testing.B) {
					benchQuery(b, q.build(b, newEnv(b, d, withLoaders(m.cfg))), q.query)
				})
			}
		}
	}
}

// storefrontQuery is the storefront's product grid, the load benchmark's
// scenario (a) (server/bench): about 1,500 response fields for 50 products.
const storefrontQuery = `{ products(first: 50, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id title category { id name } variants { id sku price { amount } inStock } reviews(first: 3, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id rating body author { id name } } } } } } } }`

// BenchmarkStorefront measures the CPU and allocations of one storefront
// request in-process, over real HTTP, on PostgreSQL: the per-field cost the
// load benchmark sees, without its noise. Profile it with -cpuprofile.
//
//	go test ./graph -run '^$' -bench Storefront -benchmem -benchtime 200x
func BenchmarkStorefront(b *testing.B) {
	e := newEnv(b, "postgres")
	catalog(b, e.store.Client, 5, 10) // 50 products, 2 variants and 3 reviews each
	benchQuery(b, e, storefrontQuery)
}

// BenchmarkLookup measures the mobile case, one product by slug with three
// fields (the load benchmark's scenario b): the per-request cost of the
// HTTP edge, limits and execution when the data is one row.
//
//	go test ./graph -run '^$' -bench Lookup -benchmem -benchtime 2000x
func BenchmarkLookup(b *testing.B) {
	e := newEnv(b, "postgres")
	catalog(b, e.store.Client, 1, 3)
	benchQuery(b, e, `{ product(slug: "p-1") { id title priceRange { min { amount } } } }`)
}

// BenchmarkBatchingLatency measures what batching adds to one request's
// latency: a chain of two loader levels (product -> category -> parent, one
// key each) with the production loaders, and with batching off (MaxBatch
// 1: every key is fetched the moment it is asked for). The difference
// between the two, halved, is the wait batching adds per level.
//
//	go test ./graph -run '^$' -bench BatchingLatency -benchtime 2000x
func BenchmarkBatchingLatency(b *testing.B) {
	const q = `{ product(slug: "p-1") { category { parent { name } } } }`
	for _, m := range []struct {
		name string
		cfg  loaders.Config
	}{
		{"batched", loaders.DefaultConfig},
		{"unbatched", loaders.Config{MaxBatch: 1}},
	} {
		b.Run(m.name, func(b *testing.B) {
			e := newEnv(b, "postgres", withLoaders(m.cfg))
			catalog(b, e.store.Client, 1, 3)
			benchQuery(b, e, q)
		})
	}
}

// benchQuery sends q once to warm the caches, then b.N times, reporting
// allocations and statements per request.
func benchQuery(b *testing.B, e *env, q string) {
	b.Helper()
	e.mustQuery(b, q, nil, nil)
	e.counter.Reset()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.mustQuery(b, q, nil, nil)
	}
	b.ReportMetric(float64(e.counter.Count())/float64(b.N), "stmts/op")
}
