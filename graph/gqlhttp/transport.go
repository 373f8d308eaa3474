package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

const (
	mediaJSON     = "application/json"
	mediaResponse = "application/graphql-response+json"
)

// TransportOptions configure NewTransport.
type TransportOptions struct {
	// Schema carries the @cacheControl hints of GET responses.
	Schema *ast.Schema
	// SignedIn reports whether the request is signed in: responses for a
	// viewer are never publicly cacheable.
	SignedIn func(*http.Request) bool
	// RetryAfter reports whether an error that refused an operation before
	// execution is a rationing refusal, and how long the client should
	// wait (limits.RetryAfter): such a response is 429 with Retry-After.
	RetryAfter func(*gqlerror.Error) (time.Duration, bool)
	// Refused, if set, is told of every request refused before execution
	// (unparsable, invalid, over a limit) that a rationing limit did not
	// refuse itself, so the caller's budget pays for refused documents as
	// it pays for executed ones.
	Refused func(context.Context, gqlerror.List)
	// Headers, if set, adds the request's per-caller headers (its
	// X-RateLimit-* budget, limits.RateHeaders) to every response but
	// publicly cacheable ones: a public response must be the same, body
	// and headers, for every caller. It is called once per response, with
	// the request's context, after the operation ran or was refused.
	Headers func(context.Context, http.Header)
}

// Transport is the endpoint's only gqlgen transport. It reads GraphQL
// requests (GET with URL parameters, POST with a JSON body), runs them and
// writes each response once, deciding its status and headers from the
// graphql.Response and how the request ended. Everything else (other
// methods and media types, WebSocket upgrades) it answers with 400
// "transport not supported" itself, so those answers get the same headers.
type Transport struct {
	hints      cacheHints
	signedIn   func(*http.Request) bool
	retryAfter func(*gqlerror.Error) (time.Duration, bool)
	refused    func(context.Context, gqlerror.List)
	headers    func(context.Context, http.Header)
	params     sync.Pool // of *graphql.RawParams
}

var _ graphql.Transport = (*Transport)(nil)

// NewTransport returns the transport for opts.
func NewTransport(opts TransportOptions) *Transport {
	return &Transport{
		hints:      cacheHints{schema: opts.Schema},
		signedIn:   opts.SignedIn,
		retryAfter: opts.RetryAfter,
		refused:    opts.Refused,
		headers:    opts.Headers,
		params:     sync.Pool{New: func() any { return &graphql.RawParams{} }},
	}
}

// Supports accepts every request: Do answers the unsupported ones.
func (*Transport) Supports(*http.Request) bool { return true }

// Do serves one request. A panic that escapes gqlgen's own recovery (an
// extension's, say) is answered as gqlgen's server would (500 with the
// presented error), but through write, so it keeps the response's headers.
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	params := t.params.Get().(*graphql.RawParams)
	defer func() {
		*params = graphql.RawParams{}
		t.params.Put(params)
	}()
	rep := reply{status: http.StatusOK}
	writing := false
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		presenter, ok := exec.(recoveredErrorPresenter)
		if writing || !ok {
			// Once written, the response cannot change; without a
			// presenter, gqlgen's server answers the panic.
			panic(p)
		}
		err := presenter.PresentRecoveredError(r.Context(), p)
		gqlErr, _ := err.(*gqlerror.Error)
		failed := reply{media: rep.media, status: http.StatusInternalServerError, resp: &graphql.Response{Errors: gqlerror.List{gqlErr}}}
		body, _ := failed.body()
		writing = true
		t.write(w, r, failed, body)
	}()
	t.serve(r, exec, params, &rep)
	if rep.next != nil {
		writing = true
		t.stream(w, r, rep)
		return
	}
	body, err := rep.body()
	if err != nil {
		panic(fmt.Errorf("marshal the response: %w", err)) // as gqlgen's transports do
	}
	writing = true
	t.write(w, r, rep, body)
}

// recoveredErrorPresenter is the part of gqlgen's executor that turns a
// panic into the error gqlgen's server would answer.
type recoveredErrorPresenter interface {
	PresentRecoveredError(ctx context.Context, err any) error
}

