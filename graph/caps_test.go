package graph_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// TestSocketClosesAtTokenExpiry: a socket whose connection_init carried a
// token closes when the token expires, with 4403 "token expired" (the
// protocol's Forbidden; graphql-ws does not retry it with the same
// token), on both databases, its running subscription with it.
func TestSocketClosesAtTokenExpiry(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		e := newEnv(t, d)
		ctx := context.Background()
		v := checkoutStock(t, e.store.Client, "exp", 1)[0]
		u := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
		oid := placeOrderAs(t, e, u, v, 1)
		w := dialWS(t, e, map[string]any{"Authorization": shortToken(t, e, u)})
		w.subscribe("o", orderUpdatedSub, map[string]any{"id": oid})
		w.next("o")
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, _, err := w.c.Read(rctx)
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Code != 4403 || ce.Reason != "token expired" {
			t.Fatalf("at expiry: got %v, want close 4403 \"token expired\"", err)
		}
		waitFor(t, func() bool { return e.handler.Open() == graph.Occupancy{} })
	})
}

// TestSubscriptionCapPerUser: one user's subscriptions are capped across
// connections and transports: two WebSockets hold the cap between them;
// the next subscribe on either gets an error message (RATE_LIMITED) and
// its socket stays open; an SSE subscription is 429 with Retry-After. A
// completed subscription frees its place at once. Queries do not count.
func TestSubscriptionCapPerUser(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		e := newEnv(t, d, withOptions(func(o *graph.Options) { o.MaxSubscriptionsPerUser = 2 }))
		ctx := context.Background()
		v := checkoutStock(t, e.store.Client, "cap", 1)[0]
		u := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
		other := e.store.Client.User.Create().SetEmail("o@example.com").SetName("O").SaveX(ctx)
		oid := placeOrderAs(t, e, u, v, 1)
		vars := map[string]any{"id": oid}

		one := dialWS(t, e, e.bearer(t, u))
		two := dialWS(t, e, e.bearer(t, u))
		one.subscribe("a", orderUpdatedSub, vars)
		one.next("a")
		two.subscribe("b", orderUpdatedSub, vars)
		two.next("b")
		one.subscribe("c", orderUpdatedSub, vars)
		if code := one.refusal("c"); code != "RATE_LIMITED" {
			t.Fatalf("third subscription on a socket: got %s, want RATE_LIMITED", code)
		}
		one.send(map[string]any{"type": "ping"})
		if m := one.read(); m["type"] != "pong" {
			t.Fatalf("the refused subscriber's socket: got %v, want pong (still open)", m)
		}
		// A query is no subscription: it runs.
		one.subscribe("q", `query($id: ID!) { node(id: $id) { id } }`, vars)
		if got := one.next("q")["node"].(map[string]any); got["id"] != oid {
			t.Fatalf("query at the cap: got %v", got)
		}
		if m := one.read(); m["type"] != "complete" || m["id"] != "q" {
			t.Fatalf("after the query: got %v, want complete", m)
		}
		s := openSSE(t, e, authz(t, e, u), orderUpdatedSub, vars)
		if s.res.StatusCode != http.StatusTooManyRequests || retryAfter(s.res.Header) <= 0 || s.bodyCode() != "RATE_LIMITED" {
			t.Fatalf("SSE at the cap: got HTTP %d Retry-After %q, want 429 RATE_LIMITED with Retry-After", s.res.StatusCode, s.res.Header.Get("Retry-After"))
		}
		// Another user has caps of their own.
		theirs := openSSE(t, e, authz(t, e, other), `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id } }`,
			map[string]any{"p": []string{relay.ToGlobalID("Product", v.ProductID)}})
		theirs.result("inventoryChanged")
		// Completing one frees its place before the next message is read.
		one.send(map[string]any{"id": "a", "type": "complete"})
		one.subscribe("d", orderUpdatedSub, vars)
		one.next("d")
		if got := e.handler.Open().Subscriptions; got != 3 {
			t.Fatalf("subscriptions: got %d, want 3 (2 of the user's, 1 of the other)", got)
		}
		one.c.Close(websocket.StatusNormalClosure, "")
		two.c.Close(websocket.StatusNormalClosure, "")
		theirs.close()
		waitFor(t, func() bool { return e.handler.Open() == graph.Occupancy{} })
	})
}

// TestConnectionCapPerClient: a client's open WebSockets and SSE streams
// are capped together: over the cap a WebSocket upgrade is refused with
// 429 and Retry-After (before the upgrade), an SSE request with 429
// RATE_LIMITED. Anonymous clients are counted by address, signed-in SSE
// streams by user. After many open and close cycles of both, nothing is
// counted.
func TestConnectionCapPerClient(t *testing.T) {
	e := newEnv(t, "sqlite3", withOptions(func(o *graph.Options) { o.MaxConnectionsPerClient = 2 }))
	storetest.Listen(t, e.store)
	ctx := context.Background()
	v := checkoutStock(t, e.store.Client, "conns", 1)[0]
	u := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
	pid := relay.ToGlobalID("Product", v.ProductID)
	inventory := `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id } }`
	pvars := map[string]any{"p": []string{pid}}
	wsURL := "ws" + strings.TrimPrefix(e.url, "http")

	sock := dialWS(t, e, nil)
	stream := openSSE(t, e, "", inventory, pvars)
	stream.result("inventoryChanged")
	if got := e.handler.Open().Connections; got != 2 {
		t.Fatalf("connections: got %d, want 2", got)
	}
	dctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	_, res, err := websocket.Dial(dctx, wsURL, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err == nil || res == nil || res.StatusCode != http.StatusTooManyRequests || retryAfter(res.Header) <= 0 {
		t.Fatalf("a third connection (WebSocket): got %v, response %+v, want HTTP 429 with Retry-After", err, res)
	}
	if s := openSSE(t, e, "", inventory, pvars); s.res.StatusCode != http.StatusTooManyRequests || s.bodyCode() != "RATE_LIMITED" {
		t.Fatalf("a third connection (SSE): got HTTP %d, want 429 RATE_LIMITED", s.res.StatusCode)
	}
	// A signed-in stream is its user's, not the address's.
	mine := openSSE(t, e, authz(t, e, u), inventory, pvars)
	mine.result("inventoryChanged")
	mine.close()
	sock.c.Close(websocket.StatusNormalClosure, "")
	stream.close()
	waitFor(t, func() bool { return e.handler.Open() == graph.Occupancy{} })

	for range 50 {
		w := connectWS(t, e, nil)
		w.subscribe("1", inventory, pvars)
		w.next("1")
		s := openSSE(t, e, "", inventory, pvars)
		s.result("inventoryChanged")
		w.c.Close(websocket.StatusNormalClosure, "")
		s.close()
		// Each cycle fits the cap of 2 only if the last one released
		// everything.
		waitFor(t, func() bool { return e.handler.Open() == graph.Occupancy{} })
	}
	if got := e.handler.Open(); got != (graph.Occupancy{}) {
		t.Fatalf("after 50 cycles: got %+v, want nothing open", got)
	}
	waitFor(t, func() bool { return e.store.Events().Subscribers() == 0 })
}
