package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
)

// GraphQL over Server-Sent Events, as the npm graphql-sse client speaks it
// in its "distinct connections mode": a POST with Accept:
// text/event-stream and a JSON body, answered by a stream of `next` events
// (data: an execution result) and a `complete` event. gqlgen's
// transport.SSE speaks exactly that (as graphql-sse's own server does, a
// document that fails validation is a `next` with the errors, then
// `complete`), so it does the protocol; sseTransport around it adds what a
// long-lived stream needs here and changes three things a client notices:
//
//   - A stream ends with its session (sessionContext: the token's expiry,
//     the account's tokens revoked) and at Handler.Shutdown. gqlgen's would
//     then send `complete`, which graphql-sse reads as the subscription
//     having finished: the client would stop listening, unaware. Here
//     nothing more is written once the stream's context has ended for such
//     a reason, so the stream ends without `complete`, which graphql-sse
//     treats as a network error and retries (with a fresh token if its
//     headers option is a function; the old one gets 401). An ended
//     session first sends a last `next` with an UNAUTHENTICATED error
//     saying why ("token expired", "access token revoked"), the reason a
//     WebSocket gets in its 4403 close frame.
//   - A refusal by a rationing limit (the cost budget, the caps in
//     caps.go) is HTTP 429 with Retry-After and a GraphQL error body, as
//     over plain HTTP, not an event in a 200 stream: graphql-sse retries a
//     non-2xx answer with backoff, which is what a refusal asks for.
//   - gqlgen's transport needs an http.Flusher by type assertion, which
//     wrapped ResponseWriters (the access log's) hide, and its keepalive
//     goroutine may write after Do has returned. sseWriter flushes through
//     http.ResponseController and drops writes once the stream is over.
//
// A stream is routed around the request deadline and the in-flight cap
// (NewHandler), as a WebSocket is: it lasts as long as its session, and
// the in-flight slots ration CPU-bound executions, of which an idle
// stream is none; holding one for hours, MAX_IN_FLIGHT streams would stop
// every query. Streams are bounded by the connection and subscription caps
// instead. Its viewer's lookup keeps the request deadline (lookupWithin);
// a query sent over SSE gets the deadline as its execution's (sseExec); a
// mutation, as over HTTP, runs to its own end.

const (
	// sseKeepAlive is how often an idle stream gets a comment, so proxies
	// that cut idle connections (often at 60 s) keep it.
	sseKeepAlive = 25 * time.Second
	// sseWriteTimeout bounds each write of a stream; a client that takes
	// longer to take an event is gone, and its stream ends.
	sseWriteTimeout = 10 * time.Second
)

// errShutdown is the cause of the streams Handler.Shutdown ends.
var errShutdown = errors.New("server shutting down")

// sseOptions configure newSSE.
type sseOptions struct {
	tokens *auth.Tokens
	hub    *store.Hub
	caps   *caps
	// timeout is the deadline of a query's execution over SSE.
	timeout time.Duration
	// rationed tells a rationing refusal (429) from others
	// (limits.RetryAfter).
	rationed func(*gqlerror.Error) (time.Duration, bool)
	// refused is told of other refusals, so the budget pays for them as
	// over HTTP (the demand control's ChargeRefused).
	refused func(context.Context, gqlerror.List)
	// headers adds the caller's rate-limit headers (limits.RateHeaders).
	headers func(context.Context, http.Header)
}

// sseTransport is the SSE transport: gqlgen's transport.SSE inside the
// stream's lifetime, caps and shutdown.
type sseTransport struct {
	inner transport.SSE
	opts  sseOptions

	mu       sync.Mutex
	streams  map[*byte]context.CancelCauseFunc
	stopping bool
	running  int           // Do calls under way
	idle     chan struct{} // closed when running reaches 0 once stopping
	drained  bool
}

var _ graphql.Transport = (*sseTransport)(nil)

func newSSE(opts sseOptions) *sseTransport {
	return &sseTransport{
		inner:   transport.SSE{KeepAlivePingInterval: sseKeepAlive},
		opts:    opts,
		streams: map[*byte]context.CancelCauseFunc{},
		idle:    make(chan struct{}),
	}
}

// Supports claims what gqlgen's SSE transport does: a POST with a JSON
// body that accepts text/event-stream.
func (t *sseTransport) Supports(r *http.Request) bool { return t.inner.Supports(r) }

