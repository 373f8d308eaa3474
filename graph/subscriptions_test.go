package graph_test

import (
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// wsClient speaks graphql-transport-ws to a test server.
type wsClient struct {
	t *testing.T
	c *websocket.Conn
}

// dialWS connects to e's endpoint and completes connection_init with
// payload, which must be acknowledged.
func dialWS(t *testing.T, e *env, payload map[string]any) *wsClient {
	t.Helper()
	w := connectWS(t, e, payload)
	t.Cleanup(func() { w.c.CloseNow() })
	return w
}

// connectWS is dialWS leaving the closing to the caller.
func connectWS(t *testing.T, e *env, payload map[string]any) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(e.url, "http"), &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	w := &wsClient{t: t, c: c}
	w.send(map[string]any{"type": "connection_init", "payload": payload})
	if m := w.read(); m["type"] != "connection_ack" {
		t.Fatalf("after connection_init: got %v, want connection_ack", m)
	}
	return w
}

func (w *wsClient) send(m map[string]any) {
	w.t.Helper()
	b, _ := json.Marshal(m)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.c.Write(ctx, websocket.MessageText, b); err != nil {
		w.t.Fatalf("write: %v", err)
	}
}

// read returns the next message, failing the test after 30 s.
func (w *wsClient) read() map[string]any {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, b, err := w.c.Read(ctx)
	if err != nil {
		w.t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		w.t.Fatalf("message %s: %v", b, err)
	}
	return m
}

func (w *wsClient) subscribe(id, query string, vars map[string]any) {
	w.t.Helper()
	w.send(map[string]any{"id": id, "type": "subscribe", "payload": map[string]any{"query": query, "variables": vars}})
}

// next reads the next message, which must be a "next" for id, and returns
// its payload's data.
func (w *wsClient) next(id string) map[string]any {
	w.t.Helper()
	m := w.read()
	if m["type"] != "next" || m["id"] != id {
		w.t.Fatalf("got %v, want next for %s", m, id)
	}
	p, _ := m["payload"].(map[string]any)
	if p["errors"] != nil {
		w.t.Fatalf("next for %s carries errors: %v", id, p["errors"])
	}
	data, _ := p["data"].(map[string]any)
	return data
}

// refusal reads how the operation id was refused and returns its first
// error's code: an "error" message (a request error: invalid, over a
// limit), or a "next" with errors and no data (the field refused it: not
// found, forbidden) and then "complete".
func (w *wsClient) refusal(id string) string {
	w.t.Helper()
	m := w.read()
	var errs []any
	switch {
	case m["type"] == "error" && m["id"] == id:
		errs, _ = m["payload"].([]any)
	case m["type"] == "next" && m["id"] == id:
		p, _ := m["payload"].(map[string]any)
		if p["data"] != nil {
			w.t.Fatalf("refused %s: got data %v, want none", id, p["data"])
		}
		errs, _ = p["errors"].([]any)
		if c := w.read(); c["type"] != "complete" || c["id"] != id {
			w.t.Fatalf("after the refusal of %s: got %v, want complete", id, c)
		}
	default:
		w.t.Fatalf("got %v, want %s refused", m, id)
	}
	if len(errs) == 0 {
		w.t.Fatalf("refusal of %s without errors: %v", id, m)
	}
	first, _ := errs[0].(map[string]any)
	ext, _ := first["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return code
}

func (e *env) bearer(t *testing.T, u *ent.User) map[string]any {
	t.Helper()
	token, _, err := e.tokens.Issue(u)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]any{"Authorization": "Bearer " + token}
}

