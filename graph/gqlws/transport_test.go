package gqlws_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/shopgraph/shopgraph/graph/gqlws"
)

func TestSupports(t *testing.T) {
	tr := gqlws.New(gqlws.Options{})
	for _, tc := range []struct {
		name   string
		method string
		header map[string]string
		want   bool
	}{
		{"graphql-transport-ws", http.MethodGet, map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Protocol": "graphql-transport-ws"}, true},
		{"legacy graphql-ws only (closed 4406 by Do)", http.MethodGet, map[string]string{"Upgrade": "websocket", "Sec-WebSocket-Protocol": "graphql-ws"}, true},
		{"no subprotocol (closed 4406 by Do)", http.MethodGet, map[string]string{"Upgrade": "WebSocket"}, true},
		{"token list", http.MethodGet, map[string]string{"Upgrade": "foo, websocket"}, true},
		{"plain GET", http.MethodGet, nil, false},
		{"POST upgrade", http.MethodPost, map[string]string{"Upgrade": "websocket"}, false},
		{"other upgrade", http.MethodGet, map[string]string{"Upgrade": "h2c"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(tc.method, "/graphql", nil)
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if got := tr.Supports(r); got != tc.want {
				t.Errorf("Supports = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestAckEchoesNoPayload(t *testing.T) {
	var gotPayload map[string]any
	var gotHeader string
	e := newEnv(t, gqlws.Options{
		Init: func(ctx context.Context, r *http.Request, payload map[string]any) (context.Context, error) {
			gotPayload, gotHeader = payload, r.Header.Get("X-Test")
			return context.WithValue(ctx, viewerKey{}, "viewer-1"), nil
		},
	})
	opts := e.dialOptions()
	opts.HTTPHeader.Set("X-Test", "upgrade-request")
	c := e.dial(opts)
	c.init(map[string]any{"token": "secret"}) // checks the ack is exactly {"type":"connection_ack"}
	if gotPayload["token"] != "secret" || gotHeader != "upgrade-request" {
		t.Errorf("Init got payload %v and X-Test %q", gotPayload, gotHeader)
	}
	// Operations run in the context Init returned.
	c.subscribe("q", "{ hello }", nil)
	if m := c.expect("next", "q"); string(m.Payload) != `{"data":{"hello":"viewer-1"}}` {
		t.Errorf("next payload %s", m.Payload)
	}
	c.expect("complete", "q")
}

func TestSubscriptionStreamsThenCompletes(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	if n := e.tr.Open(); n != 1 {
		t.Errorf("Open() = %d, want 1", n)
	}
	for round := range 2 { // the id is free again once complete is read
		c.subscribe("s", "subscription($n: Int!) { ticks(n: $n) }", map[string]any{"n": 3})
		for i := 1; i <= 3; i++ {
			m := c.expect("next", "s")
			var resp struct {
				Data struct{ Ticks int }
			}
			if err := json.Unmarshal(m.Payload, &resp); err != nil || resp.Data.Ticks != i {
				t.Fatalf("round %d: next %d payload %s", round, i, m.Payload)
			}
		}
		c.expect("complete", "s")
	}
	c.roundTrip()
}

func TestQueryAndMutationOverSocket(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	c.subscribe("q", "{ hello }", nil)
	c.expect("next", "q")
	c.expect("complete", "q")
	c.subscribe("m", "mutation { bump }", nil)
	if m := c.expect("next", "m"); string(m.Payload) != `{"data":{"bump":1}}` {
		t.Errorf("mutation payload %s", m.Payload)
	}
	c.expect("complete", "m")
}

func TestInvalidDocumentSendsError(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	for id, query := range map[string]string{
		"unknown-field": "subscription { nope }",
		"syntax":        "subscription { ticks(n: 1)",
		"no-operation":  "fragment F on Query { hello }",
	} {
		c.subscribe(id, query, nil)
		m := c.expect("error", id)
		var errs []struct{ Message string }
		if err := json.Unmarshal(m.Payload, &errs); err != nil || len(errs) == 0 || errs[0].Message == "" {
			t.Errorf("%s: error payload %s is not a list of GraphQL errors", id, m.Payload)
		}
		c.roundTrip() // no complete follows an error, and the connection stays
	}
}

func TestPanicInOperationSendsError(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	c.subscribe("b", "subscription { boom }", nil)
	if m := c.expect("error", "b"); !strings.Contains(string(m.Payload), "internal system error") {
		t.Errorf("error payload %s", m.Payload)
	}
	c.roundTrip()
}

func TestPingPong(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.dial(nil) // allowed before connection_init
	c.sendRaw(`{"type":"ping","payload":{"n":1}}`)
	if got := c.readRaw(); got != `{"type":"pong","payload":{"n":1}}` {
		t.Errorf("pong %s", got)
	}
	c.sendRaw(`{"type":"ping"}`)
	if got := c.readRaw(); got != `{"type":"pong"}` {
		t.Errorf("pong %s", got)
	}
	c.sendRaw(`{"type":"pong"}`) // unsolicited: fine
	c.init(nil)
	c.roundTrip()
}

func TestClientCompleteStopsOperation(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	c.subscribe("s", "subscription { hang }", nil)
	await(t, e.hooks.started, "hang")
	c.send(msg{ID: "s", Type: "complete"})
	await(t, e.hooks.stopped, "hang")
	c.send(msg{ID: "unknown", Type: "complete"}) // ignored
	c.roundTrip()                                // and no complete came for s
	// Once completed by the client, the id may be reused at once.
	c.subscribe("s", "subscription { hang }", nil)
	await(t, e.hooks.started, "hang")
	c.roundTrip()
}

func TestMaxSubscriptions(t *testing.T) {
	e := newEnv(t, gqlws.Options{MaxSubscriptions: 2})
	c := e.connect()
	for _, id := range []string{"a", "b"} {
		c.subscribe(id, "subscription { hang }", nil)
		await(t, e.hooks.started, "hang")
	}
	c.subscribe("c", "subscription { hang }", nil)
	m := c.expect("error", "c")
	var errs []struct {
		Extensions map[string]any
	}
	if err := json.Unmarshal(m.Payload, &errs); err != nil || len(errs) != 1 || errs[0].Extensions["code"] != "TOO_MANY_SUBSCRIPTIONS" {
		t.Errorf("error payload %s", m.Payload)
	}
	c.roundTrip()
	c.send(msg{ID: "a", Type: "complete"})
	await(t, e.hooks.stopped, "hang")
	c.subscribe("c", "subscription { hang }", nil)
	await(t, e.hooks.started, "hang")
}

func TestCloseInvalidMessage(t *testing.T) {
	for name, raw := range map[string]string{
		"not JSON":                  `{"type":`,
		"not an object":             `["ping"]`,
		"no type":                   `{"id":"1"}`,
		"unknown type":              `{"type":"start","id":"1","payload":{"query":"{hello}"}}`,
		"server-only type":          `{"type":"next","id":"1","payload":{}}`,
		"subscribe without id":      `{"type":"subscribe","payload":{"query":"{hello}"}}`,
		"subscribe with numeric id": `{"type":"subscribe","id":1,"payload":{"query":"{hello}"}}`,
		"subscribe without payload": `{"type":"subscribe","id":"1"}`,
		"subscribe without query":   `{"type":"subscribe","id":"1","payload":{"variables":{}}}`,
		"subscribe bad variables":   `{"type":"subscribe","id":"1","payload":{"query":"{hello}","variables":[1]}}`,
		"complete without id":       `{"type":"complete"}`,
		"init payload not object":   `{"type":"connection_init","payload":"token"}`,
		"ping payload not object":   `{"type":"ping","payload":3}`,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, gqlws.Options{})
			c := e.dial(nil)
			c.sendRaw(raw)
			if reason := c.expectClose(4400); reason == "" {
				t.Error("4400 without a reason")
			}
			e.closedWith(4400)
		})
	}
}

func TestCloseUnauthorizedBeforeAck(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.dial(nil)
	c.subscribe("s", "{ hello }", nil)
	if reason := c.expectClose(4401); reason != "Unauthorized" {
		t.Errorf("reason %q", reason)
	}
	e.closedWith(4401)
}

func TestCloseForbiddenWhenInitFails(t *testing.T) {
	long := strings.Repeat("é", 100) // 200 bytes: more than a close frame holds
	for name, tc := range map[string]struct{ message, want string }{
		"message as reason": {"bad token", "bad token"},
		"long message cut":  {long, long[:122]}, // 61 runes: 123 bytes would split one
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, gqlws.Options{
				Init: func(context.Context, *http.Request, map[string]any) (context.Context, error) {
					return nil, errors.New(tc.message)
				},
			})
			c := e.dial(nil)
			c.send(msg{Type: "connection_init", Payload: json.RawMessage(`{"token":"x"}`)})
			reason := c.expectClose(4403)
			if reason != tc.want || !utf8.ValidString(reason) {
				t.Errorf("reason %q, want %q", reason, tc.want)
			}
			e.closedWith(4403)
		})
	}
}

