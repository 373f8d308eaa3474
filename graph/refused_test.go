package graph_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/gqlhttp"
	"github.com/shopgraph/shopgraph/graph/limits"
)

// Documents that fail validation must not cost more than valid ones: their
// errors are capped, so their response and the work to build it are
// bounded whatever the document repeats.

// conflictBomb is a document of n fields named alike with different
// arguments: every pair of them conflicts (n·(n-1)/2 errors uncapped).
func conflictBomb(n int) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, ` products(first: 1, filter: {search: "s%d"}) { totalCount }`, i)
	}
	b.WriteString(" }")
	return b.String()
}

// directiveBomb is one field with n unknown directives.
func directiveBomb(n int) string {
	var b strings.Builder
	b.WriteString("{ products(first: 1)")
	for i := range n {
		fmt.Fprintf(&b, " @d%d", i)
	}
	b.WriteString(" { totalCount } }")
	return b.String()
}

func TestEdgeRefusedDocumentsAreBounded(t *testing.T) {
	e := newEnv(t, dialect.Postgres, productionEdge)
	// 499 alike: refused before validation, which would compare 124,251
	// pairs of them (and, uncapped, answer 124,251 errors in 30 MB).
	r := edgePost(t, e, conflictBomb(499))
	if code, n := r.code(t), len(r.gql(t).Errors); code != "FIELD_LIMIT_EXCEEDED" || n != 1 {
		t.Fatalf("499 fields named alike: got %d errors, code %q, want one FIELD_LIMIT_EXCEEDED", n, code)
	}
	for _, tc := range []struct {
		name, query string
	}{
		{"ConflictingFields", conflictBomb(100)},   // uncapped: 4,950 errors
		{"UnknownDirectives", directiveBomb(4900)}, // uncapped: 9,799 errors
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := edgePost(t, e, tc.query)
			g := r.gql(t)
			if len(g.Errors) == 0 || len(g.Errors) > 51 || r.hasData(t) {
				t.Fatalf("got %d errors (data %t), want at most 50 and one saying the rest were left out", len(g.Errors), r.hasData(t))
			}
			if code := r.code(t); code != "GRAPHQL_VALIDATION_FAILED" {
				t.Fatalf("got code %q, want GRAPHQL_VALIDATION_FAILED", code)
			}
			if last := g.Errors[len(g.Errors)-1].Message; !strings.Contains(last, "too many validation errors") {
				t.Fatalf("last error: got %q, want the note that more were left out", last)
			}
			if len(r.body) > 64<<10 {
				t.Fatalf("response of %d bytes, want at most 64 KiB", len(r.body))
			}
		})
	}
	// A document with a few mistakes still gets every one of them.
	r = edgePost(t, e, `{ products(first: 1) { nope } categories { alsoNope } }`)
	if n := len(r.gql(t).Errors); n != 2 {
		t.Fatalf("two unknown fields: got %d errors, want 2: %s", n, r.body)
	}
	// Fragments that select the same field a few times are fine.
	r = edgePost(t, e, `{ products(first: 1) { edges { node { id ...A ...B } } } } fragment A on Product { id title } fragment B on Product { id title }`)
	if !r.hasData(t) {
		t.Fatalf("fragments repeating fields: got %s, want data", r.body)
	}
}

// BenchmarkRefusedDocument measures what a document refused by validation
// costs the server: the conflict bomb of 100 fields with pairwise
// conflicts (4,950 of them), the most the precheck lets through, and the
// message bytes it sends back.
//
//	go test ./graph -run '^$' -bench RefusedDocument -benchmem -benchtime 20x
func BenchmarkRefusedDocument(b *testing.B) {
	e := newEnv(b, dialect.Postgres, productionEdge, func(o *envConfig) { o.Timeout = time.Minute })
	q := conflictBomb(100)
	var bytes int
	b.ReportAllocs()
	for b.Loop() {
		res, err := e.post(q, nil, "")
		if err != nil || len(res.Errors) == 0 {
			b.Fatalf("got %v, %d errors, want a refusal", err, len(res.Errors))
		}
		bytes = 0
		for _, er := range res.Errors {
			bytes += len(er.Message)
		}
	}
	b.ReportMetric(float64(bytes), "message-bytes/op")
}