// TestSubscriptions: over a real WebSocket (graphql-transport-ws), on both
// databases: an order's customer hears of its cancellation through HTTP;
// another customer cannot subscribe to it (NOT_FOUND, as in a query); an
// anonymous storefront hears of stock bought, and sees only what anonymous
// viewers may (inStock); orderPlaced is for staff only, and staff hear of
// each new order. A checkout that fails (rolled back) delivers nothing:
// the next event is the next committed change.
func TestSubscriptions(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		e := newEnv(t, d)
		storetest.Listen(t, e.store)
		ctx := context.Background()
		variants := checkoutStock(t, e.store.Client, "live", 3)
		v := variants[0]
		customer := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
		other := e.store.Client.User.Create().SetEmail("o@example.com").SetName("O").SaveX(ctx)
		staff := e.store.Client.User.Create().SetEmail("s@example.com").SetName("S").SetRole(user.RoleSTAFF).SaveX(ctx)
		vid := relay.ToGlobalID("Variant", v.ID)
		pid := relay.ToGlobalID("Product", v.ProductID)
		place := func(as *ent.User, qty int) edgeReply {
			return edgePostJSON(t, e.as(t, as), map[string]any{
				"query":     `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id } } }`,
				"variables": map[string]any{"in": map[string]any{"lines": []any{map[string]any{"variantId": vid, "quantity": qty}}}},
			}, nil)
		}

		shop := dialWS(t, e, nil)
		shop.subscribe("inv", `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id sku inStock } }`, map[string]any{"p": []string{pid}})
		// First the variants as they are: the subscription is in place.
		for range variants {
			if got := shop.next("inv")["inventoryChanged"].(map[string]any); got["inStock"] != true {
				t.Fatalf("initial inventory: got %v, want in stock", got)
			}
		}
		desk := dialWS(t, e, e.bearer(t, staff))
		desk.subscribe("new", `subscription { orderPlaced { id status customer { email } } }`, nil)
		anon := dialWS(t, e, nil)
		anon.subscribe("new", `subscription { orderPlaced { id } }`, nil)
		if code := anon.refusal("new"); code != "FORBIDDEN" && code != "UNAUTHENTICATED" {
			t.Fatalf("anonymous orderPlaced: got %s, want FORBIDDEN", code)
		}
		// The hub has the two subscriptions before anything is changed,
		// and the staff socket's own (its token's revocations).
		waitFor(t, func() bool { return e.store.Events().Subscribers() == 3 })

		if r := place(customer, 10); r.code(t) != "OUT_OF_STOCK" {
			t.Fatalf("an order for more than the stock: got %s", r.body)
		}
		r := place(customer, 3)
		var placed struct {
			PlaceOrder struct{ Order struct{ ID string } } `json:"placeOrder"`
		}
		if err := json.Unmarshal(r.gql(t).Data, &placed); err != nil || placed.PlaceOrder.Order.ID == "" {
			t.Fatalf("placeOrder: %s", r.body)
		}
		oid := placed.PlaceOrder.Order.ID
		if got := shop.next("inv")["inventoryChanged"].(map[string]any); got["id"] != vid || got["inStock"] != false {
			t.Fatalf("inventory after the rolled-back and the committed checkout: got %v, want %s out of stock", got, vid)
		}
		if got := desk.next("new")["orderPlaced"].(map[string]any); got["id"] != oid || got["status"] != "PENDING" {
			t.Fatalf("orderPlaced: got %v, want %s PENDING", got, oid)
		}

		mine := dialWS(t, e, e.bearer(t, customer))
		mine.subscribe("o", `subscription($id: ID!) { orderUpdated(id: $id) { id status } }`, map[string]any{"id": oid})
		theirs := dialWS(t, e, e.bearer(t, other))
		theirs.subscribe("o", `subscription($id: ID!) { orderUpdated(id: $id) { id status } }`, map[string]any{"id": oid})
		if code := theirs.refusal("o"); code != "NOT_FOUND" {
			t.Fatalf("another customer's order: got %s, want NOT_FOUND", code)
		}
		if got := mine.next("o")["orderUpdated"].(map[string]any); got["id"] != oid || got["status"] != "PENDING" {
			t.Fatalf("orderUpdated's first event: got %v, want the order as it is (PENDING)", got)
		}
		r = edgePostJSON(t, e.as(t, customer), map[string]any{
			"query":     `mutation($id: ID!) { cancelOrder(input: {id: $id}) { order { status } } }`,
			"variables": map[string]any{"id": oid},
		}, nil)
		if !strings.Contains(string(r.body), "CANCELLED") {
			t.Fatalf("cancelOrder: %s", r.body)
		}
		if got := mine.next("o")["orderUpdated"].(map[string]any); got["status"] != "CANCELLED" {
			t.Fatalf("orderUpdated after the cancel: got %v, want CANCELLED", got)
		}
		if got := shop.next("inv")["inventoryChanged"].(map[string]any); got["inStock"] != true {
			t.Fatalf("inventory after the cancel: got %v, want back in stock", got)
		}
	})
}

// waitFor polls cond (a count the server reaches), failing after 30 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached within 30 s")
}

// TestSocketClosesWhenTokensRevoked: signing out (on any instance: the
// revocation is a change event) closes the sockets the account's tokens
// opened, with 4403; another account's socket stays open.
func TestSocketClosesWhenTokensRevoked(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		e := newEnv(t, d)
		storetest.Listen(t, e.store)
		ctx := context.Background()
		u := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
		other := e.store.Client.User.Create().SetEmail("o@example.com").SetName("O").SaveX(ctx)
		mine := dialWS(t, e, e.bearer(t, u))
		theirs := dialWS(t, e, e.bearer(t, other))
		waitFor(t, func() bool { return e.store.Events().Subscribers() == 2 })

		if r := edgePost(t, e.as(t, u), `mutation { signOut { signedOut } }`); !strings.Contains(string(r.body), `"signedOut":true`) {
			t.Fatalf("signOut: %s", r.body)
		}
		rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		_, _, err := mine.c.Read(rctx)
		if code := websocket.CloseStatus(err); code != 4403 {
			t.Fatalf("the signed-out account's socket: got %v (close status %d), want closed with 4403", err, code)
		}
		theirs.send(map[string]any{"type": "ping"})
		if m := theirs.read(); m["type"] != "pong" {
			t.Fatalf("another account's socket: got %v, want pong (still open)", m)
		}
	})
}

// TestSubscriptionSoak: 2,000 connect, subscribe, disconnect cycles leave
// nothing behind: the hub's subscriptions, the open sockets and the
// goroutines come back to where they were before (heap figures are in
// the closing note, not asserted: they depend on the collector).
func TestSubscriptionSoak(t *testing.T) {
	e := newEnv(t, "sqlite3")
	variants := checkoutStock(t, e.store.Client, "soak", 1)
	pid := relay.ToGlobalID("Product", variants[0].ProductID)
	// One cycle first: lazily started goroutines (the HTTP server's, the
	// pool's) belong to the baseline.
	cycle := func() {
		w := connectWS(t, e, nil)
		w.subscribe("1", `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id inStock } }`, map[string]any{"p": []string{pid}})
		w.next("1")
		w.c.Close(websocket.StatusNormalClosure, "")
	}
	cycle()
	waitFor(t, func() bool { return e.store.Events().Subscribers() == 0 })
	base := runtime.NumGoroutine()
	heap := func() uint64 {
		var m runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m)
		return m.HeapInuse
	}
	before := heap()
	for range 2000 {
		cycle()
	}
	waitFor(t, func() bool { return e.store.Events().Subscribers() == 0 })
	var now int
	waitFor(t, func() bool { now = runtime.NumGoroutine(); return now <= base })
	t.Logf("goroutines: %d before, %d after 2,000 cycles; heap in use %.1f MB before, %.1f MB after", base, now, float64(before)/1e6, float64(heap())/1e6)
}
