package graph_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

// Work in the database is priced and bounded like work in the server.

// searches is n aliased text searches that each count their matches.
func searches(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, ` s%d: products(first: 1, filter: {search: "wool%d"}) { totalCount }`, i, i)
	}
	b.WriteString(" }")
	return b.String()
}

// TestEdgeSearchesArePriced: 50 aliased searches with counts cost 100
// points before text search and counts were priced; now more than one
// operation may cost.
func TestEdgeSearchesArePriced(t *testing.T) {
	e := edgeEnv(t)
	e.counter.Reset()
	r := edgePost(t, e, searches(50))
	if code := r.code(t); code != "COMPLEXITY_LIMIT_EXCEEDED" {
		t.Fatalf("50 aliased searches with totalCount: got %q %.300s, want COMPLEXITY_LIMIT_EXCEEDED", code, r.body)
	}
	checkNoSQL(t, e)
	if r := edgePost(t, e, searches(2)); !r.hasData(t) {
		t.Fatalf("two searches: got %s, want data", r.body)
	}
}

// TestConnectionsPerRequestAreCapped: ten aliased counts in one request
// hold at most MaxConnsPerRequest connections at once. Another session
// locks the products table, so every statement the request sends waits in
// PostgreSQL holding its connection; pg_stat_activity shows how many do.
func TestConnectionsPerRequestAreCapped(t *testing.T) {
	e := edgeEnv(t, func(o *envConfig) { o.MaxConnsPerRequest = 2 })
	ctx := context.Background()
	tx, unlock := lockTable(t, e, "products")
	var db string
	if err := tx.QueryRowContext(ctx, "SELECT current_database()").Scan(&db); err != nil {
		t.Fatal(err)
	}
	// Statistics views are a snapshot within a transaction, and the pool
	// may be busy: sample from a connection of our own.
	admin, err := sql.Open("postgres", storetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	done := make(chan edgeReply, 1)
	go func() { done <- edgePost(t, e, searches(10)) }()
	// Sample the waiting statements until they have queued up for a
	// while; without the cap all ten queue (the pool has ten).
	most := 0
	for i := 0; i < 200 && most <= 2; i++ {
		var waiting int
		if err := admin.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`, db).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		most = max(most, waiting)
		time.Sleep(5 * time.Millisecond)
	}
	unlock()
	r := <-done
	if most > 2 || most == 0 {
		t.Fatalf("one request held %d connections at once, want at most 2", most)
	}
	if !r.hasData(t) || len(r.gql(t).Errors) > 0 || strings.Count(string(r.body), "totalCount") != 10 {
		t.Fatalf("ten counts: got %s, want every count", r.body)
	}
}
