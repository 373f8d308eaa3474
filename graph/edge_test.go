package graph_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/ent/variant"
	"github.com/shopgraph/shopgraph/graph/limits"
	"github.com/shopgraph/shopgraph/graph/reqlog"
)

// These tests send each attack the production edge exists for over real
// HTTP and check the refusal: its code, its HTTP status, and that nothing
// was executed (no SQL statement reached the database).

// edgeRepeat joins n copies of format, each given its index.
func edgeRepeat(n int, format string) string {
	var b strings.Builder
	for i := range n {
		if strings.Contains(format, "%d") {
			fmt.Fprintf(&b, format, i)
		} else {
			b.WriteString(format)
		}
		b.WriteByte(' ')
	}
	return b.String()
}

// edgeFragmentBomb is a few hundred bytes that expand to 2^levels fields.
func edgeFragmentBomb(levels int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query { ...F%d }\nfragment F0 on Query { __typename }\n", levels)
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	return b.String()
}

// Queries that break one limit each.
var (
	edgeDeepQuery   = `{ category(slug: "apparel") { ` + strings.Repeat("parent { ", 20) + "id" + strings.Repeat(" }", 20) + " } }"
	edgeFanOutQuery = `{ products(first: 100) { edges { node { reviews(first: 100) { edges { node {
		author { reviews(first: 100) { edges { node { title } } } } } } } } } } }`
	edgeAliasQuery = "{ " + edgeRepeat(3000, "a%d: __typename") + "}"
)

const (
	edgeParseFailed      = "GRAPHQL_PARSE_FAILED"
	edgeValidationFailed = "GRAPHQL_VALIDATION_FAILED"
)

// hostileDocuments are operations that must be refused before execution,
// cheaply: refusing must not cost more than the attack. That is a matter of
// how the checks count, not of a stopwatch: FragmentBomb's 2^24 fields can
// only be refused at all because fragments are measured once each.
var hostileDocuments = []struct {
	name  string
	query string
	codes []string // any of
}{
	{
		name:  "DeepNesting",
		query: edgeDeepQuery,
		codes: []string{limits.CodeDepth},
	},
	{
		name:  "WideFanOut",
		query: edgeFanOutQuery,
		codes: []string{limits.CodeComplexity},
	},
	{
		name:  "ThousandsOfAliases",
		query: edgeAliasQuery,
		codes: []string{limits.CodeAliases},
	},
	{
		name:  "ThousandsOfAliasedLists",
		query: "{ " + edgeRepeat(900, "p%d: products(first: 1) { totalCount }") + "}",
		codes: []string{limits.CodeAliases},
	},
	{
		name:  "SameField5000Times",
		query: "{ products(first: 1) { edges { node { " + edgeRepeat(5000, "title") + "} } } }",
		codes: []string{edgeParseFailed, limits.CodeFields},
	},
	{
		// Just under the token limit: the most fields a document may carry.
		name:  "SameField9000Times",
		query: "{ " + edgeRepeat(9000, "__typename") + "}",
		codes: []string{edgeParseFailed, limits.CodeFields},
	},
	{
		name:  "SameField20000Times",
		query: "{ " + edgeRepeat(20000, "__typename") + "}",
		codes: []string{edgeParseFailed, limits.CodeFields},
	},
	{
		name:  "DirectiveFlood",
		query: "{ __typename " + edgeRepeat(3000, "@include(if: true)") + "}",
		codes: []string{edgeParseFailed, edgeValidationFailed},
	},
	{
		name:  "DirectiveFloodUnderTokenLimit",
		query: "{ __typename " + edgeRepeat(1000, "@include(if: true)") + "}",
		codes: []string{edgeParseFailed, edgeValidationFailed},
	},
	{
		name:  "FragmentCycle",
		query: "query { ...A } fragment A on Query { __typename ...B } fragment B on Query { __typename ...A }",
		codes: []string{edgeValidationFailed},
	},
	{
		// 24 levels: 16.7 million fields from under 1 KB.
		name:  "FragmentBomb",
		query: edgeFragmentBomb(24),
		codes: []string{limits.CodeFields},
	},
}

func TestEdgeRefusesHostileDocuments(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	for _, tt := range hostileDocuments {
		t.Run(tt.name, func(t *testing.T) {
			e.counter.Reset()
			r := edgePost(t, e, tt.query)
			// application/json: request errors are 200 (GraphQL over HTTP).
			if r.status != http.StatusOK {
				t.Errorf("status: got %d, want 200 with errors:\n%.500s", r.status, r.body)
			}
			if got := r.code(t); !slices.Contains(tt.codes, got) {
				t.Errorf("code: got %q, want one of %v:\n%.500s", got, tt.codes, r.body)
			}
			if r.hasData(t) {
				t.Errorf("data: got %.200s, want none", r.gql(t).Data)
			}
			checkNoSQL(t, e)
		})
	}
}

// With Accept: application/graphql-response+json, an operation refused
// before execution is a request error: 4xx and no "data" entry (GraphQL
// over HTTP; the README promises it).
func TestEdgeRefusalsAreRequestErrors(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	tests := []struct{ name, query string }{
		{name: "Validation", query: "{ nope }"},
		{name: "Depth", query: edgeDeepQuery},
		{name: "Complexity", query: edgeFanOutQuery},
		{name: "Aliases", query: edgeAliasQuery},
	}
	accept := http.Header{"Accept": {"application/graphql-response+json"}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := edgePostJSON(t, e, map[string]any{"query": tt.query}, accept)
			if r.status < 400 || r.status > 499 {
				t.Errorf("status: got %d, want 4xx:\n%.300s", r.status, r.body)
			}
			var obj map[string]json.RawMessage
			if err := json.Unmarshal(r.body, &obj); err != nil {
				t.Fatalf("body: got error %v, want JSON\n%.300s", err, r.body)
			}
			if d, ok := obj["data"]; ok {
				t.Errorf("data entry: got %s, want none for a request error", d)
			}
			if len(obj["errors"]) == 0 {
				t.Errorf("errors: got none, want the refusal")
			}
		})
	}
}

// edgePadding is n bytes of JSON string content.
func edgePadding(n int) string { return strings.Repeat("a", n) }

// chunkedBody hides a reader's length, so the client streams it chunked.
type chunkedBody struct{ io.Reader }

