package graph_test

import (
	"fmt"
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
