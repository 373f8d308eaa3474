package graph_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/product"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/inputtext"
)

// badTexts are the control characters sent where text is expected: NUL,
// which PostgreSQL refuses in text (and SQLite stores), and two that both
// databases would store.
var badTexts = []struct{ name, text string }{
	{"NUL", "a\x00b"},
	{"SOH", "a\x01b"},
	{"ESC", "a\x1b[31mb"},
}

// textCase is one string input of the API, in an operation with $v where
// the value goes.
type textCase struct {
	name  string
	as    *ent.User // nil: anonymous
	doc   string    // declares $v of vtype
	vtype string
	field string // the input path the error must name
	// send turns the text under test into what is sent (a cursor wraps
	// it); nil sends it as it is.
	send func(text string) string
	// wholeDoc, when set, takes the whole argument as one variable, which
	// whole builds around the text.
	wholeDoc string
	whole    func(text string) map[string]any
}

// modes are the ways a case sends its value: written in the document as a
// GraphQL string literal (escapes such as \u0000), as the String variable
// $v, or inside the variable holding the whole argument.
func (c textCase) modes(text string) map[string]struct {
	doc  string
	vars map[string]any
} {
	v := text
	if c.send != nil {
		v = c.send(text)
	}
	inline := strings.Replace(c.doc, "($v: "+c.vtype+")", "", 1)
	// A JSON string is a GraphQL string literal: same escapes.
	inline = strings.ReplaceAll(inline, "$v", jsonText(v))
	out := map[string]struct {
		doc  string
		vars map[string]any
	}{
		"document": {inline, nil},
		"variable": {c.doc, map[string]any{"v": v}},
	}
	if c.wholeDoc != "" {
		out["input-variable"] = struct {
			doc  string
			vars map[string]any
		}{c.wholeDoc, c.whole(v)}
	}
	return out
}

// titleCursor is a well-formed cursor of a product list sorted by TITLE
// whose sort value is v.
func titleCursor(v string) string { return relayRaw(`{"c":"title","v":` + jsonText(v) + `,"i":1}`) }