// serve reads and runs the request, filling in rep, in gqlgen's own order
// (transport.GET and transport.POST): each step that fails decides the
// reply.
func (t *Transport) serve(r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, rep *reply) {
	ctx := r.Context()
	if r.Header.Get("Upgrade") != "" || !isPOSTJSON(r) && r.Method != http.MethodGet {
		*rep = transportError(http.StatusBadRequest, "", "transport not supported")
		return
	}
	start := graphql.Now()
	if r.Method == http.MethodGet {
		query, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			*rep = transportError(http.StatusBadRequest, "", err.Error())
			return
		}
		rep.media = responseMedia(r)
		params.Query, params.OperationName = query.Get("query"), query.Get("operationName")
		if v := query.Get("variables"); v != "" {
			if err := jsonDecode(strings.NewReader(v), &params.Variables); err != nil {
				*rep = transportError(http.StatusBadRequest, rep.media, "variables could not be decoded")
				return
			}
		}
		if v := query.Get("extensions"); v != "" {
			if err := jsonDecode(strings.NewReader(v), &params.Extensions); err != nil {
				*rep = transportError(http.StatusBadRequest, rep.media, "extensions could not be decoded")
				return
			}
		}
	} else {
		rep.media = responseMedia(r)
		body, err := io.ReadAll(r.Body)
		if err != nil {
			rep.requestError(exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("could not read request body: %+v", err)}), 0)
			return
		}
		if err := jsonDecode(bytes.NewReader(body), params); err != nil {
			rep.resp = exec.DispatchError(ctx, gqlerror.List{gqlerror.Errorf("json request body could not be decoded: %+v body:%s", err, string(body))})
			rep.status = http.StatusBadRequest
			return
		}
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}

	opCtx, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		wait := t.rationed(errs)
		if wait == 0 && t.refused != nil {
			t.refused(ctx, errs)
		}
		rep.requestError(exec.DispatchError(graphql.WithOperationContext(ctx, opCtx), errs), wait)
		return
	}
	if r.Method == http.MethodGet && opCtx.Operation.Operation != ast.Query {
		*rep = transportError(http.StatusNotAcceptable, rep.media, "GET requests only allow query operations")
		return
	}
	if opCtx.Operation.Operation == ast.Mutation && !hold(ctx) {
		// Deadline already answered TIMEOUT: a change now would be one
		// the client was told did not happen.
		rep.executed(opCtx.Operation, nil)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, opCtx)
	rep.executed(opCtx.Operation, responses(ctx))
	// An operation that deferred part of its result (the executor says
	// hasNext) is streamed, if its client accepts that; one that does not
	// was refused before it ran (the schema's incremental-delivery rule).
	if rep.resp != nil && rep.resp.HasNext != nil && AcceptsIncremental(r.Header) {
		rep.next = func() *graphql.Response { return responses(ctx) }
	}
}

// rationed is how long a refused operation's client must wait, if a
// rationing limit refused it.
func (t *Transport) rationed(errs gqlerror.List) time.Duration {
	if t.retryAfter == nil {
		return 0
	}
	for _, err := range errs {
		if d, ok := t.retryAfter(err); ok && d > 0 {
			return d
		}
	}
	return 0
}

// isPOSTJSON reports whether r is a POST with a JSON body, the only body
// accepted: forms and text/plain, which a cross-site page can send without
// a CORS preflight, are not.
func isPOSTJSON(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	mediaType, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mediaType == mediaJSON
}

// responseMedia picks the response's media type from Accept as gqlgen's
// transports do: application/json when absent or any, else the first of
// the two GraphQL media types listed, else graphql-response+json.
func responseMedia(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaResponse:
			return mediaResponse
		}
	}
	return mediaResponse
}

// jsonDecode decodes the first JSON value of r, numbers as json.Number
// (gqlgen coerces them to the variables' types).
func jsonDecode(r io.Reader, val any) error {
	dec := json.NewDecoder(r)
	dec.UseNumber()
	return dec.Decode(val)
}
