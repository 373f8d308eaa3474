package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/ent/category"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

// TestReadsArePrepared: on PostgreSQL a read the API repeats runs as a
// statement prepared once on the connection, not re-parsed each time
// (pg_prepared_statements lists it); texts beyond the cache's size still
// run, unprepared; and a bad statement reports the database's own error.
func TestReadsArePrepared(t *testing.T) {
	ctx := context.Background()
	// One connection, so the session pg_prepared_statements describes is
	// the one the queries ran on.
	st, err := store.Open(ctx, store.Config{DatabaseURL: storetest.CreateDatabase(t), MaxOpenConns: 1, StatementCache: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	c := st.Client
	c.Category.Create().SetName("Shoes").SetSlug("shoes").SaveX(ctx)

	prepared := func() []string {
		t.Helper()
		rows, err := st.DB.QueryContext(ctx, "SELECT statement FROM pg_prepared_statements")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	has := func(stmts []string, table string) int {
		n := 0
		for _, s := range stmts {
			if strings.Contains(s, `FROM "`+table+`"`) {
				n++
			}
		}
		return n
	}

	for range 3 {
		if got := c.Category.Query().Where(category.Slug("shoes")).OnlyX(ctx); got.Name != "Shoes" {
			t.Fatalf("got category %q", got.Name)
		}
	}
	if n := has(prepared(), "categories"); n != 1 {
		t.Fatalf("after three identical reads: %d prepared category statements, want 1: %q", n, prepared())
	}

	// The second text fills the cache of 2; a third runs unprepared.
	if n := c.User.Query().CountX(ctx); n != 0 {
		t.Fatalf("users: %d", n)
	}
	if n := c.Product.Query().CountX(ctx); n != 0 {
		t.Fatalf("products: %d", n)
	}
	stmts := prepared()
	if has(stmts, "users") != 1 || has(stmts, "products") != 0 {
		t.Fatalf("with a cache of 2: prepared %q, want users but not products", stmts)
	}

	_, err = c.QueryContext(ctx, "SELECT no_such_column FROM categories")
	if err == nil || !strings.Contains(err.Error(), "no_such_column") {
		t.Fatalf("bad statement: got %v, want the database's error naming the column", err)
	}
}
