package graph_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// sseStream is one GraphQL-over-SSE request as the graphql-sse client
// makes it in distinct connections mode: a POST accepting
// text/event-stream, its events read one by one.
type sseStream struct {
	t      *testing.T
	res    *http.Response
	events *bufio.Reader
	close  context.CancelFunc
}

// sseEvent is one event of a stream; data is decoded JSON (nil without).
type sseEvent struct {
	name string
	data map[string]any
}

// openSSE posts query to e's endpoint over SSE with the Authorization
// header authz (none if ""). The stream is closed at the end of the test,
// or by close; reading it fails after a minute.
func openSSE(t *testing.T, e *env, authz, query string, vars map[string]any) *sseStream {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Accept", "text/event-stream")
	if authz != "" {
		req.Header.Set("Authorization", authz)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("SSE request: %v", err)
	}
	s := &sseStream{t: t, res: res, events: bufio.NewReader(res.Body), close: func() { cancel(); res.Body.Close() }}
	t.Cleanup(s.close)
	return s
}

// next returns the next event (comments skipped); ok is false once the
// stream has ended.
func (s *sseStream) next() (ev sseEvent, ok bool) {
	s.t.Helper()
	var data string
	for {
		line, err := s.events.ReadString('\n')
		if errors.Is(err, io.EOF) && line == "" {
			return sseEvent{}, false
		}
		if err != nil {
			s.t.Fatalf("read the stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case line == "":
			if ev.name == "" && data == "" {
				continue // after a comment
			}
			if data != "" {
				if err := json.Unmarshal([]byte(data), &ev.data); err != nil {
					s.t.Fatalf("event data %q: %v", data, err)
				}
			}
			return ev, true
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			ev.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
		}
	}
}

// result reads the next event, which must be a next without errors, and
// returns its data's field.
func (s *sseStream) result(field string) map[string]any {
	s.t.Helper()
	ev, ok := s.next()
	if !ok || ev.name != "next" || ev.data["errors"] != nil {
		s.t.Fatalf("got %+v (stream open: %v), want a next event without errors", ev, ok)
	}
	data, _ := ev.data["data"].(map[string]any)
	got, _ := data[field].(map[string]any)
	return got
}

// refusal reads a refused operation's next event (errors, no data) and
// its complete, and returns the first error's code.
func (s *sseStream) refusal() string {
	s.t.Helper()
	ev, ok := s.next()
	if !ok || ev.name != "next" || ev.data["data"] != nil {
		s.t.Fatalf("got %+v (stream open: %v), want a next event with errors only", ev, ok)
	}
	code := firstCode(ev.data)
	if c, ok := s.next(); !ok || c.name != "complete" {
		s.t.Fatalf("after the refusal: got %+v (stream open: %v), want complete", c, ok)
	}
	return code
}

// cut reads a stream ended by the server without complete, after a last
// next whose error's code and message it returns ("", "" without one).
func (s *sseStream) cut() (code, message string) {
	s.t.Helper()
	for {
		ev, ok := s.next()
		if !ok {
			return code, message
		}
		if ev.name == "complete" {
			s.t.Fatalf("got complete, want the stream cut without it")
		}
		if ev.data["errors"] != nil {
			code = firstCode(ev.data)
			errs, _ := ev.data["errors"].([]any)
			first, _ := errs[0].(map[string]any)
			message, _ = first["message"].(string)
		}
	}
}

func firstCode(result map[string]any) string {
	errs, _ := result["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	first, _ := errs[0].(map[string]any)
	ext, _ := first["extensions"].(map[string]any)
	code, _ := ext["code"].(string)
	return code
}

// bodyCode reads a non-stream answer's first error code.
func (s *sseStream) bodyCode() string {
	s.t.Helper()
	var out map[string]any
	if err := json.NewDecoder(s.res.Body).Decode(&out); err != nil {
		s.t.Fatalf("HTTP %d body: %v", s.res.StatusCode, err)
	}
	return firstCode(out)
}

func authz(t *testing.T, e *env, u *ent.User) string {
	t.Helper()
	return e.bearer(t, u)["Authorization"].(string)
}

const orderUpdatedSub = `subscription($id: ID!) { orderUpdated(id: $id) { id status } }`

// placeOrderAs places an order of qty of v as u and returns its global ID.
func placeOrderAs(t *testing.T, e *env, u *ent.User, v *ent.Variant, qty int) string {
	t.Helper()
	r := edgePostJSON(t, e.as(t, u), map[string]any{
		"query":     `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id } } }`,
		"variables": map[string]any{"in": map[string]any{"lines": []any{map[string]any{"variantId": relay.ToGlobalID("Variant", v.ID), "quantity": qty}}}},
	}, nil)
	var placed struct {
		PlaceOrder struct{ Order struct{ ID string } } `json:"placeOrder"`
	}
	if err := json.Unmarshal(r.gql(t).Data, &placed); err != nil || placed.PlaceOrder.Order.ID == "" {
		t.Fatalf("placeOrder: %s", r.body)
	}
	return placed.PlaceOrder.Order.ID
}

func cancelOrderAs(t *testing.T, e *env, u *ent.User, oid string) {
	t.Helper()
	r := edgePostJSON(t, e.as(t, u), map[string]any{
		"query":     `mutation($id: ID!) { cancelOrder(input: {id: $id}) { order { status } } }`,
		"variables": map[string]any{"id": oid},
	}, nil)
	if !strings.Contains(string(r.body), "CANCELLED") {
		t.Fatalf("cancelOrder: %s", r.body)
	}
}

// shortToken is a token for u that the server accepts until about two
// seconds from now, real time: the streams it opens end then.
func shortToken(t *testing.T, e *env, u *ent.User) string {
	t.Helper()
	now := e.clock.Now()
	claims := tokenClaims(now, u.ID)
	claims["exp"] = time.Now().Add(2 * time.Second).Unix()
	claims["ver"] = u.TokenVersion
	return "Bearer " + signToken(t, jwt.SigningMethodHS256, testKey, claims)
}

// TestSSE: GraphQL over SSE as the graphql-sse client speaks it, on both
// databases, with a request deadline and body read timeout far shorter
// than the streams: the owner of an order hears of its cancellation
// through HTTP; another customer's order is NOT_FOUND and an anonymous
// subscriber UNAUTHENTICATED (a next with the error, then complete); a
// bad token is 401 as on any request; a query over SSE is one next, then
// complete. Everything it held is released afterwards.
func TestSSE(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		e := newEnv(t, d, withOptions(func(o *graph.Options) {
			o.Timeout = 300 * time.Millisecond
			o.ReadTimeout = 300 * time.Millisecond
		}))
		storetest.Listen(t, e.store)
		ctx := context.Background()
		v := checkoutStock(t, e.store.Client, "sse", 1)[0]
		customer := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
		other := e.store.Client.User.Create().SetEmail("o@example.com").SetName("O").SaveX(ctx)
		oid := placeOrderAs(t, e, customer, v, 1)

		t.Run("OwnerHearsCancel", func(t *testing.T) {
			s := openSSE(t, e, authz(t, e, customer), orderUpdatedSub, map[string]any{"id": oid})
			if got := s.res.Header.Get("Content-Type"); got != "text/event-stream" {
				t.Fatalf("Content-Type: got %q, want text/event-stream", got)
			}
			if got := s.result("orderUpdated"); got["id"] != oid || got["status"] != "PENDING" {
				t.Fatalf("first event: got %v, want %s PENDING", got, oid)
			}
			// Past the request deadline and the body's read timeout: the
			// stream is not a request, neither may cut it.
			time.Sleep(time.Second)
			cancelOrderAs(t, e, customer, oid)
			if got := s.result("orderUpdated"); got["status"] != "CANCELLED" {
				t.Fatalf("after the cancel: got %v, want CANCELLED", got)
			}
		})
		t.Run("OtherCustomerNotFound", func(t *testing.T) {
			s := openSSE(t, e, authz(t, e, other), orderUpdatedSub, map[string]any{"id": oid})
			if code := s.refusal(); code != "NOT_FOUND" {
				t.Fatalf("got %s, want NOT_FOUND", code)
			}
		})
		t.Run("AnonymousUnauthenticated", func(t *testing.T) {
			s := openSSE(t, e, "", orderUpdatedSub, map[string]any{"id": oid})
			if code := s.refusal(); code != "UNAUTHENTICATED" {
				t.Fatalf("got %s, want UNAUTHENTICATED", code)
			}
		})
		t.Run("InvalidToken401", func(t *testing.T) {
			s := openSSE(t, e, "Bearer not-a-token", orderUpdatedSub, map[string]any{"id": oid})
			if s.res.StatusCode != http.StatusUnauthorized || s.bodyCode() != "UNAUTHENTICATED" {
				t.Fatalf("got HTTP %d, want 401 UNAUTHENTICATED", s.res.StatusCode)
			}
		})
		t.Run("QueryCompletes", func(t *testing.T) {
			s := openSSE(t, e, "", `query($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": relay.ToGlobalID("Variant", v.ID)})
			if got := s.result("node"); got["id"] != relay.ToGlobalID("Variant", v.ID) {
				t.Fatalf("node: got %v", got)
			}
			if ev, ok := s.next(); !ok || ev.name != "complete" {
				t.Fatalf("after the result: got %+v (open: %v), want complete", ev, ok)
			}
		})
		waitFor(t, func() bool { return e.handler.Open() == graph.Occupancy{} })
		waitFor(t, func() bool { return e.store.Events().Subscribers() == 0 })
	})
}

// TestSSEEndsWithSession: a stream ends when its token expires and when
// the account's tokens are revoked, with a last next saying why
// (UNAUTHENTICATED) and no complete, so that graphql-sse reconnects
// (with a fresh token) instead of taking the subscription for finished.
func TestSSEEndsWithSession(t *testing.T) {
	eachDialect(t, func(t *testing.T, d string) {
		e := newEnv(t, d)
		storetest.Listen(t, e.store)
		ctx := context.Background()
		v := checkoutStock(t, e.store.Client, "sess", 1)[0]
		u := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
		oid := placeOrderAs(t, e, u, v, 1)

		t.Run("TokenExpires", func(t *testing.T) {
			s := openSSE(t, e, shortToken(t, e, u), orderUpdatedSub, map[string]any{"id": oid})
			s.result("orderUpdated")
			if code, msg := s.cut(); code != "UNAUTHENTICATED" || msg != "token expired" {
				t.Fatalf("at expiry: got %s %q, want UNAUTHENTICATED \"token expired\"", code, msg)
			}
		})
		t.Run("TokensRevoked", func(t *testing.T) {
			s := openSSE(t, e, authz(t, e, u), orderUpdatedSub, map[string]any{"id": oid})
			s.result("orderUpdated")
			if r := edgePost(t, e.as(t, u), `mutation { signOut { signedOut } }`); !strings.Contains(string(r.body), `"signedOut":true`) {
				t.Fatalf("signOut: %s", r.body)
			}
			if code, msg := s.cut(); code != "UNAUTHENTICATED" || msg != "access token revoked" {
				t.Fatalf("at revocation: got %s %q, want UNAUTHENTICATED \"access token revoked\"", code, msg)
			}
		})
		waitFor(t, func() bool { return e.handler.Open() == graph.Occupancy{} })
	})
}

// TestSSEShutdown: Handler.Shutdown ends every stream (without complete,
// so clients reconnect elsewhere) and returns once they have; nothing is
// left behind (the hub's subscriptions, the counts, the goroutines), and
// a stream asked for afterwards is 503.
func TestSSEShutdown(t *testing.T) {
	e := newEnv(t, "sqlite3")
	ctx := context.Background()
	v := checkoutStock(t, e.store.Client, "down", 1)[0]
	u := e.store.Client.User.Create().SetEmail("c@example.com").SetName("C").SaveX(ctx)
	oid := placeOrderAs(t, e, u, v, 1)
	pid := relay.ToGlobalID("Product", v.ProductID)
	// One stream first: lazily started goroutines belong to the baseline.
	warm := openSSE(t, e, "", `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id } }`, map[string]any{"p": []string{pid}})
	warm.result("inventoryChanged")
	warm.close()
	waitFor(t, func() bool { return e.handler.Open() == graph.Occupancy{} })
	http.DefaultClient.CloseIdleConnections()
	base := runtime.NumGoroutine()

	var streams []*sseStream
	for range 3 {
		s := openSSE(t, e, authz(t, e, u), orderUpdatedSub, map[string]any{"id": oid})
		s.result("orderUpdated")
		streams = append(streams, s)
	}
	shop := openSSE(t, e, "", `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id } }`, map[string]any{"p": []string{pid}})
	shop.result("inventoryChanged")
	streams = append(streams, shop)
	if got := e.handler.Open(); got != (graph.Occupancy{Subscriptions: 4, Connections: 4}) {
		t.Fatalf("open: got %+v, want 4 subscriptions and 4 connections", got)
	}
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := e.handler.Shutdown(sctx); err != nil {
		t.Fatalf("Shutdown: got %v, want nil", err)
	}
	for i, s := range streams {
		if code, _ := s.cut(); code != "" {
			t.Fatalf("stream %d: got a last error %s, want the stream just cut", i, code)
		}
	}
	if got := e.handler.Open(); got != (graph.Occupancy{}) {
		t.Fatalf("open after Shutdown: got %+v, want nothing", got)
	}
	waitFor(t, func() bool { return e.store.Events().Subscribers() == 0 })
	for _, s := range streams {
		s.close()
	}
	// The client's idle keep-alive connections (and the server's ends of
	// them) are not the streams'.
	http.DefaultClient.CloseIdleConnections()
	var now int
	waitFor(t, func() bool { now = runtime.NumGoroutine(); return now <= base })
	if s := openSSE(t, e, "", orderUpdatedSub, map[string]any{"id": oid}); s.res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a stream after Shutdown: got HTTP %d, want 503", s.res.StatusCode)
	}
	t.Logf("goroutines: %d before the streams, %d after Shutdown", base, now)
}

// retryAfter reads a Retry-After header in seconds.
func retryAfter(h http.Header) int {
	n, _ := strconv.Atoi(h.Get("Retry-After"))
	return n
}