func TestEdgeRefusesHostileBodies(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	const limit = 1 << 20
	bigQuery, _ := json.Marshal(map[string]any{"query": "{ products(first: 1) { totalCount } }\n# " + edgePadding(2<<20)})
	vars := map[string]any{}
	for i := range 2048 {
		vars[fmt.Sprintf("v%d", i)] = edgePadding(1024)
	}
	bigVars, _ := json.Marshal(map[string]any{"query": "query($v0: String) { products(first: 1) { totalCount } }", "variables": vars})
	batch := []byte(`[{"query":"{ products(first: 1) { totalCount } }"},{"query":"{ products(first: 2) { totalCount } }"}]`)

	tests := []struct {
		name   string
		body   func() io.Reader
		status int
		code   string
	}{
		{name: "OversizedBody", body: func() io.Reader { return bytes.NewReader(bigQuery) }, status: http.StatusRequestEntityTooLarge, code: "REQUEST_TOO_LARGE"},
		{name: "OversizedBodyChunked", body: func() io.Reader { return chunkedBody{bytes.NewReader(bigQuery)} }, status: http.StatusRequestEntityTooLarge, code: "REQUEST_TOO_LARGE"},
		{name: "OversizedVariables", body: func() io.Reader { return bytes.NewReader(bigVars) }, status: http.StatusRequestEntityTooLarge, code: "REQUEST_TOO_LARGE"},
		{name: "OversizedVariablesChunked", body: func() io.Reader { return chunkedBody{bytes.NewReader(bigVars)} }, status: http.StatusRequestEntityTooLarge, code: "REQUEST_TOO_LARGE"},
		{name: "BatchedArray", body: func() io.Reader { return bytes.NewReader(batch) }, status: http.StatusBadRequest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := edgeRequest(t, e, http.MethodPost, e.url, "application/json", tt.body())
			if req.ContentLength == 0 {
				req.ContentLength = -1 // unknown: sent chunked
			}
			e.counter.Reset()
			r := edgeSend(t, req)
			if r.status != tt.status {
				t.Errorf("status: got %d, want %d:\n%.300s", r.status, tt.status, r.body)
			}
			if tt.code != "" {
				if got := r.code(t); got != tt.code {
					t.Errorf("code: got %q, want %q:\n%.300s", got, tt.code, r.body)
				}
			}
			checkNoSQL(t, e)
		})
	}

	t.Run("BodyAtLimitAccepted", func(t *testing.T) {
		q := "{ products(first: 1) { totalCount } }\n# "
		base, _ := json.Marshal(map[string]any{"query": q})
		body, _ := json.Marshal(map[string]any{"query": q + edgePadding(limit-len(base))})
		if len(body) != limit {
			t.Fatalf("test body: got %d bytes, want %d", len(body), limit)
		}
		r := edgeSend(t, edgeRequest(t, e, http.MethodPost, e.url, "application/json", bytes.NewReader(body)))
		if r.status != http.StatusOK || !r.hasData(t) || len(r.gql(t).Errors) > 0 {
			t.Errorf("body of exactly MaxBodyBytes: got %d %.300s, want 200 with data", r.status, r.body)
		}
		body = append(body[:len(body)-2], `a"}`...)
		if r := edgeSend(t, edgeRequest(t, e, http.MethodPost, e.url, "application/json", chunkedBody{bytes.NewReader(body)})); r.status != http.StatusRequestEntityTooLarge {
			t.Errorf("body of MaxBodyBytes+1, chunked: got %d %.300s, want 413", r.status, r.body)
		}
	})
}

// A page on another site can make a browser send a form (urlencoded,
// multipart or text/plain) or a GET without a CORS preflight: none of them
// may run a mutation.
func TestEdgeRefusesCrossSiteWrites(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	signUp := func(email string) string {
		return fmt.Sprintf(`mutation { signUp(input: {email: %q, password: "correct horse battery", name: "Mallory"}) { token } }`, email)
	}
	exists := func(t *testing.T, email string) bool {
		t.Helper()
		ok, err := e.store.Client.User.Query().Where(user.Email(email)).Exist(context.Background())
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		return ok
	}

	tests := []struct {
		name    string
		request func(t *testing.T, mutation string) *http.Request
		status  int
	}{
		{name: "FormURLEncoded", status: http.StatusBadRequest, request: func(t *testing.T, m string) *http.Request {
			body := url.Values{"query": {m}}.Encode()
			return edgeRequest(t, e, http.MethodPost, e.url, "application/x-www-form-urlencoded", strings.NewReader(body))
		}},
		{name: "MultipartForm", status: http.StatusBadRequest, request: func(t *testing.T, m string) *http.Request {
			var buf bytes.Buffer
			w := multipart.NewWriter(&buf)
			ops, _ := json.Marshal(map[string]any{"query": m})
			w.WriteField("operations", string(ops))
			w.WriteField("map", "{}")
			w.WriteField("query", m)
			w.Close()
			return edgeRequest(t, e, http.MethodPost, e.url, w.FormDataContentType(), &buf)
		}},
		{name: "TextPlainJSON", status: http.StatusBadRequest, request: func(t *testing.T, m string) *http.Request {
			body, _ := json.Marshal(map[string]any{"query": m})
			return edgeRequest(t, e, http.MethodPost, e.url, "text/plain", bytes.NewReader(body))
		}},
		{name: "MutationOverGET", status: http.StatusMethodNotAllowed, request: func(t *testing.T, m string) *http.Request {
			return edgeRequest(t, e, http.MethodGet, e.url+"?"+url.Values{"query": {m}}.Encode(), "", nil)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email := strings.ToLower(tt.name) + "@evil.example"
			req := tt.request(t, signUp(email))
			e.counter.Reset()
			r := edgeSend(t, req)
			if r.status != tt.status {
				t.Errorf("status: got %d, want %d:\n%.300s", r.status, tt.status, r.body)
			}
			checkNoSQL(t, e)
			if exists(t, email) {
				t.Errorf("user %s: got created, want nothing written", email)
			}
		})
	}

	// The same mutation as JSON does write: the refusals above are not
	// because the mutation itself fails.
	t.Run("JSONPostWrites", func(t *testing.T) {
		const email = "jsonpost@shop.example"
		r := edgePost(t, e, signUp(email))
		if r.status != http.StatusOK || len(r.gql(t).Errors) > 0 || !exists(t, email) {
			t.Errorf("signUp as JSON: got %d %.300s, want 200 and the user created", r.status, r.body)
		}
	})
}

// edgeBudgetQuery costs 7: products 1 + 2 × (edges 1 + node 1 + title 1).
const edgeBudgetQuery = `{ products(first: 2) { edges { node { title } } } }`

// rateHeaders are the budget headers, GitHub's names.
var rateHeaders = []string{"X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset"}

// budgetHeaders are the X-RateLimit-* headers of a bucket of capacity that
// drains a unit a second by clk, left holding level units by a request that
// poured used units in: whole units left, and when it will be empty, in
// Unix seconds rounded up.
func budgetHeaders(clk *clock, capacity, level float64, used int) map[string]string {
	empty := clk.Now().Add(time.Duration(level * float64(time.Second)))
	return map[string]string{
		"X-RateLimit-Limit":     strconv.FormatFloat(capacity, 'f', 0, 64),
		"X-RateLimit-Remaining": strconv.FormatFloat(math.Floor(capacity-level), 'f', 0, 64),
		"X-RateLimit-Used":      strconv.Itoa(used),
		"X-RateLimit-Reset":     strconv.FormatInt(int64(math.Ceil(float64(empty.UnixMilli())/1000)), 10),
	}
}

