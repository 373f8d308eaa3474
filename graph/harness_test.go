package graph_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/stockmovement"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/limits"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/relay"
	"github.com/shopgraph/shopgraph/graph/reqlog"
	"github.com/shopgraph/shopgraph/graph/reqlog/reqlogtest"
)

// The harness of the graph tests, in one place: the API under test (env)
// and its options, the requests a test sends and the replies it reads, the
// clock tests move instead of waiting, waiting on the server's log, the
// fixture builders, and the assertion helpers. Every helper takes the test
// it reports to as its first argument and calls t.Helper().

// env is one API under test: a fresh database of one dialect behind the
// real GraphQL handler on a real HTTP server, with a statement counter, the
// server's log and the clock its tokens are checked against.
type env struct {
	dialect string
	store   *store.Store
	counter *storetest.Counter
	url     string
	logs    *reqlogtest.Sink
	tokens  *auth.Tokens
	clock   *clock
	token   string // sent as a bearer token when set
	handler *graph.Handler
}

// testKey signs the test servers' tokens.
var testKey = []byte("test-signing-key-0123456789abcdef")

// clock is the time of one test's server: its tokens are issued and checked
// against it, and rate limiters given clock.Now drain by it. Tests move it
// (Advance) rather than wait. It starts at the real time, so tokens crafted
// from it look like the server's own.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now().Truncate(time.Second)} }

// Now is the clock's reading (auth.WithClock, limits.WithClock).
func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock on by d.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// envConfig is what an envOption may change: the handler's options and the
// clock the env runs on.
type envConfig struct {
	graph.Options
	clock *clock
}

type envOption func(*envConfig)

// withLoaders overrides the loader config (benchmarks turn batching off).
func withLoaders(cfg loaders.Config) envOption {
	return func(c *envConfig) { c.Loaders = cfg }
}

// withClock runs the env on clk, so that limiters the test gives clk.Now
// and the env's tokens share one time.
func withClock(clk *clock) envOption {
	return func(c *envConfig) { c.clock = clk }
}

// withOptions changes the handler's options.
func withOptions(set func(*graph.Options)) envOption {
	return func(c *envConfig) { set(&c.Options) }
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
	cfg := envConfig{Options: graph.Options{Introspection: true}}
	for _, opt := range opts {
		opt(&cfg)
	}
	if cfg.clock == nil {
		cfg.clock = newClock()
	}
	if cfg.Limits.Now == nil {
		// X-RateLimit-Reset is read against the clock the test's buckets
		// drain by.
		cfg.Limits.Now = cfg.clock.Now
	}
	logs := &reqlogtest.Sink{}
	logger := slog.New(slog.NewJSONHandler(logs, nil))
	api := st.NewClient(ent.Currency("USD"))
	tokens, err := auth.NewTokens(testKey, time.Hour, api, logger, auth.WithClock(cfg.clock.Now))
	if err != nil {
		t.Fatalf("new tokens: got error %v, want nil", err)
	}
	counter.Tag = reqlog.ID
	mux := http.NewServeMux()
	if cfg.Events == nil {
		cfg.Events = st.Events()
	}
	h := graph.NewHandler(api, tokens, logger, cfg.Options)
	mux.Handle("/graphql", h)
	srv := httptest.NewServer(reqlog.Middleware(logger)(mux))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { h.Shutdown(context.Background()) })
	return &env{dialect: st.Dialect, store: st, counter: counter, url: srv.URL + "/graphql", logs: logs, tokens: tokens, clock: cfg.clock, handler: h}
}

// existingEnv serves an existing PostgreSQL database (not dropped).
func existingEnv(t testing.TB, url string) *env {
	t.Helper()
	counter := &storetest.Counter{}
	st, err := store.Open(context.Background(), store.Config{DatabaseURL: url, WrapDriver: counter.Wrap, StatementCache: store.DefaultStatementCache})
	if err != nil {
		t.Fatalf("open %s: got error %v, want nil", url, err)
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
		t.Fatalf("seed demo data: got error %v, want nil", err)
	}
	return e.as(t, e.user(t, "staff@shopgraph.dev"))
}