// TestEdgeRefusedDocumentsAreCharged: a refused document draws on the
// caller's budget like an executed one, so refusals cannot be repeated
// for free; an automatic persisted query's first try (a hash the server
// does not know yet) is the protocol, not a refusal, and is free.
func TestEdgeRefusedDocumentsAreCharged(t *testing.T) {
	clk := newClock()
	slow := limits.Rule{Capacity: 100, PerSecond: 0.001}
	e := edgeEnv(t, withClock(clk), withEdgeBudget(limits.NewMemory(slow, limits.WithClock(clk.Now))),
		func(o *envConfig) { o.Limits.RefusedCost = 50 })
	for range 5 {
		r := edgePostJSON(t, e, map[string]any{"extensions": apqExtension(apqHash("{ __typename }"))}, nil)
		if r.status == 429 {
			t.Fatalf("persisted-query misses were charged: %s", r.body)
		}
	}
	for range 2 {
		if r := edgePost(t, e, `{ nope }`); r.code(t) != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("invalid document: got %s", r.body)
		}
	}
	if r := edgePost(t, e, `{ __typename }`); r.status != 429 || r.code(t) != "RATE_LIMITED" {
		t.Fatalf("after two refusals of cost 50 in a budget of 100: got %d %s, want 429 RATE_LIMITED", r.status, r.body)
	}
}

// TestEdgeCachesAreBounded: what a valid request leaves behind is bounded
// in bytes, not just entries. A long string literal is refused before any
// work (long text goes in variables); a large document runs but is not
// kept as a persisted query; and each caller may register only so many.
func TestEdgeCachesAreBounded(t *testing.T) {
	rationed := func(o *envConfig) {
		o.Limits.Registrations = &limits.FieldRule{Limiter: limits.NewMemory(limits.Rule{Capacity: 2, PerSecond: 0.0001}), Key: graph.ByIdentity}
	}
	e := edgeEnv(t, rationed)

	e.counter.Reset()
	long := `{ products(first: 1, filter: {search: "` + strings.Repeat("w", limits.MaxStringLiteral+1) + `"}) { totalCount } }`
	if r := edgePost(t, e, long); r.code(t) != "STRING_LIMIT_EXCEEDED" {
		t.Fatalf("a %d-byte literal: got %.300s, want STRING_LIMIT_EXCEEDED", len(long), r.body)
	}
	checkNoSQL(t, e)

	registered := func(q string) bool {
		t.Helper()
		h := apqHash(q)
		if r := edgePostJSON(t, e, map[string]any{"query": q, "extensions": apqExtension(h)}, nil); !r.hasData(t) {
			t.Fatalf("registering %d bytes: got %.300s, want data", len(q), r.body)
		}
		r := edgePostJSON(t, e, map[string]any{"extensions": apqExtension(h)}, nil)
		return r.hasData(t)
	}
	big := "{ __typename } # " + strings.Repeat("x", gqlhttp.MaxCachedDocument)
	if registered(big) {
		t.Fatalf("a %d-byte document was kept as a persisted query, want only documents up to %d bytes", len(big), gqlhttp.MaxCachedDocument)
	}
	if !registered("{ a: __typename }") || !registered("{ b: __typename }") {
		t.Fatal("the first two registrations were not kept")
	}
	if registered("{ c: __typename }") {
		t.Fatal("a third registration within the ration of 2 was kept")
	}
	// Re-sending a registered query is not a new registration.
	if !registered("{ a: __typename }") {
		t.Fatal("a registered query was forgotten")
	}
}