// checkBudgetHeaders fails unless r carries exactly the X-RateLimit-*
// headers of want, none if want is nil.
func checkBudgetHeaders(t *testing.T, what string, r edgeReply, want map[string]string) {
	t.Helper()
	for _, name := range rateHeaders {
		got := r.header.Values(name)
		switch {
		case want == nil && len(got) > 0:
			t.Errorf("%s: got %s %q, want none", what, name, got)
		case want != nil && (len(got) != 1 || got[0] != want[name]):
			t.Errorf("%s: got %s %q, want %q", what, name, got, want[name])
		}
	}
}

// checkCostIsTheSameForEveryone fails unless the body's extensions.cost is
// the operation's price alone: requested, limit and shape, nothing that
// depends on the caller.
func checkCostIsTheSameForEveryone(t *testing.T, r edgeReply) {
	t.Helper()
	var body struct {
		Extensions struct {
			Cost map[string]any `json:"cost"`
		} `json:"extensions"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("decode body: got error %v, want GraphQL JSON:\n%s", err, r.body)
	}
	got := slices.Sorted(maps.Keys(body.Extensions.Cost))
	if want := []string{"limit", "requested", "shape"}; !slices.Equal(got, want) {
		t.Errorf("extensions.cost: got members %v, want %v (the price, nothing of the caller's):\n%s", got, want, r.body)
	}
}

// checkBudgetRunsOut sends edgeBudgetQuery round-robin to envs, all drawing
// on one bucket of capacity 100 that drains at 1 unit a second by a clock
// that stands still meanwhile, until it is refused, and checks the refusal:
// 14 requests of cost 7 fit in 100, the 15th needs 5 more units, 5 s. Every
// answer, the 429 too, tells the budget in its headers, never in its body.
func checkBudgetRunsOut(t *testing.T, envs ...*env) {
	t.Helper()
	clk := envs[0].clock
	allowed := 0
	for i := 0; ; i++ {
		e := envs[i%len(envs)]
		e.counter.Reset()
		r := edgePostCost(t, e, edgeBudgetQuery)
		if r.status == http.StatusTooManyRequests {
			if got := r.code(t); got != limits.CodeRateLimited {
				t.Errorf("code of 429: got %q, want %s:\n%s", got, limits.CodeRateLimited, r.body)
			}
			if got := r.header.Get("Retry-After"); got != "5" {
				t.Errorf("Retry-After: got %q, want 5 (5 units short at 1/s)", got)
			}
			if ra, _ := r.gql(t).Errors[0].Extensions["retryAfter"].(float64); ra != 5 {
				t.Errorf("extensions.retryAfter: got %v, want 5 like the header", ra)
			}
			// Refused: nothing poured in, 2 units left, empty in 98 s.
			checkBudgetHeaders(t, "429", r, budgetHeaders(clk, 100, 98, 0))
			checkCostIsTheSameForEveryone(t, r)
			checkNoSQL(t, e)
			if r.hasData(t) {
				t.Errorf("data of a 429: got %s, want none", r.gql(t).Data)
			}
			break
		}
		if r.status != http.StatusOK || len(r.gql(t).Errors) > 0 {
			t.Fatalf("request %d: got status %d, want 200 with data or 429:\n%s", i+1, r.status, r.body)
		}
		checkBudgetHeaders(t, fmt.Sprintf("request %d (server %d)", i+1, i%len(envs)), r, budgetHeaders(clk, 100, float64(7*(i+1)), 7))
		checkCostIsTheSameForEveryone(t, r)
		allowed++
		if allowed > 100 {
			t.Fatalf("got 100 requests allowed, want a 429 once the budget of 100 is spent")
		}
	}
	if allowed != 14 {
		t.Errorf("requests allowed before the 429: got %d, want 14", allowed)
	}
	// Every server refuses now: the bucket is shared.
	for i, e := range envs {
		if r := edgePost(t, e, edgeBudgetQuery); r.status != http.StatusTooManyRequests {
			t.Errorf("server %d after the budget ran out: got %d, want 429", i, r.status)
		}
	}
}

// TestEdgeBudgetHeaders: the caller's budget travels in X-RateLimit-*
// headers, never in the body, so a publicly cacheable answer is the same
// bytes for every caller (its ETag holds while their budgets move) and
// carries no per-caller header a shared cache would replay to others; every
// other answer tells its caller the budget, counting down by what each
// request cost. The subtests run in order on one pair of budgets.
func TestEdgeBudgetHeaders(t *testing.T) {
	t.Parallel()
	// 1000 units draining at 1 a second by a clock that moves only when
	// told: every level, and so every reset time, is exact.
	clk := newClock()
	e := edgeEnv(t, withClock(clk), withEdgeBudget(limits.NewMemory(limits.Rule{Capacity: 1000, PerSecond: 1}, limits.WithClock(clk.Now))),
		func(o *envConfig) { o.Limits.RefusedCost = 50 })
	anonymous := e // its budget is its address's
	customer := e.as(t, e.user(t, "customer@shopgraph.dev"))
	get := url.Values{"query": {edgeBudgetQuery}, "extensions": {`{"cost":true}`}}
	var anonymousLevel, customerLevel float64 // what each bucket holds

	var public edgeReply
	t.Run("PublicAnswerIsTheSameForEveryCaller", func(t *testing.T) {
		public = edgeGet(t, anonymous, get, nil)
		again := edgeGet(t, anonymous, get, nil)
		private := edgeGet(t, customer, get, nil)
		anonymousLevel, customerLevel = 14, 7
		for name, r := range map[string]edgeReply{"anonymous": public, "anonymous again": again, "signed in": private} {
			if r.status != http.StatusOK || !r.hasData(t) {
				t.Fatalf("%s GET: got %d %s, want 200 with data", name, r.status, r.body)
			}
			if string(r.body) != string(public.body) || r.header.Get("ETag") != public.header.Get("ETag") {
				t.Errorf("%s GET while budgets moved: got %s (ETag %s),\nwant the same bytes and ETag as the first: %s (ETag %s)",
					name, r.body, r.header.Get("ETag"), public.body, public.header.Get("ETag"))
			}
			checkCostIsTheSameForEveryone(t, r)
		}
		if cc := public.header.Get("Cache-Control"); !strings.HasPrefix(cc, "public") {
			t.Fatalf("anonymous GET: got Cache-Control %q, want public", cc)
		}
		checkBudgetHeaders(t, "public answer", public, nil)
		checkBudgetHeaders(t, "public answer again", again, nil)
		if cc := private.header.Get("Cache-Control"); !strings.HasPrefix(cc, "private") {
			t.Fatalf("signed-in GET: got Cache-Control %q, want private", cc)
		}
		checkBudgetHeaders(t, "private answer", private, budgetHeaders(clk, 1000, customerLevel, 7))
	})

	t.Run("NotModifiedWhileTheBudgetMoves", func(t *testing.T) {
		etag := http.Header{"If-None-Match": {public.header.Get("ETag")}}
		r := edgeGet(t, anonymous, get, etag)
		anonymousLevel += 7
		if r.status != http.StatusNotModified {
			t.Fatalf("anonymous If-None-Match after two charged requests: got %d, want 304", r.status)
		}
		checkBudgetHeaders(t, "public 304", r, nil)
		r = edgeGet(t, customer, get, etag)
		customerLevel += 7
		if r.status != http.StatusNotModified {
			t.Fatalf("signed-in If-None-Match of the anonymous ETag: got %d, want 304 (the same body)", r.status)
		}
		checkBudgetHeaders(t, "private 304", r, budgetHeaders(clk, 1000, customerLevel, 7))
		// The budget did move: three GETs so far, this POST the fourth.
		r = edgePost(t, anonymous, edgeBudgetQuery)
		anonymousLevel += 7
		checkBudgetHeaders(t, "anonymous POST after three GETs", r, budgetHeaders(clk, 1000, anonymousLevel, 7))
	})

	t.Run("PrivateAnswersCountDown", func(t *testing.T) {
		for i, r := range []edgeReply{
			edgeGet(t, customer, get, nil),
			edgePost(t, customer, edgeBudgetQuery),
			edgeGet(t, customer, url.Values{"query": {edgeBudgetQuery}}, nil),
		} {
			customerLevel += 7
			checkBudgetHeaders(t, fmt.Sprintf("request %d", i+1), r, budgetHeaders(clk, 1000, customerLevel, 7))
		}
		// 1.5 units drain; the half unit is not a whole one left.
		clk.Advance(1500 * time.Millisecond)
		customerLevel += 7 - 1.5
		checkBudgetHeaders(t, "1.5 s on", edgePost(t, customer, edgeBudgetQuery), budgetHeaders(clk, 1000, customerLevel, 7))
	})

	t.Run("RefusedBeforePricingReportsNothing", func(t *testing.T) {
		// The first is refused by validation, the second by the cost
		// limit (30,301 > 20,000), both before the budget is consulted;
		// each still pays RefusedCost.
		invalid := edgePost(t, customer, `{ nope }`)
		if invalid.code(t) != "GRAPHQL_VALIDATION_FAILED" {
			t.Fatalf("invalid document: got %s, want GRAPHQL_VALIDATION_FAILED", invalid.body)
		}
		checkBudgetHeaders(t, "invalid document", invalid, nil)
		costly := edgePost(t, customer, `{ products(first: 100) { edges { node { reviews(first: 100) { edges { node { title } } } } } } }`)
		if costly.code(t) != limits.CodeComplexity {
			t.Fatalf("costly document: got %s, want %s", costly.body, limits.CodeComplexity)
		}
		checkBudgetHeaders(t, "costly document", costly, nil)
		customerLevel += 2 * 50
		r := edgePost(t, customer, edgeBudgetQuery)
		customerLevel += 7
		checkBudgetHeaders(t, "after two refusals", r, budgetHeaders(clk, 1000, customerLevel, 7))
	})

	t.Run("RefusedAfterPricingReportsBothCharges", func(t *testing.T) {
		// inputtext refuses after the budget took the price (category 1
		// + name 1): the refusal's 50 is reported on top.
		r := edgePostJSON(t, customer, map[string]any{
			"query":     `query($slug: String!) { category(slug: $slug) { name } }`,
			"variables": map[string]any{"slug": "tees\u0007"},
		}, nil)
		if r.code(t) != "BAD_USER_INPUT" {
			t.Fatalf("a control character in a variable: got %s, want BAD_USER_INPUT", r.body)
		}
		customerLevel += 2 + 50
		checkBudgetHeaders(t, "refused input", r, budgetHeaders(clk, 1000, customerLevel, 52))
	})

	t.Run("NoBudgetReportsNothing", func(t *testing.T) {
		none := newEnv(t, dialect.SQLite, productionEdge)
		r := edgePost(t, none, `{ __typename }`)
		if r.status != http.StatusOK || !r.hasData(t) {
			t.Fatalf("without a budget: got %d %s, want 200 with data", r.status, r.body)
		}
		checkBudgetHeaders(t, "without a budget", r, nil)
	})
}

func TestEdgeRateLimit(t *testing.T) {
	t.Parallel()
	slow := limits.Rule{Capacity: 100, PerSecond: 1}

	t.Run("Memory", func(t *testing.T) {
		t.Parallel()
		clk := newClock()
		e := edgeEnv(t, withClock(clk), withEdgeBudget(limits.NewMemory(slow, limits.WithClock(clk.Now))))
		checkBudgetRunsOut(t, e)
		t.Run("SignedInUserHasOwnBudget", func(t *testing.T) {
			c := e.as(t, e.user(t, "customer@shopgraph.dev"))
			if r := edgePost(t, c, edgeBudgetQuery); r.status != http.StatusOK || len(r.gql(t).Errors) > 0 {
				t.Errorf("signed in while the IP's budget is spent: got %d %s, want 200", r.status, r.body)
			}
		})
	})

	t.Run("RedisSharedByTwoServers", func(t *testing.T) {
		t.Parallel()
		rdb := storetest.Redis(t)
		prefix := storetest.RedisPrefix(t, rdb, "edge")
		// One clock for both servers, as one Redis clock would be.
		clk := newClock()
		a := edgeEnv(t, withClock(clk), withEdgeBudget(limits.NewRedis(rdb, prefix, slow, limits.WithClock(clk.Now))))
		b := edgeEnv(t, withClock(clk), withEdgeBudget(limits.NewRedis(storetest.Redis(t), prefix, slow, limits.WithClock(clk.Now))))
		checkBudgetRunsOut(t, a, b)
	})

	t.Run("AllowedAgainAfterRetryAfter", func(t *testing.T) {
		t.Parallel()
		// 100 units draining at 20/s: the 15th request is 5 units short,
		// a quarter of a second, which Retry-After rounds up to 1 s.
		clk := newClock()
		e := edgeEnv(t, withClock(clk), withEdgeBudget(limits.NewMemory(limits.Rule{Capacity: 100, PerSecond: 20}, limits.WithClock(clk.Now))))
		var r edgeReply
		for i := 0; i < 100; i++ {
			if r = edgePost(t, e, edgeBudgetQuery); r.status == http.StatusTooManyRequests {
				break
			}
		}
		if r.status != http.StatusTooManyRequests {
			t.Fatalf("100 requests of cost 7: got no 429, want the budget of 100 to run out")
		}
		if got := r.header.Get("Retry-After"); got != "1" {
			t.Fatalf("Retry-After: got %q, want 1 (a quarter of a second, rounded up)", got)
		}
		clk.Advance(200 * time.Millisecond)
		if r := edgePost(t, e, edgeBudgetQuery); r.status != http.StatusTooManyRequests {
			t.Errorf("200ms on, still 1 unit short: got %d %s, want 429", r.status, r.body)
		}
		clk.Advance(800 * time.Millisecond)
		if r := edgePost(t, e, edgeBudgetQuery); r.status != http.StatusOK {
			t.Errorf("after waiting Retry-After (1s): got %d %s, want 200", r.status, r.body)
		}
	})
}

const edgeSignIn = `mutation($input: SignInInput!) { signIn(input: $input) { token } }`

func edgeSignInVars(password string) map[string]any {
	return map[string]any{"input": map[string]any{"email": "customer@shopgraph.dev", "password": password}}
}

// checkSignInLimited checks that r, a signIn attempt, was refused by the
// business limit before it ran.
func checkSignInLimited(t *testing.T, e *env, r edgeReply) {
	t.Helper()
	if r.status != http.StatusTooManyRequests {
		t.Errorf("status: got %d, want 429:\n%s", r.status, r.body)
	}
	if got := r.code(t); got != limits.CodeRateLimited {
		t.Errorf("code: got %q, want %s", got, limits.CodeRateLimited)
	}
	if secs, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || secs < 1 {
		t.Errorf("Retry-After: got %q, want at least 1", r.header.Get("Retry-After"))
	}
	if strings.Contains(string(r.body), `"token"`) {
		t.Errorf("body: got %s, want no token", r.body)
	}
	checkNoSQL(t, e)
}

func TestEdgeSignInLimit(t *testing.T) {
	t.Parallel()
	rule := limits.Rule{Capacity: 3, PerSecond: 0.01}

	t.Run("FourthAttemptRefusedEvenWithValidPassword", func(t *testing.T) {
		t.Parallel()
		e := edgeEnv(t, withSignInLimit(limits.NewMemory(rule)))
		payload := map[string]any{"query": edgeSignIn, "variables": edgeSignInVars(seed.DemoPassword)}
		for i := 1; i <= 3; i++ {
			r := edgePostJSON(t, e, payload, nil)
			var data struct {
				SignIn struct{ Token string } `json:"signIn"`
			}
			g := r.gql(t)
			json.Unmarshal(g.Data, &data)
			if r.status != http.StatusOK || len(g.Errors) > 0 || data.SignIn.Token == "" {
				t.Fatalf("sign-in %d of 3: got %d %s, want a token", i, r.status, r.body)
			}
		}
		e.counter.Reset()
		checkSignInLimited(t, e, edgePostJSON(t, e, payload, nil))

		t.Run("OtherOperationsUnaffected", func(t *testing.T) {
			if r := edgePost(t, e, edgeBudgetQuery); r.status != http.StatusOK || len(r.gql(t).Errors) > 0 {
				t.Errorf("query after sign-in was limited: got %d %s, want 200", r.status, r.body)
			}
		})
	})

	t.Run("AliasedAttemptsCountEach", func(t *testing.T) {
		t.Parallel()
		e := edgeEnv(t, withSignInLimit(limits.NewMemory(rule)))
		var q strings.Builder
		q.WriteString("mutation($input: SignInInput!) {")
		for i := range 4 {
			fmt.Fprintf(&q, " a%d: signIn(input: $input) { token }", i)
		}
		q.WriteString(" }")
		e.counter.Reset()
		checkSignInLimited(t, e, edgePostJSON(t, e, map[string]any{"query": q.String(), "variables": edgeSignInVars("guess-1")}, nil))
	})

	t.Run("RedisSharedByTwoServers", func(t *testing.T) {
		t.Parallel()
		rdb := storetest.Redis(t)
		prefix := storetest.RedisPrefix(t, rdb, "edge")
		a := edgeEnv(t, withSignInLimit(limits.NewRedis(rdb, prefix, rule)))
		b := edgeEnv(t, withSignInLimit(limits.NewRedis(storetest.Redis(t), prefix, rule)))
		payload := map[string]any{"query": edgeSignIn, "variables": edgeSignInVars("wrong-guess")}
		for i, e := range []*env{a, b, a} {
			if r := edgePostJSON(t, e, payload, nil); r.status != http.StatusOK || r.code(t) != "UNAUTHENTICATED" {
				t.Fatalf("wrong guess %d of 3: got %d %s, want 200 UNAUTHENTICATED", i+1, r.status, r.body)
			}
		}
		b.counter.Reset()
		checkSignInLimited(t, b, edgePostJSON(t, b, payload, nil))
	})
}

func TestEdgeReportsCost(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	tests := []struct {
		name   string
		query  string
		cost   int
		depth  int
		fields int
	}{
		{name: "TwoProducts", query: edgeBudgetQuery, cost: 7, depth: 4, fields: 4},
		{name: "TenProducts", query: `{ products(first: 10) { edges { node { title } } } }`, cost: 31, depth: 4, fields: 4},
		{name: "DefaultPageSize", query: `{ products { edges { node { title slug } } } }`, cost: 81, depth: 4, fields: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if r := edgePost(t, e, tt.query); r.gql(t).Extensions.Cost != nil {
				t.Errorf("extensions.cost unasked: got %s, want none", r.body)
			}
			r := edgePostCost(t, e, tt.query)
			g := r.gql(t)
			if r.status != http.StatusOK || len(g.Errors) > 0 {
				t.Fatalf("got %d %s, want data", r.status, r.body)
			}
			c := g.Extensions.Cost
			if c == nil {
				t.Fatalf("extensions.cost: got none, want it on every response that asks:\n%s", r.body)
			}
			if c.Requested != tt.cost || c.Limit != 20000 {
				t.Errorf("cost requested/limit: got %d/%d, want %d/20000", c.Requested, c.Limit, tt.cost)
			}
			if c.Shape.Depth != tt.depth || c.Shape.Fields != tt.fields || c.Shape.Aliases != 0 {
				t.Errorf("shape: got %+v, want depth %d, fields %d, aliases 0", c.Shape, tt.depth, tt.fields)
			}
		})
	}
}

func TestEdgeCacheControl(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	q := url.Values{"query": {edgeBudgetQuery}}
	public := edgeGet(t, e, q, nil)

	t.Run("AnonymousGETIsPublic", func(t *testing.T) {
		if public.status != http.StatusOK || !public.hasData(t) {
			t.Fatalf("GET: got %d %s, want 200 with data", public.status, public.body)
		}
		if got := public.header.Get("Cache-Control"); got != "public, max-age=60" {
			t.Errorf("Cache-Control: got %q, want %q", got, "public, max-age=60")
		}
		if got := public.header.Get("ETag"); !strings.HasPrefix(got, `W/"`) {
			t.Errorf("ETag: got %q, want a weak ETag", got)
		}
		if got := public.header.Values("Vary"); !slices.ContainsFunc(got, func(v string) bool { return strings.Contains(v, "Authorization") }) {
			t.Errorf("Vary: got %q, want it to include Authorization", got)
		}
	})
	t.Run("IfNoneMatchIsNotModified", func(t *testing.T) {
		r := edgeGet(t, e, q, http.Header{"If-None-Match": {public.header.Get("ETag")}})
		if r.status != http.StatusNotModified || len(r.body) != 0 {
			t.Errorf("GET with If-None-Match: got %d with %d bytes, want 304 and no body", r.status, len(r.body))
		}
	})
	t.Run("OtherETagGetsFullResponse", func(t *testing.T) {
		r := edgeGet(t, e, q, http.Header{"If-None-Match": {`W/"0123"`}})
		if r.status != http.StatusOK || !bytes.Equal(r.body, public.body) {
			t.Errorf("GET with a stale ETag: got %d %s, want 200 and the same body", r.status, r.body)
		}
	})

	tests := []struct {
		name  string
		e     *env
		get   bool
		query string
		want  func(cc string) bool
		desc  string
	}{
		{
			name: "SmallestMaxAgeWins", e: e, get: true,
			query: `{ products(first: 2) { edges { node { title variants { sku } } } } }`,
			want:  func(cc string) bool { return cc == "public, max-age=30" }, desc: "public, max-age=30 (variants)",
		},
		{
			name: "SignedInIsPrivate", e: e.as(t, e.user(t, "customer@shopgraph.dev")), get: true, query: edgeBudgetQuery,
			want: func(cc string) bool { return cc == "private, max-age=60" }, desc: "private, max-age=60",
		},
		{
			name: "POSTIsNoStore", e: e, query: edgeBudgetQuery,
			want: func(cc string) bool { return cc == "no-store" }, desc: "no-store",
		},
		{
			name: "ErrorIsNoStore", e: e, get: true, query: `{ products(first: 0) { edges { node { title } } } }`,
			want: func(cc string) bool { return cc == "no-store" }, desc: "no-store",
		},
		{
			name: "AnonymousViewerFieldsNotPublic", e: e, get: true, query: `{ viewer { email } }`,
			want: func(cc string) bool { return !strings.Contains(cc, "public") }, desc: "not public",
		},
		{
			name: "SignedInViewerFieldsNotPublic", e: e.as(t, e.user(t, "customer@shopgraph.dev")), get: true, query: `{ viewer { name email } }`,
			want: func(cc string) bool { return !strings.Contains(cc, "public") }, desc: "not public",
		},
		{
			name: "PrivateFieldNotPublic", e: e.as(t, e.user(t, "staff@shopgraph.dev")), get: true,
			query: `{ products(first: 1) { edges { node { reviews(first: 1) { edges { node { author { email } } } } } } } }`,
			want:  func(cc string) bool { return !strings.Contains(cc, "public") }, desc: "not public",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r edgeReply
			if tt.get {
				r = edgeGet(t, tt.e, url.Values{"query": {tt.query}}, nil)
			} else {
				r = edgePost(t, tt.e, tt.query)
			}
			if cc := r.header.Get("Cache-Control"); !tt.want(cc) {
				t.Errorf("Cache-Control: got %q, want %s (status %d, body %.300s)", cc, tt.desc, r.status, r.body)
			}
		})
	}
}

func apqHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func apqExtension(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

func TestEdgePersistedQueries(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	hash := apqHash(edgeBudgetQuery)

	t.Run("UnknownHashNotFound", func(t *testing.T) {
		e.counter.Reset()
		r := edgePostJSON(t, e, map[string]any{"extensions": apqExtension(hash)}, nil)
		g := r.gql(t)
		if len(g.Errors) != 1 || g.Errors[0].Message != "PersistedQueryNotFound" {
			t.Errorf("hash only, unknown: got %d %s, want one PersistedQueryNotFound error", r.status, r.body)
		}
		checkNoSQL(t, e)
	})
	var registered edgeReply
	t.Run("QueryWithHashRegisters", func(t *testing.T) {
		registered = edgePostJSON(t, e, map[string]any{"query": edgeBudgetQuery, "extensions": apqExtension(hash)}, nil)
		if registered.status != http.StatusOK || !registered.hasData(t) || len(registered.gql(t).Errors) > 0 {
			t.Fatalf("query with hash: got %d %s, want data", registered.status, registered.body)
		}
	})
	t.Run("HashOnlyOverGET", func(t *testing.T) {
		ext, _ := json.Marshal(apqExtension(hash))
		r := edgeGet(t, e, url.Values{"extensions": {string(ext)}}, nil)
		if r.status != http.StatusOK || len(r.gql(t).Errors) > 0 {
			t.Fatalf("GET with the hash only: got %d %s, want data", r.status, r.body)
		}
		if got, want := string(r.gql(t).Data), string(registered.gql(t).Data); got != want {
			t.Errorf("data: got %s, want %s (as when registered)", got, want)
		}
		if got := r.header.Get("Cache-Control"); got != "public, max-age=60" {
			t.Errorf("Cache-Control: got %q, want %q", got, "public, max-age=60")
		}
	})
	// Like Apollo Server, only operations that pass validation and the
	// limits are stored: otherwise anyone can park a megabyte of refused
	// text in the shared store (Redis, 24 h) per request.
	t.Run("RefusedDocumentNotRegistered", func(t *testing.T) {
		for _, q := range []string{edgeDeepQuery, edgeAliasQuery, "{ nope } # " + edgePadding(900<<10)} {
			h := apqHash(q)
			edgePostJSON(t, e, map[string]any{"query": q, "extensions": apqExtension(h)}, nil)
			r := edgePostJSON(t, e, map[string]any{"extensions": apqExtension(h)}, nil)
			if g := r.gql(t); len(g.Errors) != 1 || g.Errors[0].Message != "PersistedQueryNotFound" {
				t.Errorf("hash of a refused %d-byte document: got %.200s, want PersistedQueryNotFound (not stored)", len(q), r.body)
			}
		}
	})
	t.Run("WrongHashRefused", func(t *testing.T) {
		wrong := apqHash("{ __typename }")
		e.counter.Reset()
		r := edgePostJSON(t, e, map[string]any{"query": edgeBudgetQuery, "extensions": apqExtension(wrong)}, nil)
		if g := r.gql(t); len(g.Errors) == 0 || r.hasData(t) {
			t.Errorf("query with another query's hash: got %d %s, want an error and no data", r.status, r.body)
		}
		checkNoSQL(t, e)
		r = edgePostJSON(t, e, map[string]any{"extensions": apqExtension(wrong)}, nil)
		if g := r.gql(t); len(g.Errors) != 1 || g.Errors[0].Message != "PersistedQueryNotFound" {
			t.Errorf("the wrong hash afterwards: got %s, want PersistedQueryNotFound (nothing registered)", r.body)
		}
	})
}

func TestEdgeGzip(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	gz := http.Header{"Accept-Encoding": {"gzip"}}
	big := map[string]any{"query": `{ products(first: 20) { edges { node { title slug description } } } }`}

	t.Run("LargeResponseCompressed", func(t *testing.T) {
		r := edgePostJSON(t, e, big, gz)
		if got := r.header.Get("Content-Encoding"); got != "gzip" {
			t.Fatalf("Content-Encoding: got %q, want gzip (status %d, %d bytes)", got, r.status, len(r.body))
		}
		zr, err := gzip.NewReader(bytes.NewReader(r.body))
		if err != nil {
			t.Fatalf("gzip body: got error %v, want nil", err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("gunzip body: got error %v, want nil", err)
		}
		if len(plain) < 1024 || !json.Valid(plain) {
			t.Fatalf("decompressed: got %d bytes, valid JSON %v, want over 1 KB of JSON", len(plain), json.Valid(plain))
		}
		var g edgeGQL
		json.Unmarshal(plain, &g)
		if len(g.Errors) > 0 || len(g.Data) == 0 {
			t.Errorf("decompressed: got %.300s, want data", plain)
		}
	})
	t.Run("SmallResponseNotCompressed", func(t *testing.T) {
		r := edgePostJSON(t, e, map[string]any{"query": "{ __typename }"}, gz)
		if got := r.header.Get("Content-Encoding"); got != "" {
			t.Errorf("Content-Encoding of %d bytes: got %q, want none", len(r.body), got)
		}
	})
	t.Run("NotCompressedUnlessAccepted", func(t *testing.T) {
		r := edgePostJSON(t, e, big, nil)
		if got := r.header.Get("Content-Encoding"); got != "" || !json.Valid(r.body) {
			t.Errorf("without Accept-Encoding: got Content-Encoding %q, want plain JSON", got)
		}
	})
}

// corsPreflight sends a browser's CORS preflight for a JSON POST from origin.
func corsPreflight(t *testing.T, e *env, origin string) edgeReply {
	t.Helper()
	req := edgeRequest(t, e, http.MethodOptions, e.url, "", nil)
	req.Header.Set("Origin", origin)
	req.Header.Set("Access-Control-Request-Method", http.MethodPost)
	// As browsers send it: lower case, sorted.
	req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	return edgeSend(t, req)
}

func TestEdgeCORS(t *testing.T) {
	t.Parallel()
	const shop, evil = "https://shop.example", "https://evil.example"
	e := edgeEnv(t, func(o *envConfig) { o.CORSOrigins = []string{shop} })

	t.Run("AllowedOriginPreflight", func(t *testing.T) {
		r := corsPreflight(t, e, shop)
		if got := r.header.Get("Access-Control-Allow-Origin"); got != shop {
			t.Errorf("Access-Control-Allow-Origin: got %q, want %q (status %d)", got, shop, r.status)
		}
		if got := strings.ToLower(r.header.Get("Access-Control-Allow-Headers")); !strings.Contains(got, "authorization") {
			t.Errorf("Access-Control-Allow-Headers: got %q, want it to allow Authorization", got)
		}
	})
	t.Run("OtherOriginPreflight", func(t *testing.T) {
		if got := corsPreflight(t, e, evil).header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin for %s: got %q, want none", evil, got)
		}
	})
	// A browser script reads only the response headers CORS exposes: the
	// budget, the request id, Retry-After and the ETag.
	t.Run("AllowedOriginCanReadTheBudget", func(t *testing.T) {
		r := edgePostJSON(t, e, map[string]any{"query": edgeBudgetQuery}, http.Header{"Origin": {shop}})
		exposed := map[string]bool{}
		for _, v := range r.header.Values("Access-Control-Expose-Headers") {
			for name := range strings.SplitSeq(v, ",") {
				exposed[http.CanonicalHeaderKey(strings.TrimSpace(name))] = true
			}
		}
		for _, name := range append([]string{"X-Request-Id", "Retry-After", "ETag"}, rateHeaders...) {
			if !exposed[http.CanonicalHeaderKey(name)] {
				t.Errorf("Access-Control-Expose-Headers for %s: got %q, want %s among them", shop, r.header.Values("Access-Control-Expose-Headers"), name)
			}
		}
	})
	t.Run("OtherOriginCannotReadResponse", func(t *testing.T) {
		r := edgePostJSON(t, e, map[string]any{"query": edgeBudgetQuery}, http.Header{"Origin": {evil}})
		if got := r.header.Get("Access-Control-Allow-Origin"); got != "" {
			t.Errorf("Access-Control-Allow-Origin on a POST from %s: got %q, want none", evil, got)
		}
	})
	// Options.CORSOrigins: "empty allows none".
	t.Run("NoOriginsAllowsNone", func(t *testing.T) {
		none := edgeEnv(t)
		for _, origin := range []string{shop, evil} {
			if got := corsPreflight(t, none, origin).header.Get("Access-Control-Allow-Origin"); got != "" {
				t.Errorf("Access-Control-Allow-Origin for %s without CORSOrigins: got %q, want none", origin, got)
			}
		}
	})
}

func TestEdgeIntrospection(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t, func(o *envConfig) { o.Introspection = false })
	const q = `{ __schema { queryType { name } } }`
	tests := []struct {
		name  string
		e     *env
		allow bool
	}{
		{name: "AnonymousRefused", e: e},
		{name: "CustomerRefused", e: e.as(t, e.user(t, "customer@shopgraph.dev"))},
		{name: "StaffAllowed", e: e.as(t, e.user(t, "staff@shopgraph.dev")), allow: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := edgePost(t, tt.e, q)
			g := r.gql(t)
			got := strings.Contains(string(g.Data), `"Query"`) && len(g.Errors) == 0
			if got != tt.allow {
				t.Errorf("introspection: got %s, want allowed %v", r.body, tt.allow)
			}
			// A refusal is the caller's, not a fault: coded, and never an
			// ERROR line in the log.
			if want := map[bool]string{false: "FORBIDDEN", true: ""}[tt.allow]; r.code(t) != want {
				t.Errorf("introspection code: got %q, want %q (%s)", r.code(t), want, r.body)
			}
		})
	}
	t.Run("TypeQueryRefused", func(t *testing.T) {
		r := edgePost(t, e, `{ __type(name: "User") { fields { name } } }`)
		if g := r.gql(t); len(g.Errors) == 0 || strings.Contains(string(g.Data), "email") {
			t.Errorf("__type anonymously: got %s, want an error and no fields", r.body)
		}
		if r.code(t) != "FORBIDDEN" {
			t.Errorf("__type anonymously: got code %q, want FORBIDDEN", r.code(t))
		}
	})
	if logs := e.logs.String(); strings.Contains(logs, `"level":"ERROR"`) {
		t.Errorf("log after refused introspection: got an ERROR line, want none:\n%s", logs)
	}
}