// eachDialect runs fn as a subtest per database.
func eachDialect(t *testing.T, fn func(t *testing.T, dialect string)) {
	t.Helper()
	for _, d := range storetest.Dialects {
		t.Run(d, func(t *testing.T) { fn(t, d) })
	}
}

// as returns a copy of e that sends requests as u, or anonymously when u
// is nil.
func (e *env) as(t testing.TB, u *ent.User) *env {
	t.Helper()
	if u == nil {
		return e.anonymous()
	}
	token, _, err := e.tokens.Issue(u)
	if err != nil {
		t.Fatalf("issue a token for user %d: got error %v, want nil", u.ID, err)
	}
	return e.withToken(token)
}

// anonymous returns a copy of e that sends no token.
func (e *env) anonymous() *env { return e.withToken("") }

// withToken returns a copy of e that sends token (none when empty).
func (e *env) withToken(token string) *env {
	c := *e
	c.token = token
	return &c
}

// user returns the user with the given email, read without row-level rules.
func (e *env) user(t testing.TB, email string) *ent.User {
	t.Helper()
	u, err := e.store.Client.User.Query().Where(user.Email(email)).Only(context.Background())
	if err != nil {
		t.Fatalf("find user %s: got error %v, want the user", email, err)
	}
	return u
}

// --- Requests and replies ---

type gqlError struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// response is a decoded GraphQL response envelope.
type response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []gqlError      `json:"errors"`
}

// query POSTs a GraphQL request and decodes the response envelope.
func (e *env) query(t testing.TB, q string, vars map[string]any) response {
	t.Helper()
	out, err := e.post(q, vars, "")
	if err != nil {
		t.Fatalf("query: got error %v, want a GraphQL response", err)
	}
	return out
}

// post sends a GraphQL request with an X-Request-Id of requestID (when not
// empty, so its statements can be told apart: storetest.Counter.Tagged).
// Unlike query it may be called from any goroutine, so it reports its
// failures as an error instead of to a test.
func (e *env) post(q string, vars map[string]any, requestID string) (response, error) {
	body, err := json.Marshal(map[string]any{"query": q, "variables": vars})
	if err != nil {
		return response{}, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		return response{}, fmt.Errorf("new request: %w", err)
	}
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
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("read response: %w", err)
	}
	var out response
	if err := json.Unmarshal(raw, &out); err != nil {
		return response{}, fmt.Errorf("decode response (status %d): %w\n%s", res.StatusCode, err, raw)
	}
	out.Status = res.StatusCode
	return out, nil
}