func TestCloseForbiddenWhenTokenExpires(t *testing.T) {
	e := newEnv(t, gqlws.Options{
		Init: func(ctx context.Context, _ *http.Request, _ map[string]any) (context.Context, error) {
			ctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			t.Cleanup(cancel)
			return ctx, nil
		},
	})
	c := e.connect()
	c.subscribe("s", "subscription { hang }", nil)
	await(t, e.hooks.started, "hang")
	if reason := c.expectClose(4403); reason != "token expired" {
		t.Errorf("reason %q", reason)
	}
	await(t, e.hooks.stopped, "hang")
	e.closedWith(4403)
}

func TestCloseForbiddenWhenTokenAlreadyExpired(t *testing.T) {
	e := newEnv(t, gqlws.Options{
		Init: func(ctx context.Context, _ *http.Request, _ map[string]any) (context.Context, error) {
			ctx, cancel := context.WithDeadline(ctx, time.Now().Add(-time.Second))
			t.Cleanup(cancel)
			return ctx, nil
		},
	})
	c := e.dial(nil)
	c.send(msg{Type: "connection_init"})
	if reason := c.expectClose(4403); reason != "token expired" { // and no ack before it
		t.Errorf("reason %q", reason)
	}
	e.closedWith(4403)
}

func TestCloseSubprotocolNotAcceptable(t *testing.T) {
	for name, protocols := range map[string][]string{
		"legacy graphql-ws": {"graphql-ws"},
		"none":              nil,
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, gqlws.Options{})
			opts := e.dialOptions()
			opts.Subprotocols = protocols
			c := e.dial(opts)
			if got := c.ws.Subprotocol(); got != "" {
				t.Errorf("negotiated %q, want none", got)
			}
			if reason := c.expectClose(4406); reason != "Subprotocol not acceptable" {
				t.Errorf("reason %q", reason)
			}
			e.closedWith(4406)
		})
	}
}