func TestEdgeNoSuggestionsInProduction(t *testing.T) {
	t.Parallel()
	prod := edgeEnv(t, func(o *envConfig) { o.Production = true })
	dev := edgeEnv(t)
	tests := []struct {
		name string
		body map[string]any
	}{
		{name: "MisspelledField", body: map[string]any{"query": `{ prodcts(first: 1) { totalCount } }`}},
		{name: "MisspelledNestedField", body: map[string]any{"query": `{ products(first: 1) { totalCont } }`}},
		{name: "MisspelledArgument", body: map[string]any{"query": `{ products(frist: 1) { totalCount } }`}},
		{name: "MisspelledEnum", body: map[string]any{"query": `{ products(first: 1, orderBy: {field: TITEL}) { totalCount } }`}},
		{name: "MisspelledInputField", body: map[string]any{"query": `{ products(first: 1, filter: {serch: "shirt"}) { totalCount } }`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Development shows suggestions, so the request does invite one.
			if r := edgePostJSON(t, dev, tt.body, nil); !strings.Contains(string(r.body), "Did you mean") {
				t.Fatalf("development: got %s, want a suggestion (else this case tests nothing)", r.body)
			}
			r := edgePostJSON(t, prod, tt.body, nil)
			g := r.gql(t)
			if len(g.Errors) == 0 {
				t.Fatalf("production: got %s, want an error", r.body)
			}
			for _, err := range g.Errors {
				if strings.Contains(err.Message, "Did you mean") {
					t.Errorf("production error message: got %q, want no suggestion", err.Message)
				}
			}
		})
	}
}