// mustQuery runs q, fails the test on any error, and decodes data into v.
func (e *env) mustQuery(t testing.TB, q string, vars map[string]any, v any) {
	t.Helper()
	res := e.query(t, q, vars)
	if len(res.Errors) > 0 {
		t.Fatalf("got errors %+v, want none\nquery: %s\nserver log:\n%s", res.Errors, q, e.logs)
	}
	if v != nil {
		if err := json.Unmarshal(res.Data, v); err != nil {
			t.Fatalf("decode data: got error %v, want %T\n%s", err, v, res.Data)
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
func (e *env) expectCode(t testing.TB, q string, vars map[string]any, want string) response {
	t.Helper()
	res := e.query(t, q, vars)
	if got := res.code(t); got != want {
		t.Fatalf("got code %q, want %q: %+v", got, want, res.Errors)
	}
	return res
}

// firstWord is a tiny helper for building search terms from real data.
func firstWord(s string) string {
	w, _, _ := strings.Cut(s, " ")
	return w
}

// rawResponse is a response as sent, and decoded generically.
type rawResponse struct {
	status int
	body   []byte
	data   any
	hasKey bool // the body has a "data" member
	errors []gqlError
}

// sendRaw POSTs a GraphQL request with the given Authorization header (none
// when empty).
func (e *env) sendRaw(t testing.TB, authorization, q string, vars map[string]any) rawResponse {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": q, "variables": vars})
	req, err := http.NewRequest(http.MethodPost, e.url, bytes.NewReader(body))
	if err != nil {
		t.Fatalf("new request: got error %v, want nil", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	return e.doRaw(t, req)
}

// doRaw sends req and decodes the response generically.
func (e *env) doRaw(t testing.TB, req *http.Request) rawResponse {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s /graphql: got error %v, want nil", req.Method, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read response: got error %v, want nil", err)
	}
	out := rawResponse{status: res.StatusCode, body: raw}
	var env struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("decode response (status %d): got error %v, want GraphQL JSON\n%s", res.StatusCode, err, raw)
	}
	out.errors = env.Errors
	out.hasKey = env.Data != nil
	if env.Data != nil {
		if err := json.Unmarshal(env.Data, &out.data); err != nil {
			t.Fatalf("decode data: got error %v, want JSON\n%s", err, env.Data)
		}
	}
	return out
}

// sendAsViewer sends q with e's own token, if any.
func (e *env) sendAsViewer(t testing.TB, q string, vars map[string]any) rawResponse {
	t.Helper()
	if e.token == "" {
		return e.sendRaw(t, "", q, vars)
	}
	return e.sendRaw(t, "Bearer "+e.token, q, vars)
}

// walk returns the values at path in v; a "*" segment fans out over a
// list. A missing or null step yields nil.
func walkJSON(v any, path []string) []any {
	if len(path) == 0 {
		return []any{v}
	}
	switch x := v.(type) {
	case map[string]any:
		return walkJSON(x[path[0]], path[1:])
	case []any:
		if path[0] == "*" {
			var out []any
			for _, el := range x {
				out = append(out, walkJSON(el, path[1:])...)
			}
			return out
		}
		i, err := strconv.Atoi(path[0])
		if err != nil || i < 0 || i >= len(x) {
			return []any{nil}
		}
		return walkJSON(x[i], path[1:])
	default:
		return []any{nil}
	}
}

func splitJSONPath(p string) []string {
	if p == "" {
		return nil
	}
	return strings.Split(p, ".")
}

// errorPath is an error's path in walk's notation.
func gqlErrorPath(e gqlError) string {
	parts := make([]string, len(e.Path))
	for i, p := range e.Path {
		switch p := p.(type) {
		case float64:
			parts[i] = strconv.Itoa(int(p))
		default:
			parts[i] = fmt.Sprint(p)
		}
	}
	return strings.Join(parts, ".")
}

func gqlErrorCode(e gqlError) string {
	c, _ := e.Extensions["code"].(string)
	return c
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// --- Waiting on the server ---

// waitTimeout bounds every wait on the server: a safety net against a hung
// test, never what a test asserts.
const waitTimeout = 30 * time.Second

// accessLine is in the line reqlog writes for request id once it has
// answered it: the last line a request writes.
func accessLine(id string) string { return `"msg":"request","request_id":"` + id + `"` }

// waitForAccessLines waits until the server has logged the access line of
// every request id: everything those requests log comes before it.
func (e *env) waitForAccessLines(t testing.TB, ids ...string) {
	t.Helper()
	e.logs.WaitFor(t, waitTimeout, fmt.Sprintf("access lines of %d requests", len(ids)), func(logs string) bool {
		for _, id := range ids {
			if !strings.Contains(logs, accessLine(id)) {
				return false
			}
		}
		return true
	})
}

// stallLog is what the handler logs when a batch ran because its operation
// had made no progress for the stall window, not because it had gone quiet.
const stallLog = "dataloader batch ran after a stall"

// checkNoStall fails t if any batch of e's operations ran after a stall.
// The handler logs a stall before it answers, so the requests a test has
// had answered have logged theirs already.
func checkNoStall(t testing.TB, e *env) {
	t.Helper()
	if lines := e.logs.Lines(stallLog); len(lines) > 0 {
		t.Errorf("got %d batches run after a stall, want none (each when its operation went quiet):\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// --- Assertions ---

// gid is the global ID of row id of a GraphQL type.
func gid(typ string, id int) string { return relay.ToGlobalID(typ, id) }

func gids[T any](typ string, rows []T, id func(T) int) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = gid(typ, id(r))
	}
	return out
}

// same fails the test unless got and want are deeply equal.
func checkSame[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Errorf("%s:\ngot  %s,\nwant %s", what, g, w)
	}
}

// readable turns global IDs into "Type:id" for failure messages.
func readable(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		typ, n, err := relay.FromGlobalID("id", id)
		if err != nil {
			out[i] = id
			continue
		}
		out[i] = typ + ":" + strconv.Itoa(n)
	}
	return out
}

// checkIDs fails the test unless got lists exactly the IDs of want, in order.
func checkIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got %d IDs %v, want %d IDs %v", what, len(got), readable(got), len(want), readable(want))
	}
}

