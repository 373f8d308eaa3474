package graph_test

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// acceptIncremental is what incremental-delivery clients (Apollo Client,
// graphql-tools' executor-http) send.
const acceptIncremental = "multipart/mixed; deferSpec=20220824, application/json"

// deferredParts is a multipart/mixed response read part by part.
type deferredParts struct {
	status int
	header http.Header
	parts  []map[string]any
}

// postDeferred POSTs query accepting incremental delivery and reads every
// part of the answer, which must be multipart/mixed.
func postDeferred(t *testing.T, e *env, query string) deferredParts {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req := edgeRequest(t, e, http.MethodPost, e.url, "application/json", bytes.NewReader(body))
	req.Header.Set("Accept", acceptIncremental)
	return readDeferred(t, req)
}

func readDeferred(t *testing.T, req *http.Request) deferredParts {
	t.Helper()
	res, err := edgeClient.Do(req)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	defer res.Body.Close()
	mt, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/mixed" {
		raw, _ := io.ReadAll(res.Body)
		t.Fatalf("got %d, Content-Type %q: %.500s, want multipart/mixed", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	out := deferredParts{status: res.StatusCode, header: res.Header}
	mr := multipart.NewReader(res.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("reading part %d: got error %v, want nil", len(out.parts), err)
		}
		if ct := p.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Fatalf("part %d: Content-Type %q, want application/json", len(out.parts), ct)
		}
		var m map[string]any
		if err := json.NewDecoder(p).Decode(&m); err != nil {
			t.Fatalf("part %d: got error %v, want JSON", len(out.parts), err)
		}
		out.parts = append(out.parts, m)
	}
	return out
}

// merged applies every incremental part to the initial data, as a client
// does, and checks the hasNext chain: true on every part but the last.
func (d deferredParts) merged(t *testing.T) map[string]any {
	t.Helper()
	if len(d.parts) < 2 {
		t.Fatalf("got %d parts, want an initial one and at least one deferred: %v", len(d.parts), d.parts)
	}
	for i, p := range d.parts {
		if want := i < len(d.parts)-1; p["hasNext"] != want {
			t.Fatalf("part %d of %d: hasNext %v, want %v", i, len(d.parts), p["hasNext"], want)
		}
		if errs := p["errors"]; errs != nil {
			t.Fatalf("part %d: got errors %v, want none", i, errs)
		}
	}
	data, _ := d.parts[0]["data"].(map[string]any)
	for _, p := range d.parts[1:] {
		items, _ := p["incremental"].([]any)
		if len(items) == 0 {
			t.Fatalf("deferred part %v has no incremental results", p)
		}
		for _, it := range items {
			item := it.(map[string]any)
			if item["errors"] != nil {
				t.Fatalf("deferred result: got errors %v, want none", item["errors"])
			}
			var at any = data
			for _, step := range item["path"].([]any) {
				switch k := step.(type) {
				case string:
					at = at.(map[string]any)[k]
				case float64:
					at = at.([]any)[int(k)]
				}
			}
			for k, v := range item["data"].(map[string]any) {
				at.(map[string]any)[k] = v
			}
		}
	}
	return data
}