func TestEdgeRequestDeadline(t *testing.T) {
	t.Parallel()
	const q = `{ products(first: 5) { totalCount edges { node { title variants { sku } } } } }`
	checkTimedOut := func(t *testing.T, r edgeReply) {
		t.Helper()
		var g edgeGQL
		if err := json.Unmarshal(r.body, &g); err != nil || len(g.Errors) == 0 {
			t.Fatalf("past the deadline: got status %d and body %.300s, want a GraphQL error with code TIMEOUT", r.status, r.body)
		}
		if got, _ := g.Errors[0].Extensions["code"].(string); got != "TIMEOUT" && got != "INTERNAL" {
			t.Errorf("code past the deadline: got %q, want TIMEOUT (or a masked INTERNAL):\n%.300s", got, r.body)
		}
		if strings.Contains(string(r.body), "context deadline") || strings.Contains(string(r.body), "pq:") {
			t.Errorf("body: got %s, want no driver or context text", r.body)
		}
	}
	// stillServes checks that a handler without the deadline over the same
	// database pool answers: the timed-out requests left no connection stuck.
	stillServes := func(t *testing.T, e *env) {
		t.Helper()
		other := serveStore(t, e.store, e.counter)
		var data struct {
			Products struct{ TotalCount int } `json:"products"`
		}
		other.mustQuery(t, q, nil, &data)
		if data.Products.TotalCount == 0 {
			t.Errorf("products totalCount after timeouts: got 0, want the demo products")
		}
	}

	// The deadline passes while resolvers wait on the database: another
	// session holds a lock on the variants, so the loader's statement waits.
	t.Run("DuringExecution", func(t *testing.T) {
		t.Parallel()
		e := edgeEnv(t, func(o *envConfig) { o.Timeout = 50 * time.Millisecond })
		lock, err := e.store.DB.BeginTx(context.Background(), nil)
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		if _, err := lock.Exec("LOCK TABLE " + variant.Table + " IN ACCESS EXCLUSIVE MODE"); err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		for range 12 {
			checkTimedOut(t, edgePost(t, e, q))
		}
		if err := lock.Rollback(); err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		stillServes(t, e)
	})

	// The deadline has passed before execution starts (as when parsing and
	// validating a hostile document outlasts it).
	t.Run("BeforeExecution", func(t *testing.T) {
		t.Parallel()
		e := edgeEnv(t, func(o *envConfig) { o.Timeout = time.Nanosecond })
		for range 12 {
			checkTimedOut(t, edgePost(t, e, q))
		}
		stillServes(t, e)
	})
}