// decode unmarshals raw into v, failing the test on error.
func decodeJSON(t *testing.T, raw json.RawMessage, v any) {
	t.Helper()
	if err := json.Unmarshal(raw, v); err != nil {
		t.Fatalf("decode %s: got error %v, want nil", raw, err)
	}
}

// fields returns the field names of an error's extensions.fields.
func errorFields(e gqlError) []string {
	list, _ := e.Extensions["fields"].([]any)
	var out []string
	for _, item := range list {
		m, _ := item.(map[string]any)
		name, _ := m["field"].(string)
		out = append(out, name)
	}
	return out
}

// expectInvalid asserts q fails with one BAD_USER_INPUT error naming field
// in extensions.fields (any field when field is empty).
func (e *env) expectInvalid(t *testing.T, q string, vars map[string]any, field string) {
	t.Helper()
	res := e.query(t, q, vars)
	if len(res.Errors) != 1 {
		t.Fatalf("got %d errors, want 1 BAD_USER_INPUT: %+v (data %s)", len(res.Errors), res.Errors, res.Data)
	}
	if got := res.code(t); got != "BAD_USER_INPUT" {
		t.Fatalf("got code %q, want BAD_USER_INPUT: %+v", got, res.Errors)
	}
	if field != "" && !slices.Contains(errorFields(res.Errors[0]), field) {
		t.Errorf("got extensions.fields %v, want one named %q: %+v", errorFields(res.Errors[0]), field, res.Errors[0])
	}
}

// relayRaw encodes raw text the way global IDs are encoded, to build
// well-encoded but malformed IDs.
func relayRaw(s string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(s))
}

// --- The production edge ---

// productionEdge sets server/config.go's production defaults.
func productionEdge(o *envConfig) {
	o.Limits = limits.Config{MaxCost: 20000, MaxDepth: 15, MaxAliases: 50, MaxFields: 1000}
	o.MaxTokens = 10000
	o.MaxBodyBytes = 1 << 20
	o.Timeout = 15 * time.Second
}

// edgeEnv is an anonymous client of an API with the production limits (and
// opts) over the demo data on PostgreSQL.
func edgeEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	e := newEnv(t, dialect.Postgres, append([]envOption{productionEdge}, opts...)...)
	if _, err := seed.Demo(context.Background(), e.store); err != nil {
		t.Fatalf("seed demo data: got error %v, want nil", err)
	}
	return e
}

// withEdgeBudget charges every operation to the cost buckets of l.
func withEdgeBudget(l limits.Limiter) envOption {
	return func(o *envConfig) { o.Limits.Budget = l }
}

// withSignInLimit rations signIn per client IP with l.
func withSignInLimit(l limits.Limiter) envOption {
	return func(o *envConfig) {
		o.Limits.Fields = map[string]limits.FieldRule{"signIn": {Limiter: l, Key: graph.ByClientIP}}
	}
}

// edgeClient neither adds Accept-Encoding nor decompresses, so the tests
// see the server's bytes.
var edgeClient = &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true}}

// edgeReply is a fully read response.
type edgeReply struct {
	status int
	header http.Header
	body   []byte
}

type edgeCost struct {
	Requested int `json:"requested"`
	Limit     int `json:"limit"`
	Shape     struct {
		Depth   int `json:"depth"`
		Aliases int `json:"aliases"`
		Fields  int `json:"fields"`
	} `json:"shape"`
}

type edgeGQL struct {
	Data       json.RawMessage `json:"data"`
	Errors     []gqlError      `json:"errors"`
	Extensions struct {
		Cost *edgeCost `json:"cost"`
	} `json:"extensions"`
}

// gql decodes the body as a GraphQL response.
func (r edgeReply) gql(t *testing.T) edgeGQL {
	t.Helper()
	var g edgeGQL
	if err := json.Unmarshal(r.body, &g); err != nil {
		t.Fatalf("got status %d and a body that is not GraphQL JSON (%v), want GraphQL JSON:\n%.500s", r.status, err, r.body)
	}
	return g
}