// TestEdgeDefer: a query with @defer, from a client that accepts
// multipart/mixed, gets its initial result without the deferred fields and
// then every deferred fragment, labelled and placed by path; merged, the
// parts equal the same query without @defer, non-null fields included. It
// is never cacheable and carries the caller's budget like any answer.
func TestEdgeDefer(t *testing.T) {
	e := edgeEnv(t)
	const plain = `{ products(first: 3, orderBy: {field: TITLE, direction: ASC}) { edges { node { id title variants { sku price { amount } } reviews(first: 2) { edges { node { rating } } } } } } }`
	const deferred = `{ products(first: 3, orderBy: {field: TITLE, direction: ASC}) { edges { node { id ...Details @defer(label: "details") } } } }
fragment Details on Product { title variants { sku price { amount } } reviews(first: 2) { edges { node { rating } } } }`

	want := edgePost(t, e, plain)
	if !want.hasData(t) {
		t.Fatalf("the plain query: got %s, want data", want.body)
	}
	var wantData map[string]any
	if err := json.Unmarshal(want.gql(t).Data, &wantData); err != nil {
		t.Fatal(err)
	}

	for _, send := range []struct {
		name string
		do   func() deferredParts
	}{
		{"POST", func() deferredParts { return postDeferred(t, e, deferred) }},
		{"GET", func() deferredParts {
			req := edgeRequest(t, e, http.MethodGet, e.url+"?"+url.Values{"query": {deferred}}.Encode(), "", nil)
			req.Header.Set("Accept", acceptIncremental)
			return readDeferred(t, req)
		}},
	} {
		t.Run(send.name, func(t *testing.T) {
			got := send.do()
			if got.status != http.StatusOK {
				t.Fatalf("status: got %d, want 200", got.status)
			}
			first := got.parts[0]["data"].(map[string]any)
			node := first["products"].(map[string]any)["edges"].([]any)[0].(map[string]any)["node"].(map[string]any)
			// gqlgen resolves a deferred fragment's plain fields (title)
			// with the initial result and leaves a null in place of each
			// resolver field (variants, reviews) until its part arrives;
			// clients merge the parts over it.
			if node["variants"] != nil || node["reviews"] != nil {
				t.Fatalf("initial part: got the deferred edges in %v, want them deferred", node)
			}
			if n := len(got.parts); n != 1+3 {
				t.Fatalf("parts: got %d, want the initial one and one per deferred product (3)", n)
			}
			for _, p := range got.parts[1:] {
				for _, it := range p["incremental"].([]any) {
					if l := it.(map[string]any)["label"]; l != "details" {
						t.Fatalf("deferred result label: got %v, want details", l)
					}
				}
			}
			if merged := got.merged(t); !reflect.DeepEqual(merged, wantData) {
				gotJSON, _ := json.Marshal(merged)
				wantJSON, _ := json.Marshal(wantData)
				t.Fatalf("merged parts:\n got %s\nwant %s", gotJSON, wantJSON)
			}
			if cc := got.header.Get("Cache-Control"); cc != "no-store" {
				t.Fatalf("Cache-Control: got %q, want no-store", cc)
			}
			if etag := got.header.Get("ETag"); etag != "" {
				t.Fatalf("ETag: got %q, want none on a streamed answer", etag)
			}
		})
	}

	// Without @defer the same client gets plain JSON.
	body, _ := json.Marshal(map[string]any{"query": plain})
	req := edgeRequest(t, e, http.MethodPost, e.url, "application/json", bytes.NewReader(body))
	req.Header.Set("Accept", acceptIncremental)
	if r := edgeSend(t, req); !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") || !bytes.Equal(r.body, want.body) {
		t.Fatalf("no @defer, multipart accepted: got %q %s, want the plain JSON answer", r.header.Get("Content-Type"), r.body)
	}
}