// TestEdgeLargeRequestsPayBySize: reading and parsing a document costs
// more the larger it is, so a large request pays for its size before it
// is read, and a caller whose budget cannot pay is turned away (429 with
// Retry-After) without it being read at all: here a body that never
// arrives gets the 429 at once instead of waiting for the read timeout.
// Documents Guard's precheck refuses (a huge string literal) are charged
// like other refusals. A forged token does not make a new caller; another
// caller is unaffected.
func TestEdgeLargeRequestsPayBySize(t *testing.T) {
	clk := newClock()
	budget := limits.Rule{Capacity: 20000, PerSecond: 0.001}
	e := edgeEnv(t, withClock(clk), withEdgeBudget(limits.NewMemory(budget, limits.WithClock(clk.Now))),
		func(o *envConfig) { o.Limits.RefusedCost = 50; o.ReadTimeout = time.Minute })
	huge := map[string]any{"query": `{ products(filter: {search: "` + strings.Repeat("x", 600<<10) + `"}) { totalCount } }`}
	r := edgePostJSON(t, e, huge, nil)
	if r.code(t) != limits.CodeString {
		t.Fatalf("a 600 KB literal: got %d %s, want %s", r.status, r.body, limits.CodeString)
	}
	// 600 KB / 64 = 9,600 units, and 50 for the refusal: 10,350 left.
	if r := edgePost(t, e, `{ __typename }`); r.header.Get("X-RateLimit-Remaining") != "10349" {
		t.Fatalf("after a 600 KB refused document: got X-RateLimit-Remaining %q, want 10349 (20,000 less 9,600 for its size, 50 for refusing it, 1 for this)",
			r.header.Get("X-RateLimit-Remaining"))
	}
	if r := edgePostJSON(t, e, huge, nil); r.code(t) != limits.CodeString {
		t.Fatalf("the second 600 KB literal: got %d %s, want %s", r.status, r.body, limits.CodeString)
	}
	for _, token := range []string{"", "Bearer forged.token.value"} {
		raw := rawPost(t, e.url, token, 500<<10, `{"query": "{ products`)
		if !strings.HasPrefix(raw, "HTTP/1.1 429") || !strings.Contains(raw, "Retry-After: ") || !strings.Contains(raw, `"RATE_LIMITED"`) {
			t.Fatalf("a 500 KB request (Authorization %q) the budget cannot pay for: got\n%.600s\nwant 429 RATE_LIMITED with Retry-After, before the body is read", token, raw)
		}
	}
	other := e.as(t, e.store.Client.User.Create().SetEmail("o@example.com").SetName("O").SaveX(t.Context()))
	if r := edgePost(t, other, `{ __typename }`); r.status != 200 || !r.hasData(t) {
		t.Fatalf("another caller: got %d %s, want its answer", r.status, r.body)
	}
}

// rawPost sends the headers of a POST announcing a body of length bytes
// and only the first part of it, then reads whatever the server answers
// within a minute (a server that waits for the rest answers 408 at its
// read timeout, a minute here).
func rawPost(t *testing.T, endpoint, authorization string, length int, part string) string {
	t.Helper()
	u, err := url.Parse(endpoint)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	head := "POST " + u.Path + " HTTP/1.1\r\nHost: " + u.Host + "\r\nContent-Type: application/json\r\nContent-Length: " + strconv.Itoa(length) + "\r\n"
	if authorization != "" {
		head += "Authorization: " + authorization + "\r\n"
	}
	io.WriteString(c, head+"\r\n"+part)
	c.SetReadDeadline(time.Now().Add(time.Minute))
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("no answer within a minute: the server waits for the rest of the body")
		}
		t.Fatalf("read the answer: %v", err)
	}
	defer res.Body.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "HTTP/1.1 %d\r\n", res.StatusCode)
	res.Header.Write(&b)
	body, _ := io.ReadAll(res.Body)
	b.Write(body)
	return b.String()
}