// code is the first error's extensions.code ("" without errors).
func (r edgeReply) code(t *testing.T) string {
	t.Helper()
	g := r.gql(t)
	if len(g.Errors) == 0 {
		return ""
	}
	c, _ := g.Errors[0].Extensions["code"].(string)
	return c
}

// hasData reports whether the body has a non-null "data" entry.
func (r edgeReply) hasData(t *testing.T) bool {
	t.Helper()
	d := r.gql(t).Data
	return len(d) > 0 && string(d) != "null"
}

func edgeSend(t *testing.T, req *http.Request) edgeReply {
	t.Helper()
	res, err := edgeClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: got error %v, want nil", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: got error %v, want nil", req.Method, req.URL.Path, err)
	}
	return edgeReply{status: res.StatusCode, header: res.Header, body: body}
}

// edgeRequest builds a request to e's endpoint, signed in if e is.
func edgeRequest(t *testing.T, e *env, method, target, contentType string, body io.Reader) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	return req
}

// edgePostJSON POSTs payload as JSON with extra headers.
func edgePostJSON(t *testing.T, e *env, payload any, header http.Header) edgeReply {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	req := edgeRequest(t, e, http.MethodPost, e.url, "application/json", bytes.NewReader(body))
	for k, v := range header {
		req.Header[k] = v
	}
	return edgeSend(t, req)
}

func edgePost(t *testing.T, e *env, query string) edgeReply {
	t.Helper()
	return edgePostJSON(t, e, map[string]any{"query": query}, nil)
}

// edgePostCost POSTs query asking for the cost report (extensions.cost).
func edgePostCost(t *testing.T, e *env, query string) edgeReply {
	t.Helper()
	return edgePostJSON(t, e, map[string]any{"query": query, "extensions": map[string]any{"cost": true}}, nil)
}

// edgeGet sends params in a GET URL with extra headers.
func edgeGet(t *testing.T, e *env, params url.Values, header http.Header) edgeReply {
	t.Helper()
	req := edgeRequest(t, e, http.MethodGet, e.url+"?"+params.Encode(), "", nil)
	for k, v := range header {
		req.Header[k] = v
	}
	return edgeSend(t, req)
}

// checkNoSQL fails if any SQL statement ran since the counter's reset.
func checkNoSQL(t *testing.T, e *env) {
	t.Helper()
	if n := e.counter.Count(); n != 0 {
		t.Errorf("SQL statements run for a refused request: got %d, want 0:\n%s", n, e.counter)
	}
}

// --- Fixture builders ---

// catalog builds `roots` root categories, each with one subcategory holding
// perRoot ACTIVE products; every product has 2 variants and 3 reviews by
// distinct authors. The shape is the same whatever the size, so statement
// counts can be compared across sizes.
func catalog(t testing.TB, client *ent.Client, roots, perRoot int) {
	t.Helper()
	ctx := context.Background()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	authors, err := client.User.CreateBulk(
		client.User.Create().SetEmail("a1@example.com").SetName("Author One"),
		client.User.Create().SetEmail("a2@example.com").SetName("Author Two"),
		client.User.Create().SetEmail("a3@example.com").SetName("Author Three"),
	).Save(ctx)
	if err != nil {
		t.Fatalf("create authors: got error %v, want nil", err)
	}
	var products []*ent.ProductCreate
	for r := 0; r < roots; r++ {
		root := client.Category.Create().SetName(fmt.Sprintf("Root %d", r)).SetSlug(fmt.Sprintf("root-%d", r)).SaveX(ctx)
		leaf := client.Category.Create().SetName(fmt.Sprintf("Leaf %d", r)).SetSlug(fmt.Sprintf("leaf-%d", r)).SetParentID(root.ID).SaveX(ctx)
		for i := 0; i < perRoot; i++ {
			n := r*perRoot + i
			products = append(products, client.Product.Create().
				SetSlug(fmt.Sprintf("p-%d", n)).
				SetTitle(fmt.Sprintf("Product %d", n)).
				SetStatus(product.StatusACTIVE).
				SetCategoryID(leaf.ID).
				SetCreatedAt(base.Add(time.Duration(n)*time.Minute)))
		}
	}
	created := bulk(t, ctx, products, func(b []*ent.ProductCreate) ([]*ent.Product, error) {
		return client.Product.CreateBulk(b...).Save(ctx)
	})
	var variants []*ent.VariantCreate
	var reviews []*ent.ReviewCreate
	for _, p := range created {
		for v := 0; v < 2; v++ {
			variants = append(variants, client.Variant.Create().
				SetProductID(p.ID).
				SetSku(fmt.Sprintf("SKU-%d-%d", p.ID, v)).
				SetTitle(fmt.Sprintf("Option %d", v)).
				SetPrice(int64(1000+p.ID%50*100+v*250)).
				SetCost(500).
				SetStock((p.ID+v)%4))
		}
		for a, author := range authors {
			reviews = append(reviews, client.Review.Create().
				SetProductID(p.ID).
				SetAuthorID(author.ID).
				SetRating(1+(p.ID+a)%5).
				SetTitle("Review").
				SetCreatedAt(base.Add(time.Duration(p.ID*3+a)*time.Second)))
		}
	}
	bulk(t, ctx, variants, func(b []*ent.VariantCreate) ([]*ent.Variant, error) {
		return client.Variant.CreateBulk(b...).Save(ctx)
	})
	bulk(t, ctx, reviews, func(b []*ent.ReviewCreate) ([]*ent.Review, error) {
		return client.Review.CreateBulk(b...).Save(ctx)
	})
	if err := store.RefreshProductKeys(ctx, client); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
}