func TestCloseInitTimeout(t *testing.T) {
	e := newEnv(t, gqlws.Options{InitTimeout: 20 * time.Millisecond})
	c := e.dial(nil)
	if reason := c.expectClose(4408); reason != "Connection initialisation timeout" {
		t.Errorf("reason %q", reason)
	}
	e.closedWith(4408)
}

func TestCloseSubscriberAlreadyExists(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	c.subscribe("x", "subscription { hang }", nil)
	await(t, e.hooks.started, "hang")
	c.subscribe("x", "subscription { ticks(n: 1) }", nil)
	if reason := c.expectClose(4409); reason != "Subscriber for x already exists" {
		t.Errorf("reason %q", reason)
	}
	await(t, e.hooks.stopped, "hang") // the connection's end cancels its operations
	e.closedWith(4409)
}

func TestCloseTooManyInitialisationRequests(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	c.send(msg{Type: "connection_init"})
	if reason := c.expectClose(4429); reason != "Too many initialisation requests" {
		t.Errorf("reason %q", reason)
	}
	e.closedWith(4429)
}

func TestCloseMessageTooBig(t *testing.T) {
	e := newEnv(t, gqlws.Options{MaxMessageBytes: 1024})
	c := e.connect()
	c.sendRaw(`{"type":"ping","payload":{"pad":"` + strings.Repeat("x", 2048) + `"}}`)
	c.expectClose(websocket.StatusMessageTooBig)
	e.closedWith(int(websocket.StatusMessageTooBig))
}

func TestCloseSlowConsumer(t *testing.T) {
	e := newEnv(t, gqlws.Options{SendBuffer: 4})
	c := e.connect()
	c.subscribe("f", "subscription { flood }", nil)
	// Not reading: the socket buffers fill, then the queue; the server
	// drops the client, which stops the operation.
	await(t, e.hooks.stopped, "flood")
	// Reading again drains what was in flight, then the close frame.
	if reason := c.expectClose(websocket.StatusTryAgainLater); reason != "slow consumer" {
		t.Errorf("reason %q", reason)
	}
	e.closedWith(int(websocket.StatusTryAgainLater))
}

func TestKeepalive(t *testing.T) {
	t.Run("silent client is closed", func(t *testing.T) {
		e := newEnv(t, gqlws.Options{PingInterval: 20 * time.Millisecond})
		c := e.connect()
		// Reading, never answering: the ping goes unanswered.
		if m := c.read(); m.Type != "ping" {
			t.Fatalf("got %s, want ping", m.Type)
		}
		if reason := c.expectClose(websocket.StatusGoingAway); reason != "keepalive timeout" {
			t.Errorf("reason %q", reason)
		}
		e.closedWith(int(websocket.StatusGoingAway))
	})
	t.Run("answering client stays", func(t *testing.T) {
		e := newEnv(t, gqlws.Options{PingInterval: 100 * time.Millisecond})
		c := e.connect()
		for range 4 {
			if m := c.read(); m.Type != "ping" {
				t.Fatalf("got %s, want ping", m.Type)
			}
			c.send(msg{Type: "pong"})
		}
		c.roundTrip()
		if n := e.tr.Open(); n != 1 {
			t.Errorf("Open() = %d, want 1", n)
		}
	})
}

