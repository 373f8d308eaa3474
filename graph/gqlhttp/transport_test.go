package gqlhttp_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/graph/gqlhttp"
)

// These tests pin each status and header decision of the transport on a
// small schema whose execution is canned: the decisions depend on how a
// request ended, not on what resolvers do. graph/edge_test.go checks the
// same through the real API.

const testSchema = `
directive @cacheControl(maxAge: Int, scope: CacheControlScope) on FIELD_DEFINITION | OBJECT
enum CacheControlScope { PUBLIC PRIVATE }
type Query {
  products: [Product!]!
  secret: String @cacheControl(maxAge: 60, scope: PRIVATE)
  uncached: String
  fail: String @cacheControl(maxAge: 60)
}
type Product @cacheControl(maxAge: 30) { title: String }
type Mutation { m: String }
`

// testData is every operation's canned data; one selecting "fail" also
// gets a field error.
const testData = `{"x":1}`

// refusal refuses operations by name before execution, as graph/limits
// does: "Rationed" with a RATE_LIMITED error carrying retryAfter,
// "TooBig" with a plain limit error; "Panic" panics.
type refusal struct{}

func (refusal) ExtensionName() string                   { return "TestRefusal" }
func (refusal) Validate(graphql.ExecutableSchema) error { return nil }
func (refusal) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	switch oc.Operation.Name {
	case "Rationed":
		return &gqlerror.Error{Message: "slow down", Extensions: map[string]any{"code": "RATE_LIMITED", "retryAfter": 3}}
	case "TooBig":
		return &gqlerror.Error{Message: "too big", Extensions: map[string]any{"code": "DEPTH_LIMIT_EXCEEDED"}}
	case "Panic":
		panic("extension bug")
	}
	return nil
}

func retryAfter(err *gqlerror.Error) (time.Duration, bool) {
	if err.Extensions["code"] != "RATE_LIMITED" {
		return 0, false
	}
	secs, ok := err.Extensions["retryAfter"].(int)
	return time.Duration(secs) * time.Second, ok
}

// testServer is the endpoint on testSchema with the transport, a refusing
// extension and APQ over store, behind Deadline(timeout). Requests with an
// X-Signed-In header are signed in.
func testServer(t *testing.T, timeout time.Duration, store graphql.Cache[string]) http.Handler {
	t.Helper()
	schema := gqlparser.MustLoadSchema(&ast.Source{Input: testSchema})
	es := &graphql.ExecutableSchemaMock{
		SchemaFunc: func() *ast.Schema { return schema },
		ComplexityFunc: func(context.Context, string, string, int, map[string]any) (int, bool) {
			return 1, true
		},
		ExecFunc: func(ctx context.Context) graphql.ResponseHandler {
			oc := graphql.GetOperationContext(ctx)
			done := false
			return func(ctx context.Context) *graphql.Response {
				if done {
					return nil
				}
				done = true
				if strings.Contains(oc.RawQuery, "fail") {
					graphql.AddError(ctx, gqlerror.Errorf("field failed"))
				}
				return &graphql.Response{Data: json.RawMessage(testData)}
			}
		},
	}
	srv := handler.New(es)
	srv.AddTransport(gqlhttp.NewTransport(gqlhttp.TransportOptions{
		Schema:     schema,
		SignedIn:   func(r *http.Request) bool { return r.Header.Get("X-Signed-In") != "" },
		RetryAfter: retryAfter,
	}))
	if store == nil {
		store = lru.New[string](100)
	}
	persisted := gqlhttp.PersistedQueries{Store: store}
	srv.Use(extension.AutomaticPersistedQuery{Cache: persisted.Lookup()})
	srv.Use(refusal{})
	srv.Use(persisted)
	return gqlhttp.Deadline(timeout, slog.New(slog.DiscardHandler))(srv)
}

type testReply struct {
	status int
	header http.Header
	body   string
}