// orders builds `customers` customers with perCustomer orders of 2 lines
// each, over the variants catalog created.
func orders(t testing.TB, client *ent.Client, customers, perCustomer int) {
	t.Helper()
	ctx := context.Background()
	variants := client.Variant.Query().Limit(50).AllX(ctx)
	if len(variants) < 2 {
		t.Fatalf("orders: got %d variants, want a catalog of at least 2", len(variants))
	}
	var users []*ent.UserCreate
	for c := 0; c < customers; c++ {
		users = append(users, client.User.Create().SetEmail(fmt.Sprintf("c%d@example.com", c)).SetName(fmt.Sprintf("Customer %d", c)).SetRole(user.RoleCUSTOMER))
	}
	custs := bulk(t, ctx, users, func(b []*ent.UserCreate) ([]*ent.User, error) { return client.User.CreateBulk(b...).Save(ctx) })
	var os []*ent.OrderCreate
	n := 0
	for _, c := range custs {
		for i := 0; i < perCustomer; i++ {
			n++
			os = append(os, client.Order.Create().SetNumber(fmt.Sprintf("T-%06d", n)).SetCustomerID(c.ID).SetStatus(order.StatusPAID))
		}
	}
	created := bulk(t, ctx, os, func(b []*ent.OrderCreate) ([]*ent.Order, error) { return client.Order.CreateBulk(b...).Save(ctx) })
	var lines []*ent.OrderLineCreate
	for i, o := range created {
		for l := 0; l < 2; l++ {
			v := variants[(i*2+l)%len(variants)]
			lines = append(lines, client.OrderLine.Create().SetOrderID(o.ID).SetVariantID(v.ID).SetQuantity(1+l).SetUnitPrice(v.Price))
		}
	}
	bulk(t, ctx, lines, func(b []*ent.OrderLineCreate) ([]*ent.OrderLine, error) {
		return client.OrderLine.CreateBulk(b...).Save(ctx)
	})
}

// bulk saves builders in chunks that stay under bind-parameter limits.
func bulk[B any, T any](t testing.TB, ctx context.Context, builders []B, save func([]B) ([]T, error)) []T {
	t.Helper()
	var out []T
	for start := 0; start < len(builders); start += 1000 {
		rows, err := save(builders[start:min(start+1000, len(builders))])
		if err != nil {
			t.Fatalf("bulk insert: got error %v, want nil", err)
		}
		out = append(out, rows...)
	}
	return out
}