// TestEdgeClientGoneLogsOneLine: a client that hangs up while its request
// waits on the database costs one log line, the access log marked
// client_gone, not an ERROR line per field of the response.
func TestEdgeClientGoneLogsOneLine(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t)
	lock, err := e.store.DB.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if _, err := lock.Exec("LOCK TABLE " + variant.Table + " IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	const q = `{ products(first: 20) { edges { node { title variants { sku price { amount } } } } } }`
	var ids []string
	for i := range 5 {
		id := fmt.Sprintf("client-gone-%d", i)
		ids = append(ids, id)
		ctx, cancel := context.WithCancel(context.Background())
		body, _ := json.Marshal(map[string]any{"query": q})
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(reqlog.Header, id)
		answered := make(chan int, 1)
		go func() {
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				answered <- 0
				return
			}
			res.Body.Close()
			answered <- res.StatusCode
		}()
		// The client hangs up once the request waits on the locked variants.
		e.counter.WaitFor(t, waitTimeout, "a statement of "+id+" on the variants", func(stmts []storetest.Statement) bool {
			return slices.ContainsFunc(stmts, func(s storetest.Statement) bool {
				return s.Tag == id && strings.Contains(s.Query, variant.Table)
			})
		})
		cancel()
		if status := <-answered; status != 0 {
			t.Fatalf("request %s: got an answer (%d) while the variants were locked, want the client to hang up first", id, status)
		}
	}
	if err := lock.Rollback(); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	// The server finishes each request on its own time; its access line
	// comes last.
	e.waitForAccessLines(t, ids...)
	logs := e.logs.String()
	for _, id := range ids {
		var lines []string
		for _, line := range strings.Split(logs, "\n") {
			if strings.Contains(line, `"`+id+`"`) {
				lines = append(lines, line)
			}
		}
		if len(lines) != 1 || !strings.Contains(lines[0], `"client_gone":true`) {
			t.Errorf("request %s: got %d log lines, want 1 access line marked client_gone:\n%s", id, len(lines), strings.Join(lines, "\n"))
		}
	}
}