// TestInputTextRefused sends NUL, SOH and ESC to each string input found to
// fail on them (issue 10: INTERNAL on PostgreSQL, stored or searched as
// sent on SQLite): the search filter, cursors, the order number, names, the
// stock reason and the description, plus slug lookups and a review body.
// Each is refused alike on both databases, written in the document and sent
// in variables: one BAD_USER_INPUT naming the input path, nothing logged at
// ERROR, no statement but the viewer's lookup, nothing written.
func TestInputTextRefused(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		teeID, teeSID, teesID := gid("Product", s.tee.ID), gid("Variant", s.teeS.ID), gid("Category", s.tees.ID)
		cases := []textCase{
			{name: "Search", doc: `query($v: String) { products(filter: {search: $v}) { totalCount } }`, vtype: "String", field: "filter.search",
				wholeDoc: `query($f: ProductFilter) { products(filter: $f) { totalCount } }`,
				whole:    func(v string) map[string]any { return map[string]any{"f": map[string]any{"search": v}} }},
			{name: "After", doc: `query($v: String) { products(after: $v) { totalCount } }`, vtype: "String", field: "after"},
			{name: "AfterCursorValue", doc: `query($v: String) { products(after: $v, orderBy: {field: TITLE}) { totalCount edges { cursor } } }`, vtype: "String", field: "after", send: titleCursor},
			{name: "Before", doc: `query($v: String) { products(last: 2, before: $v) { totalCount } }`, vtype: "String", field: "before"},
			{name: "BeforeCursorValue", doc: `query($v: String) { products(last: 2, before: $v, orderBy: {field: TITLE}) { totalCount edges { cursor } } }`, vtype: "String", field: "before", send: titleCursor},
			{name: "ProductSlug", doc: `query($v: String) { product(slug: $v) { id } }`, vtype: "String", field: "slug"},
			{name: "CategorySlug", doc: `query($v: String!) { category(slug: $v) { id } }`, vtype: "String!", field: "slug"},
			{name: "OrderNumber", as: s.alice, doc: `query($v: String!) { order(number: $v) { id } }`, vtype: "String!", field: "number"},
			{name: "CategoryName", as: s.staff, doc: `mutation($v: String!) { createCategory(input: {name: $v, slug: "fresh"}) { category { id } } }`, vtype: "String!", field: "input.name",
				wholeDoc: createCategoryDoc,
				whole:    func(v string) map[string]any { return inputVars(map[string]any{"name": v, "slug": "fresh"}) }},
			{name: "AccountName", as: s.alice, doc: `mutation($v: String!) { updateAccount(input: {name: $v}) { user { id } } }`, vtype: "String!", field: "input.name",
				wholeDoc: updateAccountDoc,
				whole:    func(v string) map[string]any { return inputVars(map[string]any{"name": v}) }},
			{name: "SignUpName", doc: `mutation($v: String!) { signUp(input: {email: "new@example.com", password: "long-enough-1", name: $v}) { token } }`, vtype: "String!", field: "input.name"},
			{name: "StockReason", as: s.staff, doc: `mutation($v: String!) { adjustStock(input: {variantId: "` + teeSID + `", delta: 1, reason: $v}) { variant { id } } }`, vtype: "String!", field: "input.reason",
				wholeDoc: adjustStockDoc,
				whole: func(v string) map[string]any {
					return inputVars(map[string]any{"variantId": teeSID, "delta": 1, "reason": v})
				}},
			{name: "NewDescription", as: s.staff, doc: `mutation($v: String) { createProduct(input: {slug: "fresh", title: "Fresh", description: $v, categoryId: "` + teesID + `"}) { product { id } } }`, vtype: "String", field: "input.description",
				wholeDoc: createProductDoc,
				whole: func(v string) map[string]any {
					return inputVars(map[string]any{"slug": "fresh", "title": "Fresh", "description": v, "categoryId": teesID})
				}},
			{name: "ChangedDescription", as: s.staff, doc: `mutation($v: String) { updateProduct(input: {id: "` + teeID + `", description: $v}) { product { id } } }`, vtype: "String", field: "input.description"},
			// Multi-line text allows tabs and line breaks, not these.
			{name: "ReviewBody", as: s.alice, doc: `mutation($v: String!) { createReview(input: {productId: "` + teeID + `", rating: 4, title: "Fine", body: $v}) { review { id } } }`, vtype: "String!", field: "input.body"},
		}
		for _, c := range cases {
			for _, bad := range badTexts {
				for mode, req := range c.modes(bad.text) {
					t.Run(c.name+"/"+bad.name+"/"+mode, func(t *testing.T) {
						e.as(t, c.as).expectTextRefused(t, req.doc, req.vars, c.field)
					})
				}
			}
		}
	})
}

