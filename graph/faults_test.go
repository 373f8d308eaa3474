package graph_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

// Faults the server must survive without blaming the client: a database
// that hangs, one that is gone, a SQLite writer's lock, a client that
// sends its body slowly. Each answer is coded, says whether to retry, and
// nobody is signed out by a fault that is not theirs.

// withTimeout sets the request deadline.
func withTimeout(d time.Duration) envOption {
	return func(o *envConfig) { o.Timeout = d }
}

// await runs send in the background and returns its reply, or fails the
// test if none comes within a minute (after calling unblock, so a request
// stuck behind a lock the test holds can finish).
func await(t *testing.T, unblock func(), send func() edgeReply) edgeReply {
	t.Helper()
	done := make(chan edgeReply, 1)
	go func() { done <- send() }()
	select {
	case r := <-done:
		return r
	case <-time.After(time.Minute):
		unblock()
		<-done
		t.Fatal("no answer while the database was blocked: the request waited for the database instead of its deadline")
		return edgeReply{}
	}
}

// lockTable takes an ACCESS EXCLUSIVE lock on table in a transaction of
// its own on e's database, so every statement that touches the table waits
// for it; unlock (idempotent, also run at the end of the test) ends it.
func lockTable(t *testing.T, e *env, table string) (*sql.Tx, func()) {
	t.Helper()
	ctx := context.Background()
	conn, err := e.store.DB.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, "LOCK TABLE "+table+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	unlock := func() { once.Do(func() { tx.Rollback(); conn.Close() }) }
	t.Cleanup(unlock)
	return tx, unlock
}

// openStore opens and migrates a store for cfg, closed when the test ends.
func openStore(t *testing.T, cfg store.Config) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestEdgeViewerLookupHonoursDeadline: while another session locks the
// users table, a signed-in request cannot load its viewer. It stops at its
// deadline like any other work, with 503 TIMEOUT, and does not sign the
// client out (no 401); once the lock is gone the same token works.
func TestEdgeViewerLookupHonoursDeadline(t *testing.T) {
	e := newEnv(t, dialect.Postgres, productionEdge, withTimeout(time.Second))
	signedIn := e.as(t, e.store.Client.User.Create().SetEmail("a@example.com").SetName("A").SaveX(context.Background()))
	_, unlock := lockTable(t, e, "users")
	defer unlock()

	r := await(t, unlock, func() edgeReply { return edgePost(t, signedIn, `{ viewer { id } }`) })
	if r.status != http.StatusServiceUnavailable || r.code(t) != "TIMEOUT" {
		t.Fatalf("signed-in request while users are locked: got %d %s, want 503 TIMEOUT:\n%s", r.status, r.code(t), r.body)
	}
	if r.header.Get("WWW-Authenticate") != "" || r.header.Get("Retry-After") == "" {
		t.Fatalf("got WWW-Authenticate %q and Retry-After %q, want none and a retry hint", r.header.Get("WWW-Authenticate"), r.header.Get("Retry-After"))
	}
	unlock()
	if r := edgePost(t, signedIn, `{ viewer { id } }`); r.status != http.StatusOK || !r.hasData(t) {
		t.Fatalf("after the lock: got %d:\n%s, want the viewer", r.status, r.body)
	}
}

// TestEdgeHangingDatabase: a database that hangs without closing its
// sockets (a frozen process; here a proxy that holds every byte) ignores
// the cancel requests lib/pq sends at the deadline, so the work stays
// blocked. The client is answered at the deadline anyway: signed-in and
// anonymous queries get 503 TIMEOUT with Retry-After (not 401), while the
// database is still frozen. A mutation keeps its own answer, since only it
// can say whether it committed: it fails with its path once the stuck
// connection gives up (store: silence past statement_timeout). When the
// database answers again, so does the server.
func TestEdgeHangingDatabase(t *testing.T) {
	proxy, dbURL := storetest.StartProxy(t, storetest.CreateDatabase(t))
	counter := &storetest.Counter{}
	st := openStore(t, store.Config{DatabaseURL: dbURL, WrapDriver: counter.Wrap, StatementCache: store.DefaultStatementCache,
		StatementTimeout: 200 * time.Millisecond})
	e := serveStore(t, st, counter, productionEdge, withTimeout(time.Second))
	signedIn := e.as(t, st.Client.User.Create().SetEmail("a@example.com").SetName("A").SaveX(context.Background()))
	if r := edgePost(t, signedIn, `{ viewer { id } }`); r.status != http.StatusOK {
		t.Fatalf("before the freeze: got %d:\n%s", r.status, r.body)
	}

	proxy.Freeze()
	thaw := sync.OnceFunc(proxy.Thaw)
	t.Cleanup(thaw)
	for _, c := range []struct {
		name string
		send func() edgeReply
	}{
		{"signed-in viewer", func() edgeReply { return edgePost(t, signedIn, `{ viewer { id } }`) }},
		{"anonymous products", func() edgeReply {
			return edgePost(t, e.anonymous(), `{ products(first: 3) { edges { node { id } } } }`)
		}},
	} {
		r := await(t, thaw, c.send)
		if r.status != http.StatusServiceUnavailable || r.code(t) != "TIMEOUT" || r.header.Get("Retry-After") == "" || r.header.Get("WWW-Authenticate") != "" {
			t.Fatalf("%s while the database hangs: got %d %s (Retry-After %q, WWW-Authenticate %q), want 503 TIMEOUT with Retry-After:\n%s",
				c.name, r.status, r.code(t), r.header.Get("Retry-After"), r.header.Get("WWW-Authenticate"), r.body)
		}
	}
	r := await(t, thaw, func() edgeReply {
		return edgePostJSON(t, e.anonymous(), map[string]any{"query": signUpMutation, "variables": map[string]any{"input": map[string]any{
			"email": "new@example.com", "password": "correct horse battery", "name": "New"}}}, nil)
	})
	var g edgeGQL
	if err := json.Unmarshal(r.body, &g); err != nil || len(g.Errors) == 0 || !strings.Contains(string(r.body), `"signUp":null`) ||
		fmt.Sprint(g.Errors[0].Path) != "[signUp]" {
		t.Fatalf("sign-up while the database hangs: got %d:\n%s\nwant its own result: signUp null and an error at its path", r.status, r.body)
	}
	if code := r.code(t); code != "UNAVAILABLE" && code != "TIMEOUT" {
		t.Fatalf("sign-up while the database hangs: got code %q, want UNAVAILABLE or TIMEOUT (retryable):\n%s", code, r.body)
	}

	thaw()
	if r := edgePost(t, signedIn, `{ viewer { id } }`); r.status != http.StatusOK || !r.hasData(t) {
		t.Fatalf("after the freeze: got %d:\n%s, want the viewer", r.status, r.body)
	}
	if len(e.logs.Lines(`"level":"ERROR"`)) > 0 {
		t.Fatalf("a hanging database was logged as an internal error:\n%s", e.logs.String())
	}
}