// buyers creates n signed-in customers and returns their tokens.
func buyers(t *testing.T, e *env, prefix string, n int) ([]*ent.User, []string) {
	t.Helper()
	ctx := context.Background()
	rows := make([]*ent.UserCreate, n)
	for i := range rows {
		rows[i] = e.store.Client.User.Create().SetEmail(fmt.Sprintf("%s%d@example.com", prefix, i)).
			SetName(fmt.Sprintf("Buyer %d", i)).SetRole(user.RoleCUSTOMER)
	}
	users := bulk(t, ctx, rows, func(b []*ent.UserCreate) ([]*ent.User, error) {
		return e.store.Client.User.CreateBulk(b...).Save(ctx)
	})
	tokens := make([]string, n)
	for i, u := range users {
		tokens[i] = e.as(t, u).token
	}
	return users, tokens
}

// checkoutStock is an ACTIVE product with one variant per stock level.
func checkoutStock(t *testing.T, c *ent.Client, slug string, stock ...int) []*ent.Variant {
	t.Helper()
	ctx := context.Background()
	cat := c.Category.Create().SetName("Checkout " + slug).SetSlug("cat-" + slug).SaveX(ctx)
	p := c.Product.Create().SetSlug(slug).SetTitle("Checkout " + slug).SetStatus(product.StatusACTIVE).SetCategoryID(cat.ID).SaveX(ctx)
	vs := make([]*ent.Variant, len(stock))
	for i, n := range stock {
		vs[i] = c.Variant.Create().SetProductID(p.ID).SetSku(fmt.Sprintf("%s-%d", strings.ToUpper(slug), i)).
			SetTitle(fmt.Sprint(i)).SetPrice(int64(1000 + i)).SetStock(n).SaveX(ctx)
	}
	return vs
}

// inputVars wraps an input object as the $input variable.
func inputVars(in map[string]any) map[string]any { return map[string]any{"input": in} }

// idInput is the $input of the order mutations.
func idInput(typ string, id int) map[string]any { return inputVars(map[string]any{"id": gid(typ, id)}) }

// lineIn is one line of a placeOrder input.
type lineIn struct {
	v   *ent.Variant
	qty int
}

// orderInput is the $input of placeOrder for these lines.
func orderInput(lines ...lineIn) map[string]any {
	out := make([]any, len(lines))
	for i, l := range lines {
		out[i] = map[string]any{"variantId": gid("Variant", l.v.ID), "quantity": l.qty}
	}
	return inputVars(map[string]any{"lines": out})
}

// shop is a small store built directly in the database: a category tree
// apparel > shirts > tees plus garden; products in each life-cycle state;
// orders of alice in each status and a pending one of bob; and a review by
// alice of the mug she received. Stock is set directly, so the fixture
// orders did not take any.
type shop struct {
	admin, staff, alice, bob                                    *ent.User
	apparel, shirts, tees, garden                               *ent.Category
	tee, mug, cap, draft, archived                              *ent.Product
	teeS, teeM, mugV, capV, draftV, archivedV                   *ent.Variant
	alicePending, alicePaid, aliceShipped, aliceCancelled, bob1 *ent.Order
	aliceMugReview                                              *ent.Review
}

// alicePassword is alice's password in the shop fixture.
const alicePassword = "alice-password-1"