func TestShutdown(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	clients := []*client{e.connect(), e.connect()}
	for _, c := range clients {
		c.subscribe("s", "subscription { hang }", nil)
		await(t, e.hooks.started, "hang")
	}
	result := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		result <- e.tr.Shutdown(ctx)
	}()
	for _, c := range clients {
		if reason := c.expectClose(websocket.StatusServiceRestart); reason != "service restart" {
			t.Errorf("reason %q", reason)
		}
	}
	if err := <-result; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
	for range clients {
		await(t, e.hooks.stopped, "hang")
		e.closedWith(int(websocket.StatusServiceRestart))
	}
	if n := e.tr.Open(); n != 0 {
		t.Errorf("Open() = %d after Shutdown", n)
	}
	// New connections are refused from then on.
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, e.url(), e.dialOptions())
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("dial after Shutdown: %v, %v", err, resp)
	}
}

func TestShutdownWaitsForStuckOperation(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	c.subscribe("s", "subscription { stuck }", nil)
	await(t, e.hooks.started, "stuck")
	ctx, cancel := context.WithCancel(context.Background())
	result := make(chan error, 1)
	go func() { result <- e.tr.Shutdown(ctx) }()
	// The connection closes without waiting for the operation...
	c.expectClose(websocket.StatusServiceRestart)
	e.closedWith(int(websocket.StatusServiceRestart))
	eventually(t, "connection untracked", func() bool { return e.tr.Open() == 0 })
	// ...but Shutdown waits for it until its context ends.
	select {
	case err := <-result:
		t.Fatalf("Shutdown returned %v with an operation running", err)
	default:
	}
	cancel()
	if err := <-result; !errors.Is(err, context.Canceled) {
		t.Errorf("Shutdown = %v, want context.Canceled", err)
	}
	close(e.hooks.release)
	ctx2, cancel2 := context.WithTimeout(context.Background(), safety)
	defer cancel2()
	if err := e.tr.Shutdown(ctx2); err != nil {
		t.Errorf("Shutdown after release: %v", err)
	}
}

func TestOrigin(t *testing.T) {
	e := newEnv(t, gqlws.Options{OriginPatterns: []string{"app.example"}})
	dial := func(origin string) (*websocket.Conn, *http.Response, error) {
		opts := e.dialOptions()
		opts.HTTPHeader.Set("Origin", origin)
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		return websocket.Dial(ctx, e.url(), opts)
	}
	ws, resp, err := dial("https://evil.example")
	if err == nil {
		_ = ws.CloseNow()
		t.Fatal("cross-origin handshake accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-origin handshake: %v, want 403", resp)
	}
	for _, origin := range []string{"https://app.example", "http://" + strings.TrimPrefix(e.srv.URL, "http://")} {
		ws, _, err := dial(origin)
		if err != nil {
			t.Errorf("origin %s refused: %v", origin, err)
			continue
		}
		c := &client{t: t, ws: ws}
		t.Cleanup(func() { _ = ws.CloseNow() })
		c.init(nil)
	}
}

func TestClientCloseEndsConnection(t *testing.T) {
	e := newEnv(t, gqlws.Options{})
	c := e.connect()
	c.subscribe("s", "subscription { hang }", nil)
	await(t, e.hooks.started, "hang")
	if err := c.ws.Close(websocket.StatusNormalClosure, "bye"); err != nil {
		t.Fatal(err)
	}
	await(t, e.hooks.stopped, "hang")
	e.closedWith(int(websocket.StatusNormalClosure))
	eventually(t, "connection untracked", func() bool { return e.tr.Open() == 0 })
}

func TestCloseInternalErrorWhenInitPanics(t *testing.T) {
	e := newEnv(t, gqlws.Options{
		Init: func(context.Context, *http.Request, map[string]any) (context.Context, error) {
			panic("init bug")
		},
	})
	c := e.dial(nil)
	c.send(msg{Type: "connection_init"})
	if reason := c.expectClose(4500); reason != "Internal server error" {
		t.Errorf("reason %q", reason)
	}
	e.closedWith(4500)
}
