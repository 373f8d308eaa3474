package graph_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent/seed"
)

// TestPlansUseIndexes proves the main list, filter, search and nested
// queries can be answered from indexes on PostgreSQL. Every statement the API
// sends for them is EXPLAINed with enable_seqscan off: the planner then uses
// any index that can serve a scan, so a remaining "Seq Scan" means no index
// could, and at a million rows that scan is what a client would wait for.
func TestPlansUseIndexes(t *testing.T) {
	e := newEnv(t, dialect.Postgres)
	ctx := context.Background()
	if _, err := seed.Scale(ctx, e.store, 2000, nil); err != nil {
		t.Fatalf("seed: got error %v, want nil", err)
	}
	if _, err := e.store.DB.ExecContext(ctx, "ANALYZE"); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	noSeqScan := func(t *testing.T, stmt, plan string) {
		if strings.Contains(plan, "Seq Scan") {
			t.Errorf("got a sequential scan, want none, in the plan of\n%s\n%s", stmt, plan)
		}
	}
	// Staff see every row; shoppers' queries carry the row-level rules
	// (ACTIVE products only, own orders only), which must be indexed too.
	for _, viewer := range []string{"staff@shopgraph.dev", "customer@shopgraph.dev", ""} {
		t.Run("viewer="+viewer, func(t *testing.T) {
			v := e
			if viewer != "" {
				v = e.as(t, e.user(t, viewer))
			}
			explainQueries(t, v, "EXPLAIN", "SET enable_seqscan = off", noSeqScan)
		})
	}
}

// TestScalePlans prints EXPLAIN ANALYZE of the same statements on a large
// database made by `server seed --scale N`, with the planner's own choices:
//
//	SCALE_DATABASE_URL=postgres://…/shopgraph_scale go test ./graph -run TestScalePlans -v
func TestScalePlans(t *testing.T) {
	url := os.Getenv("SCALE_DATABASE_URL")
	if url == "" {
		t.Skip("SCALE_DATABASE_URL not set")
	}
	base := existingEnv(t, url)
	for _, viewer := range []string{"staff@shopgraph.dev", ""} {
		t.Run("viewer="+viewer, func(t *testing.T) {
			e := base
			if viewer != "" {
				e = base.as(t, base.user(t, viewer))
			}
			scalePlans(t, e)
		})
	}
}

// scalePlans fails t on a sequential scan of a large table in the plan of
// any statement the main queries send.
func scalePlans(t *testing.T, e *env) {
	t.Helper()
	explainQueries(t, e, "EXPLAIN (ANALYZE, BUFFERS)", "", func(t *testing.T, stmt, plan string) {
		// totalCount reads every matching row by definition; for a broad
		// filter PostgreSQL rightly finds a parallel scan cheapest.
		if strings.HasPrefix(stmt, "SELECT COUNT(") || strings.Contains(stmt, `AS "root_id", COUNT(*)`) {
			return
		}
		if strings.Contains(plan, "Seq Scan on products") || strings.Contains(plan, "Seq Scan on variants") ||
			strings.Contains(plan, "Seq Scan on reviews") || strings.Contains(plan, "Seq Scan on orders") {
			t.Errorf("got a sequential scan of a large table, want none, in the plan of\n%s\n%s", stmt, plan)
		}
	})
}

// explainQueries runs the main queries through the API, then explains every
// statement they sent, after setup on the same connection, and hands each
// plan to check.
func explainQueries(t *testing.T, e *env, explain, setup string, check func(t *testing.T, stmt, plan string)) {
	t.Helper()
	ctx := context.Background()
	var first struct {
		Products struct {
			PageInfo struct{ EndCursor string }
			Edges    []struct{ Node struct{ Slug string } }
		}
		Categories []struct{ Slug string }
		Orders     struct {
			Edges []struct{ Node struct{ Number string } }
		}
	}
	staff := e.as(t, e.user(t, "staff@shopgraph.dev"))
	staff.mustQuery(t, `{ products(first: 5, orderBy: {field: PRICE}) { pageInfo { endCursor } edges { node { slug } } }
		categories { slug } orders(first: 1) { edges { node { number } } } }`, nil, &first)

	queries := map[string]string{
		"newest products":      `{ products(first: 20) { totalCount edges { node { title } } } }`,
		"products by price":    `{ products(first: 20, orderBy: {field: PRICE, direction: ASC}) { edges { node { title } } } }`,
		"products by rating":   `{ products(first: 20, orderBy: {field: RATING, direction: DESC}) { edges { node { title } } } }`,
		"products by title":    `{ products(first: 20, orderBy: {field: TITLE}) { edges { node { title } } } }`,
		"second page by price": fmt.Sprintf(`{ products(first: 20, after: %q, orderBy: {field: PRICE}) { edges { node { title } } } }`, first.Products.PageInfo.EndCursor),
		"last page":            `{ products(last: 20) { edges { node { title } } } }`,
		"search":               `{ products(first: 20, filter: {search: "wool"}) { totalCount edges { node { title } } } }`,
		"category subtree":     fmt.Sprintf(`{ products(first: 20, filter: {category: %q}) { totalCount edges { node { title } } } }`, first.Categories[0].Slug),
		"price and stock":      `{ products(first: 20, filter: {price: {min: 1000, max: 5000}, inStock: true, status: [ACTIVE]}) { totalCount edges { node { title } } } }`,
		"product by slug":      fmt.Sprintf(`{ product(slug: %q) { title } }`, first.Products.Edges[0].Node.Slug),
		"order by number":      fmt.Sprintf(`{ order(number: %q) { total { amount } } }`, first.Orders.Edges[0].Node.Number),
		"catalog nested":       catalogQuery,
		"orders nested":        ordersQuery,
		"category tree":        `{ categories { children { name ancestors { name } products(first: 5) { totalCount edges { node { title } } } } } }`,
		"users":                `{ users(first: 20, orderBy: {field: EMAIL}) { totalCount edges { node { email reviews(first: 2) { totalCount edges { node { rating } } } } } } }`,
		"own orders":           `{ viewer { orders(first: 10) { totalCount edges { node { number total { amount } lines { quantity variant { sku } } } } } } }`,
	}
	for name, q := range queries {
		t.Run(name, func(t *testing.T) {
			e.counter.Reset()
			// Fields a viewer may not see fail or are null; whatever
			// statements the rest sent are explained.
			e.query(t, q, nil)
			stmts := e.counter.Statements()
			if len(stmts) == 0 {
				t.Skip("no statements for this viewer")
			}
			conn, err := e.store.DB.Conn(ctx)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			defer conn.Close()
			if setup != "" {
				if _, err := conn.ExecContext(ctx, setup); err != nil {
					t.Fatalf("got error %v, want nil", err)
				}
			}
			for _, s := range stmts {
				rows, err := conn.QueryContext(ctx, explain+" "+s.Query, s.Args...)
				if err != nil {
					t.Fatalf("explain %s: got error %v, want nil", s.Query, err)
				}
				var plan []string
				for rows.Next() {
					var line string
					rows.Scan(&line)
					plan = append(plan, line)
				}
				rows.Close()
				text := strings.Join(plan, "\n")
				check(t, s.Query, text)
				t.Logf("%s\n%s", s.Query, text)
			}
		})
	}
}