// TestEdgeDatabaseOutageIsRetryable: with the database unreachable, a
// signed-in request is not told its token is bad (which would send the
// client to a rate-limited sign-in): it gets 503 UNAVAILABLE with
// Retry-After. An anonymous query gets UNAVAILABLE too, not INTERNAL, and
// neither is logged as an internal error.
func TestEdgeDatabaseOutageIsRetryable(t *testing.T) {
	proxy, dbURL := storetest.StartProxy(t, storetest.CreateDatabase(t))
	counter := &storetest.Counter{}
	st := openStore(t, store.Config{DatabaseURL: dbURL, WrapDriver: counter.Wrap, StatementCache: store.DefaultStatementCache})
	e := serveStore(t, st, counter, productionEdge)
	signedIn := e.as(t, st.Client.User.Create().SetEmail("a@example.com").SetName("A").SaveX(context.Background()))
	if r := edgePost(t, signedIn, `{ viewer { id } }`); r.status != http.StatusOK {
		t.Fatalf("before the outage: got %d:\n%s", r.status, r.body)
	}

	proxy.Cut()
	r := edgePost(t, signedIn, `{ viewer { id } }`)
	if r.status != http.StatusServiceUnavailable || r.code(t) != "UNAVAILABLE" || r.header.Get("Retry-After") == "" {
		t.Fatalf("signed-in request during the outage: got %d %s (Retry-After %q), want 503 UNAVAILABLE with Retry-After:\n%s",
			r.status, r.code(t), r.header.Get("Retry-After"), r.body)
	}
	r = edgePost(t, e.anonymous(), `{ products(first: 1) { edges { node { id } } } }`)
	if got := r.code(t); got != "UNAVAILABLE" {
		t.Fatalf("anonymous query during the outage: got code %q, want UNAVAILABLE:\n%s", got, r.body)
	}
	if len(e.logs.Lines(`"level":"ERROR"`)) > 0 {
		t.Fatalf("an outage was logged as an internal error:\n%s", e.logs.String())
	}
}

// TestEdgeSQLiteLockIsRetryable: a SQLite write that cannot get the lock
// another writer holds fails as UNAVAILABLE (retry), not INTERNAL.
func TestEdgeSQLiteLockIsRetryable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shopgraph.db")
	counter := &storetest.Counter{}
	st := openStore(t, store.Config{SQLitePath: path, BusyTimeout: 200 * time.Millisecond, WrapDriver: counter.Wrap})
	e := serveStore(t, st, counter, productionEdge)

	// Another process's writer: its own pool on the same file.
	other, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(200)")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	r := edgePostJSON(t, e, map[string]any{"query": signUpMutation, "variables": map[string]any{"input": map[string]any{
		"email": "new@example.com", "password": "correct horse battery", "name": "New"}}}, nil)
	if got := r.code(t); got != "UNAVAILABLE" {
		t.Fatalf("sign-up while another writer holds the lock: got code %q, want UNAVAILABLE:\n%s", got, r.body)
	}
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	if len(e.logs.Lines(`"level":"ERROR"`)) > 0 {
		t.Fatalf("a held lock was logged as an internal error:\n%s", e.logs.String())
	}
}

// TestEdgeSlowBody: a client that sends its headers and then trickles (or
// stops sending) its body is answered 408 REQUEST_TIMEOUT at the read
// timeout, instead of holding the connection for as long as it likes.
func TestEdgeSlowBody(t *testing.T) {
	e := newEnv(t, dialect.Postgres, productionEdge, func(o *envConfig) { o.ReadTimeout = time.Second })
	// Half a body, then nothing.
	raw := rawPost(t, e.url, "", 100, `{"query": "{ products`)
	if !strings.HasPrefix(raw, "HTTP/1.1 408") || !strings.Contains(raw, `"REQUEST_TIMEOUT"`) {
		t.Fatalf("stalled body: got\n%.500s\nwant 408 REQUEST_TIMEOUT", raw)
	}
}
