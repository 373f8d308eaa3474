package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/reqlog"
)

// env is one API under test: a fresh database of one dialect behind the
// real GraphQL handler on a real HTTP server, with a statement counter.
type env struct {
	t       testing.TB
	dialect string
	store   *store.Store
	counter *storetest.Counter
	url     string
	logs    *logBuffer
	tokens  *auth.Tokens
	token   string // sent as a bearer token when set
}

// testKey signs the test servers' tokens.
var testKey = []byte("test-signing-key-0123456789abcdef")

// as returns a copy of e that sends requests as u.
func (e *env) as(u *ent.User) *env {
	e.t.Helper()
	c := *e
	token, _, err := e.tokens.Issue(u)
	if err != nil {
		e.t.Fatal(err)
	}
	c.token = token
	return &c
}

// logBuffer keeps the server's log lines; requests write it concurrently
// with tests reading it.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

type envOption func(*graph.Options)

// withLoaders overrides the loader config (benchmarks turn batching off).
func withLoaders(cfg loaders.Config) envOption {
	return func(o *graph.Options) { o.Loaders = cfg }
}

func newEnv(t testing.TB, dialect string, opts ...envOption) *env {
	t.Helper()
	counter := &storetest.Counter{}
	st := storetest.Open(t, dialect, counter.Wrap)
	return serveStore(t, st, counter, opts...)
}

// serveStore puts the GraphQL handler over st on a test HTTP server.
func serveStore(t testing.TB, st *store.Store, counter *storetest.Counter, opts ...envOption) *env {
	t.Helper()
	logs := &logBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	o := graph.Options{Introspection: true}
	for _, opt := range opts {
		opt(&o)
	}
	api := st.NewClient(ent.Currency("USD"))
	tokens, err := auth.NewTokens(testKey, time.Hour, api, logger)
	if err != nil {
		t.Fatal(err)
	}
	counter.Tag = reqlog.ID
	mux := http.NewServeMux()
	mux.Handle("/graphql", graph.NewHandler(api, tokens, logger, o))
	srv := httptest.NewServer(reqlog.Middleware(logger)(mux))
	t.Cleanup(srv.Close)
	return &env{t: t, dialect: st.Dialect, store: st, counter: counter, url: srv.URL + "/graphql", logs: logs, tokens: tokens}
}

// existingEnv serves an existing PostgreSQL database (not dropped).
func existingEnv(t testing.TB, url string) *env {
	t.Helper()
	counter := &storetest.Counter{}
	st, err := store.Open(context.Background(), store.Config{DatabaseURL: url, WrapDriver: counter.Wrap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return serveStore(t, st, counter)
}

// demoEnv is an env loaded with the demo data set, signed in as
// staff@shopgraph.dev: staff see every row and field, so read tests can
// compare the API with the whole database. What everyone else sees is the
// authorization tests' subject.
func demoEnv(t testing.TB, dialect string) *env {
	t.Helper()
	e := newEnv(t, dialect)
	if _, err := seed.Demo(context.Background(), e.store); err != nil {
		t.Fatalf("seed demo data: %v", err)
	}
	return e.as(e.user("staff@shopgraph.dev"))
}

// user returns the user with the given email, read without row-level rules.
func (e *env) user(email string) *ent.User {
	e.t.Helper()
	u, err := e.store.Client.User.Query().Where(user.Email(email)).Only(context.Background())
	if err != nil {
		e.t.Fatalf("find user %s: %v", email, err)
	}
	return u
}

// eachDialect runs fn as a subtest per database.
func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// query POSTs a GraphQL request and decodes the response envelope.
func (e *env) query(q string, vars map[string]any) response {
	e.t.Helper()
	out, err := e.post(q, vars, "")
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// post sends a GraphQL request with an X-Request-Id of requestID (when not
// empty, so its statements can be told apart: storetest.Counter.Tagged).
// Unlike query it may be called from any goroutine.
func (e *env) post(q string, vars map[string]any, requestID string) (response, error) {
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	if requestID != "" {
		req.Header.Set(reqlog.Header, requestID)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("POST /graphql: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out response
	if err := json.Unmarshal(raw, &out); err != nil {
		return response{}, fmt.Errorf("decode response (status %d): %w\n%s", res.StatusCode, err, raw)
	}
	out.Status = res.StatusCode
	return out, nil
}

// mustQuery runs q, fails the test on any error, and decodes data into v.
func (e *env) mustQuery(q string, vars map[string]any, v any) {
	e.t.Helper()
	res := e.query(q, vars)
	if len(res.Errors) > 0 {
		e.t.Fatalf("unexpected errors: %+v\nquery: %s\nserver log:\n%s", res.Errors, q, e.logs)
	}
	if v != nil {
		if err := json.Unmarshal(res.Data, v); err != nil {
			e.t.Fatalf("decode data: %v\n%s", err, res.Data)
		}
	}
}

// code returns the extensions.code of the only error, failing otherwise.
func (r response) code(t testing.TB) string {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("got %d errors, want 1: %+v", len(r.Errors), r.Errors)
	}
	c, _ := r.Errors[0].Extensions["code"].(string)
	return c
}

// expectCode asserts q fails with one error of the given code.
func (e *env) expectCode(q string, vars map[string]any, want string) response {
	e.t.Helper()
	res := e.query(q, vars)
	if got := res.code(e.t); got != want {
		e.t.Fatalf("got code %q, want %q: %+v", got, want, res.Errors)
	}
	return res
}

// firstWord is a tiny helper for building search terms from real data.
func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}