// TestEdgeDeferRefused: where @defer cannot be honoured (a client that
// does not accept multipart/mixed, a mutation) and for @stream, the
// operation is refused with a code before it runs, instead of answering
// hasNext: true and nulls; a GET refusal is not cacheable.
func TestEdgeDeferRefused(t *testing.T) {
	e := edgeEnv(t)
	q := `{ products(first: 1) { edges { node { id ... @defer { title } } } } }`
	multipartPost := func(query string) edgeReply {
		return edgePostJSON(t, e, map[string]any{"query": query}, http.Header{"Accept": {acceptIncremental}})
	}
	for name, r := range map[string]edgeReply{
		"POST":     edgePost(t, e, q),
		"GET":      edgeGet(t, e, url.Values{"query": {q}}, nil),
		"fragment": edgePost(t, e, `{ products(first: 1) { edges { node { ...F } } } } fragment F on Product { id ... @defer(label: "t") { title } }`),
		"mutation": multipartPost(`mutation { signIn(input: {email: "a@example.com", password: "x"}) { ... @defer { token } } }`),
		"stream":   multipartPost(`{ products(first: 1) { edges @stream { node { id } } } }`),
	} {
		if c := r.code(t); (c != "INCREMENTAL_DELIVERY_UNSUPPORTED" && (name != "stream" || c != "GRAPHQL_VALIDATION_FAILED")) || r.hasData(t) || strings.Contains(string(r.body), "hasNext") {
			t.Fatalf("%s: got %d %s, want INCREMENTAL_DELIVERY_UNSUPPORTED and no data", name, r.status, r.body)
		}
		if cc := r.header.Get("Cache-Control"); strings.Contains(cc, "public") {
			t.Fatalf("%s refusal: Cache-Control %q, want not public", name, cc)
		}
	}
	if r := edgePost(t, e, `{ products(first: 1) { edges { node { id ... { title } } } } }`); !r.hasData(t) {
		t.Fatalf("an inline fragment without @defer: got %s", r.body)
	}
}

// TestEdgeDeferTimeout: a stream whose deferred part cannot finish by the
// deadline ends there, after the initial part the client already has,
// with a last part carrying TIMEOUT and hasNext false. Here the deferred
// variants wait on a lock, and then the database hangs (a proxy holds
// every byte), so not even the cancel at the deadline reaches it: the
// stream must end on its own deadline, not wait for the database.
func TestEdgeDeferTimeout(t *testing.T) {
	proxy, dbURL := storetest.StartProxy(t, storetest.CreateDatabase(t))
	counter := &storetest.Counter{}
	st := openStore(t, store.Config{DatabaseURL: dbURL, WrapDriver: counter.Wrap, StatementTimeout: 200 * time.Millisecond})
	e := serveStore(t, st, counter, productionEdge, withTimeout(time.Second))
	checkoutStock(t, st.Client, "tee", 1)
	_, unlock := lockTable(t, e, variant.Table)
	thaw := sync.OnceFunc(proxy.Thaw)
	t.Cleanup(thaw)

	body, _ := json.Marshal(map[string]any{"query": `{ products(first: 1) { edges { node { id ... @defer(label: "variants") { variants { sku } } } } } }`})
	req := edgeRequest(t, e, http.MethodPost, e.url, "application/json", bytes.NewReader(body))
	req.Header.Set("Accept", acceptIncremental)
	res, err := edgeClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	_, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		raw, _ := io.ReadAll(res.Body)
		t.Fatalf("got %d %q: %.300s, want a multipart/mixed stream", res.StatusCode, res.Header.Get("Content-Type"), raw)
	}
	mr := multipart.NewReader(res.Body, params["boundary"])
	next := func() map[string]any {
		t.Helper()
		part, err := mr.NextPart()
		if err != nil {
			t.Fatalf("next part: got error %v", err)
		}
		var m map[string]any
		if err := json.NewDecoder(part).Decode(&m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if first := next(); first["hasNext"] != true {
		t.Fatalf("initial part: got %v, want hasNext true", first)
	}
	proxy.Freeze()
	lastc := make(chan map[string]any, 1)
	go func() { lastc <- next() }()
	var last map[string]any
	select {
	case last = <-lastc:
	case <-time.After(time.Minute):
		thaw()
		unlock()
		t.Fatal("no end to the stream within a minute while the database hangs")
	}
	raw, _ := json.Marshal(last)
	if last["hasNext"] != false || !strings.Contains(string(raw), `"code":"TIMEOUT"`) {
		t.Fatalf("last part: got %s, want hasNext false and an error with code TIMEOUT", raw)
	}
	if _, err := mr.NextPart(); err != io.EOF {
		t.Fatalf("after the last part: got %v, want the end of the stream", err)
	}
}