// Do serves one stream, under the viewer the request's token gave (the
// authentication middleware has run) and a context without the request
// deadline (lookupWithin), until the operation ends, the client leaves,
// the session ends or the server shuts down.
func (t *sseTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	ctx := r.Context()
	release, refusal := t.opts.caps.connections.take(identity(ctx))
	if refusal != nil {
		refuseOverCap(w, refusal)
		return
	}
	defer release()
	ctx, untrack, ok := t.track(ctx)
	if !ok {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer untrack()
	header := r.Header.Get("Authorization")
	expires, _ := t.opts.tokens.Expires(header)
	ctx = sessionContext(ctx, t.opts.tokens, t.opts.hub, header, auth.FromContext(ctx), expires)
	sw := newSSEWriter(ctx, w, t.opts.headers)
	// The server's read and write timeouts are for requests: a stream's
	// read side is done (its body was read) and each write gets its own
	// deadline (sseWriter). A read deadline left to pass would cancel the
	// request's context (net/http's background read sees it).
	_ = sw.rc.SetReadDeadline(time.Time{})
	ex := &sseExec{GraphExecutor: exec, t: t, w: sw}
	defer ex.end()
	t.inner.Do(sw, r.WithContext(ctx), ex)
	sw.finish()
}

// Shutdown ends every stream (without `complete`: clients retry, and find
// another instance) and waits until their Do calls have returned, or ctx
// ends. Streams attempted afterwards are answered 503.
func (t *sseTransport) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	t.stopping = true
	for _, cancel := range t.streams {
		cancel(errShutdown)
	}
	t.checkIdle()
	t.mu.Unlock()
	select {
	case <-t.idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// track registers a stream, its context cancelled by Shutdown (cause
// errShutdown) or by untrack; false once shutting down.
func (t *sseTransport) track(ctx context.Context) (_ context.Context, untrack func(), ok bool) {
	ctx, cancel := context.WithCancelCause(ctx)
	key := new(byte)
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		cancel(errShutdown)
		return ctx, nil, false
	}
	t.streams[key] = cancel
	t.running++
	return ctx, func() {
		cancel(context.Canceled)
		t.mu.Lock()
		defer t.mu.Unlock()
		delete(t.streams, key)
		t.running--
		t.checkIdle()
	}, true
}

// checkIdle closes idle once nothing runs during Shutdown; t.mu is held.
func (t *sseTransport) checkIdle() {
	if t.stopping && t.running == 0 && !t.drained {
		t.drained = true
		close(t.idle)
	}
}

// sseExec is the executor as the SSE transport sees it: it holds a
// subscription under the per-user cap, answers rationing refusals with
// 429 itself, and puts the request deadline on a query's execution.
type sseExec struct {
	graphql.GraphExecutor
	t *sseTransport
	w *sseWriter

	release func() // the subscription's hold on the cap
	cancel  context.CancelFunc
}

func (e *sseExec) CreateOperationContext(ctx context.Context, params *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	oc, errs := e.GraphExecutor.CreateOperationContext(ctx, params)
	if errs == nil {
		release, refusal := e.t.opts.caps.admitOperation(graphql.WithOperationContext(ctx, oc))
		if refusal == nil {
			e.release = release
			return oc, nil
		}
		errs = gqlerror.List{refusal}
	}
	if oc != nil {
		ctx = graphql.WithOperationContext(ctx, oc)
	}
	if !e.rationed(errs) {
		if e.t.opts.refused != nil {
			e.t.opts.refused(ctx, errs)
		}
		return oc, errs // gqlgen streams them: `next`, then `complete`
	}
	presented := e.DispatchError(ctx, errs).Errors
	if len(presented) == 0 {
		presented = errs
	}
	// Answered here, before gqlgen writes anything; what it then writes
	// of these errors goes nowhere.
	e.w.answer(func(w http.ResponseWriter) { refuseOverCap(w, presented[0]) })
	return oc, errs
}

func (e *sseExec) rationed(errs gqlerror.List) bool {
	for _, err := range errs {
		if d, ok := e.t.opts.rationed(err); ok && d > 0 {
			return true
		}
	}
	return false
}

// DispatchOperation gives a query the request deadline; a subscription
// runs as long as its stream, and a mutation to its own end (its result
// is the only word on whether it committed).
func (e *sseExec) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	if e.t.opts.timeout > 0 && oc.Operation != nil && oc.Operation.Operation == ast.Query {
		ctx, e.cancel = context.WithTimeout(ctx, e.t.opts.timeout)
	}
	return e.GraphExecutor.DispatchOperation(ctx, oc)
}

// end releases what the operation held, once Do has returned.
func (e *sseExec) end() {
	if e.release != nil {
		e.release()
	}
	if e.cancel != nil {
		e.cancel()
	}
}

