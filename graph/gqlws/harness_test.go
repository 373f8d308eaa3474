package gqlws_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/graph/gqlws"
)

// These tests run the transport behind gqlgen's handler on a real
// WebSocket, with a canned schema whose root fields each behave one way
// (stream, hang, flood, panic), and a coder/websocket client speaking the
// protocol by hand, so that each message and close code is pinned.

const testSchema = `
type Query { hello: String }
type Mutation { bump: Int }
type Subscription {
  ticks(n: Int!): Int
  hang: Int
  flood: String
  stuck: Int
  boom: Int
}
`

// safety bounds every wait so a broken test fails instead of hanging; no
// test measures time with it.
const safety = 10 * time.Second

// floodChunk makes each flood response large enough to fill socket
// buffers quickly.
const floodChunk = 256 << 10

type viewerKey struct{}

// hooks reports what the canned resolvers do.
type hooks struct {
	started chan string   // a hang or stuck operation began
	stopped chan string   // a hang or flood operation's context ended
	release chan struct{} // closed to let stuck operations return
}

func newHooks() *hooks {
	return &hooks{
		started: make(chan string, 64),
		stopped: make(chan string, 64),
		release: make(chan struct{}),
	}
}

// executableSchema resolves the root field of testSchema the operation
// selects.
func executableSchema(h *hooks) graphql.ExecutableSchema {
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	flood := json.RawMessage(`{"flood":"` + strings.Repeat("x", floodChunk) + `"}`)
	return &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			oc := graphql.GetOperationContext(ctx)
			field := oc.Operation.SelectionSet[0].(*ast.Field)
			switch field.Name {
			case "hello":
				viewer, _ := ctx.Value(viewerKey{}).(string)
				return oneShot(fmt.Sprintf(`{"hello":%q}`, viewer))
			case "bump":
				return oneShot(`{"bump":1}`)
			case "ticks":
				n, _ := strconv.Atoi(fmt.Sprint(field.ArgumentMap(oc.Variables)["n"]))
				return ticks(n)
			case "hang":
				return hang(h)
			case "flood":
				context.AfterFunc(ctx, func() { h.stopped <- "flood" })
				return func(context.Context) *graphql.Response { return &graphql.Response{Data: flood} }
			case "stuck":
				return stuck(h)
			case "boom":
				return func(context.Context) *graphql.Response { panic("resolver bug") }
			}
			panic("unexpected field " + field.Name)
		},
	}
}

func oneShot(data string) graphql.ResponseHandler {
	done := false
	return func(context.Context) *graphql.Response {
		if done {
			return nil
		}
		done = true
		return &graphql.Response{Data: json.RawMessage(data)}
	}
}

// ticks yields {"ticks":1} to {"ticks":n}, then ends.
func ticks(n int) graphql.ResponseHandler {
	i := 0
	return func(ctx context.Context) *graphql.Response {
		if i == n || ctx.Err() != nil {
			return nil
		}
		i++
		return &graphql.Response{Data: json.RawMessage(fmt.Sprintf(`{"ticks":%d}`, i))}
	}
}

// hang yields nothing until its context ends, as a quiet subscription.
func hang(h *hooks) graphql.ResponseHandler {
	return func(ctx context.Context) *graphql.Response {
		h.started <- "hang"
		<-ctx.Done()
		h.stopped <- "hang"
		return nil
	}
}

// stuck ignores its context until released, as a broken resolver.
func stuck(h *hooks) graphql.ResponseHandler {
	return func(context.Context) *graphql.Response {
		h.started <- "stuck"
		<-h.release
		return nil
	}
}

// env is one server with the transport under test.
type env struct {
	t      *testing.T
	tr     *gqlws.Transport
	srv    *httptest.Server
	hooks  *hooks
	closed chan int // Options.Closed's codes
}

// newEnv serves the transport with opts; at cleanup it checks that every
// connection and goroutine of the test has ended.
func newEnv(t *testing.T, opts gqlws.Options) *env {
	t.Helper()
	base := runtime.NumGoroutine()
	e := &env{t: t, hooks: newHooks(), closed: make(chan int, 64)}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Closed = func(code int) { e.closed <- code }
	e.tr = gqlws.New(opts)
	srv := handler.New(executableSchema(e.hooks))
	srv.AddTransport(e.tr)
	srv.SetRecoverFunc(func(context.Context, any) error { return gqlerror.Errorf("internal system error") })
	e.srv = httptest.NewServer(srv)
	// Cleanups run last first: clients (registered by dial) close before
	// this runs.
	t.Cleanup(func() {
		e.srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), safety)
		defer cancel()
		if err := e.tr.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown at cleanup: %v", err)
		}
		if n := e.tr.Open(); n != 0 {
			t.Errorf("Open() = %d after Shutdown, want 0", n)
		}
		if err := settle(base); err != nil {
			t.Error(err)
		}
	})
	return e
}