// TestEdgeInFlightLimit: past MaxInFlight, a request waits for a slot
// without doing any work, and leaves without any if its client does.
func TestEdgeInFlightLimit(t *testing.T) {
	t.Parallel()
	e := edgeEnv(t, func(o *envConfig) { o.MaxInFlight = 1 })
	lock, err := e.store.DB.BeginTx(context.Background(), nil)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if _, err := lock.Exec("LOCK TABLE " + variant.Table + " IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	const q = `{ products(first: 3) { edges { node { title variants { sku } } } } }`
	first := make(chan error, 1)
	go func() {
		res, err := e.post(q, nil, "in-flight-first")
		if err == nil && len(res.Errors) > 0 {
			err = fmt.Errorf("errors: %+v", res.Errors)
		}
		first <- err
	}()
	// The first request holds the only slot once its statements start
	// (it then waits on the locked variants).
	e.counter.WaitFor(t, waitTimeout, "a statement of the first request", func(stmts []storetest.Statement) bool {
		return slices.ContainsFunc(stmts, func(s storetest.Statement) bool { return s.Tag == "in-flight-first" })
	})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	body, _ := json.Marshal(map[string]any{"query": q})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, e.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(reqlog.Header, "in-flight-second")
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("second request: got %d while the only slot was taken, want it to wait", res.StatusCode)
	}
	// The server has given up on the second request once its access line is
	// written; only then may the slot free up.
	e.waitForAccessLines(t, "in-flight-second")
	if err := lock.Rollback(); err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	if err := <-first; err != nil {
		t.Fatalf("first request: got error %v, want nil", err)
	}
	if got := len(e.counter.Tagged("in-flight-second")); got != 0 {
		t.Errorf("second request: got %d statements, want none (it never got a slot)", got)
	}
	if r := edgePost(t, e, q); r.status != http.StatusOK {
		t.Errorf("after: got %d, want the slot free again", r.status)
	}
}
