package graph_test

import (
	"testing"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/graph/loaders"
)

// BenchmarkNestedQueries measures one request of each nested query over
// 1,000 rows, with the dataloaders and with batching turned off (MaxBatch 1:
// one statement per parent, as naive resolvers would send). Besides time and
// allocations it reports statements per request.
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
		build func(b *testing.B, e *env)
	}{
		{"catalog", catalogQuery, func(b *testing.B, e *env) { catalog(b, e.store.Client, 10, 100) }},
		{"orders", ordersQuery, func(b *testing.B, e *env) {
			catalog(b, e.store.Client, 1, 10)
			orders(b, e.store.Client, 100, 10)
		}},
	}
	for _, d := range storetest.Dialects {
		for _, q := range queries {
			for _, m := range modes {
				b.Run(d+"/"+q.name+"/"+m.name, func(b *testing.B) {
					e := newEnv(b, d, withLoaders(m.cfg))
					q.build(b, e)
					e.mustQuery(q.query, nil, nil) // warm the query cache
					e.counter.Reset()
					b.ReportAllocs()
					b.ResetTimer()
					for b.Loop() {
						e.mustQuery(q.query, nil, nil)
					}
					b.ReportMetric(float64(e.counter.Count())/float64(b.N), "stmts/op")
				})
			}
		}
	}
}