// TestInputTextMultiline: descriptions and review bodies keep their tabs and
// line breaks, exactly as sent, written in the document or in variables;
// single-line text (a title, a name) refuses them.
func TestInputTextMultiline(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		staff, alice := e.as(t, s.staff), e.as(t, s.alice)
		ctx := context.Background()
		const desc = "First line.\nSecond line.\r\n\tIndented line."
		teesID := gid("Category", s.tees.ID)

		t.Run("DescriptionVariable", func(t *testing.T) {
			staff.mustQuery(t, createProductDoc, inputVars(map[string]any{"slug": "lines-var", "title": "Lines", "description": desc, "categoryId": teesID}), nil)
			if got := e.store.Client.Product.Query().Where(product.Slug("lines-var")).OnlyX(ctx).Description; got != desc {
				t.Errorf("stored description: got %q, want %q", got, desc)
			}
		})
		t.Run("DescriptionDocument", func(t *testing.T) {
			staff.mustQuery(t, `mutation { createProduct(input: {slug: "lines-doc", title: "Lines", description: `+jsonText(desc)+`, categoryId: "`+teesID+`"}) { product { id } } }`, nil, nil)
			if got := e.store.Client.Product.Query().Where(product.Slug("lines-doc")).OnlyX(ctx).Description; got != desc {
				t.Errorf("stored description: got %q, want %q", got, desc)
			}
		})
		t.Run("ReviewBody", func(t *testing.T) {
			const body = "Soft.\n\n\tWould buy again."
			alice.mustQuery(t, createReviewDoc, inputVars(map[string]any{"productId": gid("Product", s.tee.ID), "rating": 5, "title": "Good tee", "body": body}), nil)
			if got := e.store.Client.Product.GetX(ctx, s.tee.ID).QueryReviews().OnlyX(ctx).Body; got != body {
				t.Errorf("stored body: got %q, want %q", got, body)
			}
		})
		t.Run("TitleLineBreak", func(t *testing.T) {
			staff.expectTextRefused(t, createProductDoc, inputVars(map[string]any{"slug": "two-lines", "title": "Two\nlines", "description": desc, "categoryId": teesID}), "input.title")
		})
		t.Run("NameTab", func(t *testing.T) {
			staff.expectTextRefused(t, `mutation { createCategory(input: {name: "Tab\there", slug: "tab"}) { category { id } } }`, nil, "input.name")
		})
		t.Run("SearchCarriageReturn", func(t *testing.T) {
			e.anonymous().expectTextRefused(t, `query($v: String) { products(filter: {search: $v}) { totalCount } }`, map[string]any{"v": "tee\r"}, "filter.search")
		})
	})
}

