package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/lib/pq"

	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

// TestStatementTimeout: with Config.StatementTimeout every connection of
// the pool carries PostgreSQL's statement_timeout, so the server itself
// stops a statement that outlives it even when no context cancel reaches
// it (here: none is sent at all); that stop is a retryable fault
// (Unavailable), not an internal error. A statement_timeout already in the
// URL wins, and the migrations' own pool has none.
func TestStatementTimeout(t *testing.T) {
	ctx := context.Background()
	dbURL := storetest.CreateDatabase(t)
	open := func(rawURL string, d time.Duration) *store.Store {
		t.Helper()
		st, err := store.Open(ctx, store.Config{DatabaseURL: rawURL, MaxOpenConns: 2, StatementTimeout: d})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}
	show := func(st *store.Store) string {
		t.Helper()
		var v string
		if err := st.DB.QueryRowContext(ctx, "SHOW statement_timeout").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}

	st := open(dbURL, 250*time.Millisecond)
	if got := show(st); got != "250ms" {
		t.Fatalf("statement_timeout of the pool: got %q, want 250ms", got)
	}
	// context.Background: lib/pq never sends a cancel, only the server's
	// own timeout can end this.
	_, err := st.DB.ExecContext(ctx, "SELECT pg_sleep(30)")
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) || pqErr.Code != "57014" {
		t.Fatalf("a statement past the timeout: got error %v, want query_canceled (57014)", err)
	}
	if !store.Unavailable(err) {
		t.Fatalf("Unavailable(%v): got false, want true (retryable, not the client's fault)", err)
	}
	if _, err := st.DB.ExecContext(ctx, "SELECT pg_sleep(0.01)"); err != nil {
		t.Fatalf("a statement within the timeout: got error %v, want nil", err)
	}

	if got := show(open(dbURL+"&statement_timeout=7000", time.Second)); got != "7s" {
		t.Fatalf("statement_timeout given in the URL: got %q, want 7s (the URL wins)", got)
	}
	if got := show(open(dbURL, 0)); got != "0" {
		t.Fatalf("no StatementTimeout: got %q, want 0 (the server's default)", got)
	}
	// Migrations (index builds on big tables) must not inherit it.
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatalf("migrate with a 250ms pool timeout: got error %v, want nil", err)
	}
}

// TestHangingDatabaseDropsTheConnection: a database that hangs without
// closing its sockets (the proxy holds everything) cannot hold a pool
// connection forever. With no context cancel at all, and the cancel
// request lib/pq would send lost in the same hang, a statement fails once
// the connection has been silent past its statement_timeout and a margin,
// as a retryable fault; the connection is dropped, and once the database
// answers again the pool serves on new ones.
func TestHangingDatabaseDropsTheConnection(t *testing.T) {
	ctx := context.Background()
	proxy, dbURL := storetest.StartProxy(t, storetest.CreateDatabase(t))
	st, err := store.Open(ctx, store.Config{DatabaseURL: dbURL, MaxOpenConns: 2, StatementTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })

	proxy.Freeze()
	failed := make(chan error, 1)
	go func() {
		_, err := st.DB.ExecContext(ctx, "SELECT 1")
		failed <- err
	}()
	select {
	case err := <-failed:
		if err == nil || !store.Unavailable(err) {
			t.Fatalf("a statement on a hanging database: got error %v, want a retryable (Unavailable) one", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("a statement on a hanging database was still waiting after a minute: the connection never gives up")
	}
	proxy.Thaw()
	if _, err := st.DB.ExecContext(ctx, "SELECT 1"); err != nil {
		t.Fatalf("after the hang: got error %v, want the pool to serve again", err)
	}
}