func newShop(t testing.TB, c *ent.Client) *shop {
	t.Helper()
	ctx := context.Background()
	hash, err := auth.HashPassword(alicePassword)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	mkUser := func(email, name string, role user.Role) *ent.User {
		return c.User.Create().SetEmail(email).SetName(name).SetRole(role).SetPasswordHash(hash).SaveX(ctx)
	}
	mkCategory := func(slug string, parent *ent.Category) *ent.Category {
		b := c.Category.Create().SetName(strings.ToUpper(slug[:1]) + slug[1:]).SetSlug(slug)
		if parent != nil {
			b.SetParentID(parent.ID)
		}
		return b.SaveX(ctx)
	}
	mkProduct := func(slug string, status product.Status, cat *ent.Category) *ent.Product {
		return c.Product.Create().SetSlug(slug).SetTitle("The " + slug).SetDescription("About the " + slug + ".").
			SetStatus(status).SetCategoryID(cat.ID).SaveX(ctx)
	}
	mkVariant := func(p *ent.Product, sku string, price int64, stock int) *ent.Variant {
		return c.Variant.Create().SetProductID(p.ID).SetSku(sku).SetTitle(sku).
			SetPrice(price).SetCost(price / 2).SetStock(stock).SaveX(ctx)
	}
	n := 0
	mkOrder := func(u *ent.User, status order.Status, lines ...lineIn) *ent.Order {
		n++
		o := c.Order.Create().SetNumber(fmt.Sprintf("T-%d", n)).SetCustomerID(u.ID).SetStatus(status).SaveX(ctx)
		for _, l := range lines {
			c.OrderLine.Create().SetOrderID(o.ID).SetVariantID(l.v.ID).SetQuantity(l.qty).SetUnitPrice(l.v.Price).SaveX(ctx)
		}
		return o
	}
	s := &shop{}
	s.admin = mkUser("admin@example.com", "Ada Admin", user.RoleADMIN)
	s.staff = mkUser("staff@example.com", "Sam Staff", user.RoleSTAFF)
	s.alice = mkUser("alice@example.com", "Alice", user.RoleCUSTOMER)
	s.bob = mkUser("bob@example.com", "Bob", user.RoleCUSTOMER)
	s.apparel = mkCategory("apparel", nil)
	s.shirts = mkCategory("shirts", s.apparel)
	s.tees = mkCategory("tees", s.shirts)
	s.garden = mkCategory("garden", nil)
	s.tee = mkProduct("tee", product.StatusACTIVE, s.tees)
	s.mug = mkProduct("mug", product.StatusACTIVE, s.garden)
	s.cap = mkProduct("cap", product.StatusACTIVE, s.shirts)
	s.draft = mkProduct("draft", product.StatusDRAFT, s.tees)
	s.archived = mkProduct("archived", product.StatusARCHIVED, s.tees)
	s.teeS = mkVariant(s.tee, "TEE-S", 1500, 10)
	s.teeM = mkVariant(s.tee, "TEE-M", 1700, 5)
	s.mugV = mkVariant(s.mug, "MUG-1", 900, 3)
	s.capV = mkVariant(s.cap, "CAP-1", 1100, 4)
	s.draftV = mkVariant(s.draft, "DRAFT-1", 2000, 10)
	s.archivedV = mkVariant(s.archived, "ARCHIVED-1", 3000, 10)
	s.alicePending = mkOrder(s.alice, order.StatusPENDING, lineIn{s.teeS, 1})
	s.alicePaid = mkOrder(s.alice, order.StatusPAID, lineIn{s.teeM, 2})
	s.aliceShipped = mkOrder(s.alice, order.StatusSHIPPED, lineIn{s.mugV, 1})
	s.aliceCancelled = mkOrder(s.alice, order.StatusCANCELLED, lineIn{s.capV, 1})
	s.bob1 = mkOrder(s.bob, order.StatusPENDING, lineIn{s.teeS, 2})
	s.aliceMugReview = c.Review.Create().SetProductID(s.mug.ID).SetAuthorID(s.alice.ID).SetRating(5).SetTitle("Great mug").SaveX(ctx)
	if err := store.RefreshProductKeys(ctx, c); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	return s
}

// shopEnv is an empty database of the dialect holding the shop fixture,
// with anonymous requests by default.
func shopEnv(t *testing.T, dialect string, opts ...envOption) (*env, *shop) {
	t.Helper()
	e := newEnv(t, dialect, opts...)
	return e, newShop(t, e.store.Client)
}

// placeOrder places an order as u and returns its payload.
func (e *env) placeOrder(t testing.TB, u *ent.User, lines ...lineIn) orderJSON {
	t.Helper()
	var out struct{ PlaceOrder struct{ Order orderJSON } }
	e.as(t, u).mustQuery(t, placeOrderDoc, orderInput(lines...), &out)
	return out.PlaceOrder.Order
}

// orderIDOf decodes an order's global ID.
func orderIDOf(t testing.TB, o orderJSON) int {
	t.Helper()
	id, err := relay.IDOf("id", "Order", o.ID)
	if err != nil {
		t.Fatalf("order ID %q: got error %v, want nil", o.ID, err)
	}
	return id
}

// movementsOf lists the stock movements an order caused, oldest first.
func movementsOf(t testing.TB, c *ent.Client, orderID int) []*ent.StockMovement {
	t.Helper()
	ms, err := c.StockMovement.Query().Where(stockmovement.OrderID(orderID)).Order(ent.Asc(stockmovement.FieldID)).All(context.Background())
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	return ms
}