func send(t *testing.T, h http.Handler, req *http.Request) testReply {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return testReply{status: rec.Code, header: rec.Header(), body: rec.Body.String()}
}

func post(body string, header ...string) *http.Request {
	req := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

func get(query string, header ...string) *http.Request {
	req := httptest.NewRequest(http.MethodGet, "/graphql?"+url.Values{"query": {query}}.Encode(), nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return req
}

const acceptResponse = "application/graphql-response+json"

func TestTransportResponses(t *testing.T) {
	t.Parallel()
	h := testServer(t, 0, nil)
	tests := []struct {
		name    string
		req     *http.Request
		status  int
		header  map[string]string // "" means absent
		body    string
		hasData bool // checked when body is ""
	}{
		{
			name: "ExecutedIsOK", req: post(`{"query":"{ uncached }"}`), status: http.StatusOK,
			header: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store", "Vary": "Authorization", "ETag": "", "Retry-After": ""},
			body:   `{"data":{"x":1}}`,
		},
		{
			name: "ExecutedWithErrorsIsOKWithData", req: post(`{"query":"{ fail }"}`, "Accept", acceptResponse), status: http.StatusOK,
			header: map[string]string{"Content-Type": acceptResponse},
			body:   `{"errors":[{"message":"field failed"}],"data":{"x":1}}`,
		},
		{
			name: "RequestErrorJSONIsOKWithNullData", req: post(`{"query":"{ nope }"}`), status: http.StatusOK,
			header: map[string]string{"Content-Type": "application/json", "Cache-Control": "no-store"},
			body:   `{"errors":[{"message":"Cannot query field \"nope\" on type \"Query\".","locations":[{"line":1,"column":3}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}],"data":null}`,
		},
		{
			name: "RequestErrorGraphQLResponseIs400WithoutData", req: post(`{"query":"{ nope }"}`, "Accept", acceptResponse), status: http.StatusBadRequest,
			header: map[string]string{"Content-Type": acceptResponse},
			body:   `{"errors":[{"message":"Cannot query field \"nope\" on type \"Query\".","locations":[{"line":1,"column":3}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`,
		},
		{
			name: "LimitRefusalGraphQLResponseIs400", req: post(`{"query":"query TooBig { uncached }"}`, "Accept", acceptResponse), status: http.StatusBadRequest,
			body: `{"errors":[{"message":"too big","extensions":{"code":"DEPTH_LIMIT_EXCEEDED"}}]}`,
		},
		{
			name: "LimitRefusalJSONIsOK", req: post(`{"query":"query TooBig { uncached }"}`), status: http.StatusOK,
			body: `{"errors":[{"message":"too big","extensions":{"code":"DEPTH_LIMIT_EXCEEDED"}}],"data":null}`,
		},
		{
			name: "RationedIs429WithRetryAfter", req: post(`{"query":"query Rationed { uncached }"}`), status: http.StatusTooManyRequests,
			header: map[string]string{"Retry-After": "3", "Content-Type": "application/json", "Cache-Control": "no-store"},
			body:   `{"errors":[{"message":"slow down","extensions":{"code":"RATE_LIMITED","retryAfter":3}}],"data":null}`,
		},
		{
			name: "RationedGraphQLResponseHasNoData", req: post(`{"query":"query Rationed { uncached }"}`, "Accept", acceptResponse), status: http.StatusTooManyRequests,
			header: map[string]string{"Retry-After": "3"},
			body:   `{"errors":[{"message":"slow down","extensions":{"code":"RATE_LIMITED","retryAfter":3}}]}`,
		},
		{
			name: "BodyNotJSONIs400", req: post(`{"query":`), status: http.StatusBadRequest,
			header: map[string]string{"Content-Type": "application/json"},
			body:   `{"errors":[{"message":"json request body could not be decoded: unexpected EOF body:{\"query\":"}],"data":null}`,
		},
		{
			name: "FormIsNotSupported", req: func() *http.Request {
				r := post("query=%7B+uncached+%7D")
				r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				return r
			}(), status: http.StatusBadRequest,
			// No Content-Type of ours (on the wire net/http sniffs
			// text/plain; charset=utf-8).
			header: map[string]string{"Content-Type": "", "Cache-Control": "no-store", "Vary": "Authorization"},
			body:   `{"errors":[{"message":"transport not supported"}],"data":null}`,
		},
		{
			name: "PUTIsNotSupported", req: httptest.NewRequest(http.MethodPut, "/graphql", nil), status: http.StatusBadRequest,
			body: `{"errors":[{"message":"transport not supported"}],"data":null}`,
		},
		{
			name: "MutationOverGETIs406", req: get("mutation { m }", "Accept", acceptResponse), status: http.StatusNotAcceptable,
			body: `{"errors":[{"message":"GET requests only allow query operations"}]}`,
		},
		{
			name: "BadVariablesOverGETIs400", req: httptest.NewRequest(http.MethodGet, "/graphql?query=%7B+uncached+%7D&variables=%7Bx", nil), status: http.StatusBadRequest,
			body: `{"errors":[{"message":"variables could not be decoded"}],"data":null}`,
		},
		{
			name: "PublicGETIsPublic", req: get("{ products { title } }"), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "public, max-age=30", "Vary": "Authorization"},
			body:   `{"data":{"x":1}}`,
		},
		{
			name: "SignedInGETIsPrivate", req: get("{ products { title } }", "X-Signed-In", "yes"), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "private, max-age=30"},
		},
		{
			name: "PrivateFieldGETIsPrivate", req: get("{ secret }"), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "private, max-age=60"},
		},
		{
			name: "UnhintedRootGETIsNoStore", req: get("{ uncached products { title } }"), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "no-store"},
		},
		{
			name: "FragmentTakesItsFieldsHints", req: get("query { ...Q } fragment Q on Query { products { ... on Product { title } } secret }"), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "private, max-age=30"},
		},
		{
			name: "IntrospectionGETIsNoStore", req: get("{ products { title } __schema { queryType { name } } }"), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "no-store"},
		},
		{
			name: "GETWithErrorsIsNoStore", req: get("{ fail }"), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "no-store"},
		},
		{
			name: "POSTIsNoStore", req: post(`{"query":"{ products { title } }"}`), status: http.StatusOK,
			header: map[string]string{"Cache-Control": "no-store", "ETag": ""},
		},
		{
			name: "PanicIs500", req: post(`{"query":"query Panic { uncached }"}`, "Accept", acceptResponse), status: http.StatusInternalServerError,
			header: map[string]string{"Content-Type": acceptResponse, "Cache-Control": "no-store", "Vary": "Authorization"},
			body:   `{"errors":[{"message":"internal system error"}]}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, h, tt.req)
			if r.status != tt.status {
				t.Errorf("status: got %d, want %d (body %s)", r.status, tt.status, r.body)
			}
			for k, want := range tt.header {
				if got := r.header.Get(k); got != want {
					t.Errorf("%s: got %q, want %q", k, got, want)
				}
			}
			if tt.body != "" && r.body != tt.body {
				t.Errorf("body:\ngot  %s\nwant %s", r.body, tt.body)
			}
			if got, want := r.header.Get("Content-Length"), strconv.Itoa(len(r.body)); got != want {
				t.Errorf("Content-Length: got %q, want %q", got, want)
			}
			if tt.req.Method == http.MethodGet && r.status == http.StatusOK {
				sum := sha256.Sum256([]byte(r.body))
				if got, want := r.header.Get("ETag"), `W/"`+hex.EncodeToString(sum[:16])+`"`; got != want {
					t.Errorf("ETag: got %q, want %q", got, want)
				}
			}
		})
	}
}

func TestTransportNotModified(t *testing.T) {
	t.Parallel()
	h := testServer(t, 0, nil)
	first := send(t, h, get("{ products { title } }"))
	etag := first.header.Get("ETag")
	tests := []struct {
		name        string
		ifNoneMatch string
		status      int
	}{
		{name: "SameETag", ifNoneMatch: etag, status: http.StatusNotModified},
		{name: "StrongFormOfETag", ifNoneMatch: `"x", ` + strings.TrimPrefix(etag, "W/"), status: http.StatusNotModified},
		{name: "Star", ifNoneMatch: "*", status: http.StatusNotModified},
		{name: "OtherETag", ifNoneMatch: `W/"0123"`, status: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := send(t, h, get("{ products { title } }", "If-None-Match", tt.ifNoneMatch))
			if r.status != tt.status {
				t.Errorf("status: got %d, want %d", r.status, tt.status)
			}
			if tt.status == http.StatusNotModified && (r.body != "" || r.header.Get("ETag") != etag || r.header.Get("Cache-Control") != "public, max-age=30") {
				t.Errorf("304: got body %q, ETag %q, Cache-Control %q, want no body, %q and the 200's Cache-Control", r.body, r.header.Get("ETag"), r.header.Get("Cache-Control"), etag)
			}
			if tt.status == http.StatusOK && r.body != first.body {
				t.Errorf("body: got %s, want %s", r.body, first.body)
			}
		})
	}
}

// Past the deadline before execution, gqlgen produces no response: the
// transport answers 503 TIMEOUT, as application/json whatever was asked.
func TestTransportDeadlinePassed(t *testing.T) {
	t.Parallel()
	h := testServer(t, time.Nanosecond, nil)
	r := send(t, h, post(`{"query":"{ uncached }"}`, "Accept", acceptResponse))
	if r.status != http.StatusServiceUnavailable {
		t.Errorf("status: got %d, want 503", r.status)
	}
	if got := r.header.Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type: got %q, want application/json", got)
	}
	const want = `{"errors":[{"message":"the request took too long and was stopped","extensions":{"code":"TIMEOUT"}}]}`
	if r.body != want {
		t.Errorf("body: got %s, want %s", r.body, want)
	}
}

func apq(query string, withQuery bool) string {
	sum := sha256.Sum256([]byte(query))
	body := map[string]any{"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}}
	if withQuery {
		body["query"] = query
	}
	b, _ := json.Marshal(body)
	return string(b)
}

// Only a query that passed every extension is registered.
func TestPersistedQueriesRegisterOnlyWhatPassed(t *testing.T) {
	t.Parallel()
	store := lru.New[string](100)
	h := testServer(t, 0, store)
	tests := []struct {
		name       string
		query      string
		registered bool
	}{
		{name: "Valid", query: "query Ok { uncached }", registered: true},
		{name: "Invalid", query: "{ nope }"},
		{name: "RefusedByALimit", query: "query TooBig { uncached }"},
		{name: "Rationed", query: "query Rationed { uncached }"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			send(t, h, post(apq(tt.query, true)))
			r := send(t, h, post(apq(tt.query, false)))
			notFound := strings.Contains(r.body, "PersistedQueryNotFound")
			if notFound == tt.registered {
				t.Errorf("hash only afterwards: got %s, want registered %v", r.body, tt.registered)
			}
		})
	}
	t.Run("WrongHashNotRegistered", func(t *testing.T) {
		body := strings.Replace(apq("{ uncached }", true), `"query":"{ uncached }"`, `"query":"{ products { title } }"`, 1)
		if r := send(t, h, post(body)); !strings.Contains(r.body, "provided APQ hash does not match query") {
			t.Fatalf("query with another query's hash: got %s, want the mismatch refused", r.body)
		}
		var buf bytes.Buffer
		buf.WriteString(apq("{ uncached }", false))
		if r := send(t, h, post(buf.String())); !strings.Contains(r.body, "PersistedQueryNotFound") {
			t.Errorf("the hash afterwards: got %s, want PersistedQueryNotFound", r.body)
		}
	})
}