// TestInputTextWholeOperation: the check covers the whole operation before
// any of it runs. A mutation document whose second root field is refused
// writes nothing for the first; fragments, lists and several offending
// inputs are named, each located in the document.
func TestInputTextWholeOperation(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)

		t.Run("SecondMutationRefusesFirst", func(t *testing.T) {
			staff := e.as(t, s.staff)
			e.counter.Reset()
			staff.expectTextRefused(t, `mutation {
				ok: createCategory(input: {name: "Fine", slug: "fine"}) { category { id } }
				bad: createCategory(input: {name: "Bad\u0000", slug: "bad"}) { category { id } }
			}`, nil, "input.name")
			if n := e.counter.Transactions(); n != 0 {
				t.Errorf("transactions begun: got %d, want 0", n)
			}
		})
		t.Run("Fragment", func(t *testing.T) {
			e.anonymous().expectTextRefused(t, `query($v: String) { ...Search } fragment Search on Query { products(filter: {search: $v}) { totalCount } }`, map[string]any{"v": "a\x00b"}, "filter.search")
		})
		t.Run("ListElement", func(t *testing.T) {
			ids := []any{gid("Product", s.tee.ID), "\x1b"}
			res := e.anonymous().expectTextRefused(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}, "ids[1]")
			if got := errorFields(res.Errors[0]); !slices.Equal(got, []string{"ids[1]"}) {
				t.Errorf("fields: got %v, want [ids[1]]", got)
			}
		})
		t.Run("ManyOffendersCapped", func(t *testing.T) {
			ids := make([]any, 1000)
			for i := range ids {
				ids[i] = "\x00"
			}
			res := e.anonymous().expectTextRefused(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id } }`, map[string]any{"ids": ids}, "ids[19]")
			if got := errorFields(res.Errors[0]); len(got) != 20 || got[0] != "ids[0]" {
				t.Errorf("fields: got %d %v, want the first 20 (ids[0] to ids[19])", len(got), got)
			}
			if got, want := res.Errors[0].Message, "(and more; extensions.fields names the first 20)"; !strings.HasSuffix(got, want) {
				t.Errorf("message: got %q, want one ending %q", got, want)
			}
		})
		t.Run("EveryOffenderNamed", func(t *testing.T) {
			res := e.anonymous().expectTextRefused(t, "{\n  a: products(filter: {search: \"x\\u0000\"}) { totalCount }\n  b: product(slug: \"y\\u0001\") { id }\n}", nil, "filter.search")
			if got, want := errorFields(res.Errors[0]), []string{"filter.search", "slug"}; !slices.Equal(got, want) {
				t.Errorf("fields: got %v, want %v", got, want)
			}
			if got, want := res.Errors[0].Message, "filter.search: must not contain control characters, tabs or line breaks (found U+0000) (and 1 more)"; got != want {
				t.Errorf("message: got %q, want %q", got, want)
			}
		})
	})
}

// TestInputTextEncoding: what is not text at all. A GET document can carry
// bytes that are not UTF-8 (a JSON body cannot: Go's decoder turns them
// into U+FFFD, which is text); C1 controls, DEL and Unicode non-characters
// are refused like the C0 controls.
func TestInputTextEncoding(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, _ := shopEnv(t, dialect)
		const search = `query($v: String) { products(filter: {search: $v}) { totalCount } }`

		t.Run("InvalidUTF8InGETDocument", func(t *testing.T) {
			e.counter.Reset()
			// PostgreSQL refuses these bytes (INTERNAL before the check).
			rep := edgeGet(t, e, url.Values{"query": {"{ product(slug: \"ab\xff\xfe\") { id } }"}}, nil)
			g := rep.gql(t)
			if len(g.Errors) != 1 || gqlErrorCode(g.Errors[0]) != "BAD_USER_INPUT" || !slices.Equal(errorFields(g.Errors[0]), []string{"slug"}) {
				t.Fatalf("got status %d, errors %+v, want one BAD_USER_INPUT naming slug", rep.status, g.Errors)
			}
			if !strings.Contains(g.Errors[0].Message, "UTF-8") {
				t.Errorf("message: got %q, want one saying UTF-8", g.Errors[0].Message)
			}
			checkNoSQL(t, e)
			checkNoErrorLogs(t, e)
		})
		t.Run("InvalidUTF8InJSONBecomesReplacement", func(t *testing.T) {
			body := []byte(`{"query":"query($v: String) { products(filter: {search: $v}) { totalCount } }","variables":{"v":"ab` + "\xff" + `"}}`)
			rep := edgeSend(t, edgeRequest(t, e, http.MethodPost, e.url, "application/json", bytes.NewReader(body)))
			if g := rep.gql(t); len(g.Errors) != 0 || string(g.Data) != `{"products":{"totalCount":0}}` {
				t.Errorf("got status %d, data %s, errors %+v, want no match and no error", rep.status, g.Data, g.Errors)
			}
		})
		for _, c := range []struct{ name, text string }{
			{"DEL", "a\x7fb"},
			{"C1NextLine", "a\u0085b"},
			{"NonCharacterFFFE", "a\ufffeb"},
			{"NonCharacterFDD0", "a\ufdd0b"},
			{"NonCharacterPlane16", "a\U0010ffffb"},
		} {
			t.Run(c.name, func(t *testing.T) {
				e.anonymous().expectTextRefused(t, search, map[string]any{"v": c.text}, "filter.search")
			})
		}
		t.Run("PrintableUnicodeAccepted", func(t *testing.T) {
			var out struct{ Products struct{ TotalCount int } }
			e.anonymous().mustQuery(t, search, map[string]any{"v": "thé 🍵 \ufffd\u00a0"}, &out)
		})
	})
}

// expectTextRefused sends doc as e's viewer and asserts the text check
// refused it: one BAD_USER_INPUT naming field, no ERROR in the log, no
// statement but the viewer's lookup (its token version), and the data as
// it was.
func (e *env) expectTextRefused(t *testing.T, doc string, vars map[string]any, field string) response {
	t.Helper()
	before := snapshotDB(t, e.store.Client)
	sum := sha256.Sum256([]byte(t.Name()))
	id := hex.EncodeToString(sum[:16])
	res, err := e.post(doc, vars, id)
	if err != nil {
		t.Fatalf("query: got error %v, want a GraphQL response", err)
	}
	e.waitForAccessLines(t, id)
	if len(res.Errors) != 1 || gqlErrorCode(res.Errors[0]) != "BAD_USER_INPUT" {
		t.Fatalf("got errors %+v (data %s), want one BAD_USER_INPUT", res.Errors, res.Data)
	}
	if got := errorFields(res.Errors[0]); !slices.Contains(got, field) {
		t.Errorf("got extensions.fields %v, want one named %q: %+v", got, field, res.Errors[0])
	}
	if string(res.Data) != "" && string(res.Data) != "null" {
		t.Errorf("data: got %s, want none (the operation did not run)", res.Data)
	}
	for _, st := range e.counter.Tagged(id) {
		if st.InTx || !strings.Contains(st.Query, "token_version") {
			t.Errorf("got statement %q (in transaction: %v), want only the viewer's lookup", st.Query, st.InTx)
		}
	}
	for _, line := range e.logs.Lines(`"level":"ERROR"`) {
		if strings.Contains(line, id) {
			t.Errorf("got ERROR log line %s, want none", line)
		}
	}
	if diff := before.changed(snapshotDB(t, e.store.Client)); len(diff) > 0 {
		t.Errorf("tables changed by a refused request: got %v, want none", diff)
	}
	return res
}

// checkNoErrorLogs fails if the server logged anything at ERROR.
func checkNoErrorLogs(t *testing.T, e *env) {
	t.Helper()
	if lines := e.logs.Lines(`"level":"ERROR"`); len(lines) > 0 {
		t.Errorf("got %d ERROR log lines, want none:\n%s", len(lines), strings.Join(lines, "\n"))
	}
}

// checkedOperations are operations the text check passes, as gqlgen hands
// them to it: the storefront grid (no string argument), the product lookup
// (one literal), and a mutation whose strings come in variables.
func checkedOperations(t testing.TB) (*inputtext.Extension, map[string]*graphql.OperationContext) {
	t.Helper()
	es := graph.NewExecutableSchema(graph.Config{})
	ext := inputtext.New()
	if err := ext.Validate(es); err != nil {
		t.Fatalf("validate: got error %v, want nil", err)
	}
	ops := map[string]struct {
		doc  string
		vars map[string]any
	}{
		"storefront": {storefrontQuery, nil},
		"lookup":     {`{ product(slug: "p-1") { id title priceRange { min { amount } } } }`, nil},
		"mutation": {createProductDoc, inputVars(map[string]any{
			"slug": "wool-socks", "title": "Wool socks", "description": "Warm.\nSoft.", "categoryId": gid("Category", 1),
		})},
	}
	out := map[string]*graphql.OperationContext{}
	for name, op := range ops {
		doc, errs := gqlparser.LoadQueryWithRules(es.Schema(), op.doc, nil)
		if errs != nil {
			t.Fatalf("%s: got errors %v, want a valid document", name, errs)
		}
		vars, err := validator.VariableValues(es.Schema(), doc.Operations[0], op.vars)
		if err != nil {
			t.Fatalf("%s: got error %v, want valid variables", name, err)
		}
		out[name] = &graphql.OperationContext{RawQuery: op.doc, Doc: doc, Operation: doc.Operations[0], Variables: vars}
	}
	return ext, out
}

// TestInputTextCheckAllocatesNothing: checking an operation that passes
// costs a walk of its arguments and no allocation, with or without string
// arguments and variables.
func TestInputTextCheckAllocatesNothing(t *testing.T) {
	ext, ops := checkedOperations(t)
	ctx := context.Background()
	for name, oc := range ops {
		t.Run(name, func(t *testing.T) {
			if err := ext.MutateOperationContext(ctx, oc); err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if n := testing.AllocsPerRun(100, func() { ext.MutateOperationContext(ctx, oc) }); n != 0 {
				t.Errorf("allocations per check: got %v, want 0", n)
			}
		})
	}
}

// BenchmarkInputTextCheck measures the text check alone, per operation.
//
//	go test ./graph -run '^$' -bench InputTextCheck -benchmem
func BenchmarkInputTextCheck(b *testing.B) {
	ext, ops := checkedOperations(b)
	ctx := context.Background()
	for _, name := range []string{"storefront", "lookup", "mutation"} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				ext.MutateOperationContext(ctx, ops[name])
			}
		})
	}
}