func (e *env) url() string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") }

// dialOptions are a graphql-transport-ws client's, through the server's
// own HTTP client (closed with it, so no idle connection outlives a test).
func (e *env) dialOptions() *websocket.DialOptions {
	return &websocket.DialOptions{
		HTTPClient:   e.srv.Client(),
		Subprotocols: []string{"graphql-transport-ws"},
		HTTPHeader:   http.Header{},
	}
}

// dial connects with opts (e.dialOptions() if nil).
func (e *env) dial(opts *websocket.DialOptions) *client {
	e.t.Helper()
	if opts == nil {
		opts = e.dialOptions()
	}
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, e.url(), opts)
	if err != nil {
		e.t.Fatalf("dial: %v (response %v)", err, resp)
	}
	ws.SetReadLimit(-1)
	e.t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: e.t, ws: ws}
}

// connect dials and completes connection_init.
func (e *env) connect() *client {
	e.t.Helper()
	c := e.dial(nil)
	c.init(nil)
	return c
}

// closedWith waits for Options.Closed and checks its code.
func (e *env) closedWith(want int) {
	e.t.Helper()
	select {
	case got := <-e.closed:
		if got != want {
			e.t.Errorf("Closed(%d), want %d", got, want)
		}
	case <-time.After(safety):
		e.t.Fatalf("Closed not called, want %d", want)
	}
}

// await waits for name on ch.
func await(t *testing.T, ch <-chan string, name string) {
	t.Helper()
	select {
	case got := <-ch:
		if got != name {
			t.Fatalf("got %q, want %q", got, name)
		}
	case <-time.After(safety):
		t.Fatalf("no %q", name)
	}
}

// eventually polls cond until it holds.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(safety)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("never: %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// client speaks the protocol by hand.
type client struct {
	t  *testing.T
	ws *websocket.Conn
}

type msg struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

func (c *client) sendRaw(s string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
		c.t.Fatalf("write %s: %v", s, err)
	}
}

func (c *client) send(m msg) {
	c.t.Helper()
	b, err := json.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(string(b))
}

func (c *client) init(payload any) {
	c.t.Helper()
	m := msg{Type: "connection_init"}
	if payload != nil {
		b, _ := json.Marshal(payload)
		m.Payload = b
	}
	c.send(m)
	if got := c.readRaw(); got != `{"type":"connection_ack"}` {
		c.t.Fatalf("after connection_init got %s, want a bare connection_ack", got)
	}
}

func (c *client) subscribe(id, query string, variables map[string]any) {
	c.t.Helper()
	p, _ := json.Marshal(map[string]any{"query": query, "variables": variables})
	c.send(msg{ID: id, Type: "subscribe", Payload: p})
}

func (c *client) readRaw() string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	_, b, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return string(b)
}

func (c *client) read() msg {
	c.t.Helper()
	raw := c.readRaw()
	var m msg
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		c.t.Fatalf("message %s: %v", raw, err)
	}
	return m
}

// expect reads the next message and checks its type and id.
func (c *client) expect(typ, id string) msg {
	c.t.Helper()
	m := c.read()
	if m.Type != typ || m.ID != id {
		c.t.Fatalf("got %s %q (%s), want %s %q", m.Type, m.ID, m.Payload, typ, id)
	}
	return m
}

// roundTrip checks the connection is open and that nothing else was
// queued before the pong.
func (c *client) roundTrip() {
	c.t.Helper()
	c.send(msg{Type: "ping"})
	c.expect("pong", "")
}

// expectClose reads until the server closes, checks the code and returns
// the reason; messages before the close are skipped.
func (c *client) expectClose(want websocket.StatusCode) string {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), safety)
	defer cancel()
	for {
		_, _, err := c.ws.Read(ctx)
		if err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("read ended with %v, want close %d", err, want)
		}
		if ce.Code != want {
			c.t.Fatalf("closed %d %q, want %d", ce.Code, ce.Reason, want)
		}
		return ce.Reason
	}
}

// settle waits for the goroutine count to come back to base.
func settle(base int) error {
	deadline := time.Now().Add(safety)
	for runtime.NumGoroutine() > base {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			return fmt.Errorf("%d goroutines, want at most %d:\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(time.Millisecond)
	}
	return nil
}

func TestMain(m *testing.M) {
	base := runtime.NumGoroutine()
	code := m.Run()
	if code == 0 {
		if err := settle(base); err != nil {
			fmt.Fprintln(os.Stderr, "after all tests:", err)
			code = 1
		}
	}
	os.Exit(code)
}