// sseWriter is the ResponseWriter gqlgen's SSE transport writes to. It
// flushes through http.ResponseController, gives each write its own
// deadline, adds the caller's rate-limit headers, and drops every write
// once the stream is over: its context ended (the session, Shutdown, the
// client), an answer was given in gqlgen's place (answer), or Do returned.
type sseWriter struct {
	w       http.ResponseWriter
	rc      *http.ResponseController
	headers func(context.Context, http.Header)

	ctx context.Context // the stream's

	mu       sync.Mutex
	wrote    bool
	answered bool
	closed   bool
}

func newSSEWriter(ctx context.Context, w http.ResponseWriter, headers func(context.Context, http.Header)) *sseWriter {
	return &sseWriter{w: w, rc: http.NewResponseController(w), headers: headers, ctx: ctx}
}

// errStreamOver is what writes after the end of a stream return.
var errStreamOver = errors.New("sse: the stream is over")

func (s *sseWriter) Header() http.Header { return s.w.Header() }

func (s *sseWriter) WriteHeader(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.over() {
		return
	}
	s.begin(status)
}

func (s *sseWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.over() {
		return 0, errStreamOver
	}
	return s.write(b)
}

// Flush flushes what was written (gqlgen's transport asserts
// http.Flusher).
func (s *sseWriter) Flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.over() {
		_ = s.rc.Flush()
	}
}

// over reports whether writes go nowhere now; s.mu is held.
func (s *sseWriter) over() bool {
	return s.closed || s.answered || s.ctx.Err() != nil
}

// begin sends the status line and headers once; s.mu is held.
func (s *sseWriter) begin(status int) {
	if s.wrote {
		return
	}
	s.wrote = true
	if s.headers != nil {
		s.headers(s.ctx, s.w.Header())
	}
	s.w.WriteHeader(status)
}

// write writes b within its own deadline; s.mu is held.
func (s *sseWriter) write(b []byte) (int, error) {
	s.begin(http.StatusOK)
	_ = s.rc.SetWriteDeadline(time.Now().Add(sseWriteTimeout))
	return s.w.Write(b)
}

// answer writes a whole answer in gqlgen's place, if nothing was written
// yet; from then on gqlgen's writes are dropped.
func (s *sseWriter) answer(write func(http.ResponseWriter)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.wrote || s.over() {
		return
	}
	s.answered, s.wrote = true, true
	write(s.w)
}

// finish closes the writer once Do has returned. A stream whose session
// ended gets a last `next` saying why, and no `complete` (see the top of
// this file).
func (s *sseWriter) finish() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed = true
	why := sessionEnded(s.ctx)
	if why == "" || s.answered || !s.wrote {
		return
	}
	if _, err := fmt.Fprintf(writerFunc(s.write), "event: next\ndata: %s\n\n", sessionEndedEvent(why)); err == nil {
		_ = s.rc.Flush()
	}
}

// sessionEndedEvent is the data of the last event of a stream whose
// session ended.
func sessionEndedEvent(why string) []byte {
	b, _ := json.Marshal(graphql.Response{Errors: gqlerror.List{{
		Message:    why,
		Extensions: map[string]any{"code": apperr.Unauthenticated},
	}}})
	return b
}

// writerFunc makes a function an io.Writer.
type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(b []byte) (int, error) { return f(b) }

var _ io.Writer = writerFunc(nil)

// lookupWithin authenticates a stream's request with authenticate (the
// token middleware) under the request deadline, timeout, as any request's
// viewer lookup is bounded (503 TIMEOUT past it), then serves it with the
// values the lookup added (the viewer) but without that deadline: a
// stream lasts as long as its session. It still ends when the client
// leaves.
func lookupWithin(timeout time.Duration, authenticate func(http.Handler) http.Handler, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		clientGone := r.Context()
		ctx, cancel := clientGone, context.CancelFunc(func() {})
		if timeout > 0 {
			ctx, cancel = context.WithTimeout(clientGone, timeout)
		}
		defer cancel()
		authenticate(http.HandlerFunc(func(w http.ResponseWriter, looked *http.Request) {
			ctx, stop := context.WithCancel(context.WithoutCancel(looked.Context()))
			defer stop()
			defer context.AfterFunc(clientGone, stop)()
			next.ServeHTTP(w, looked.WithContext(ctx))
		})).ServeHTTP(w, r.WithContext(ctx))
	})
}

// routeStreams sends the requests isStream claims to streams, the others
// to next.
func routeStreams(isStream func(*http.Request) bool, streams, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isStream(r) {
			streams.ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r)
	})
}
