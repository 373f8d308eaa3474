package graph

import (
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/klauspost/compress/gzhttp"
	"github.com/rs/cors"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/directive"
	"github.com/shopgraph/shopgraph/graph/gqlhttp"
	"github.com/shopgraph/shopgraph/graph/gqlws"
	"github.com/shopgraph/shopgraph/graph/inputtext"
	"github.com/shopgraph/shopgraph/graph/limits"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/reqlog"
	"github.com/shopgraph/shopgraph/graph/rowrules"
)

// Options configure the GraphQL handler. The zero value of a limit turns it
// off; server/config.go sets production values.
type Options struct {
	// Loaders tunes the per-request dataloaders.
	Loaders loaders.Config
	// Events is where subscriptions hear of committed changes (the
	// store's Hub); nil: subscriptions receive nothing.
	Events *store.Hub
	// Introspection enables schema introspection for everyone; without it
	// only staff may introspect.
	Introspection bool
	// Production hides field and argument suggestions in errors.
	Production bool

	// Demand control: limits.Config's limits, buckets and field rules
	// (limits.Policy); NewHandler fills in the logger, and identity if it
	// is unset.
	Limits limits.Config
	// MaxTokens caps the lexer tokens of a query document.
	MaxTokens int
	// MaxBodyBytes caps request bodies (413 beyond).
	MaxBodyBytes int64
	// Timeout is the deadline of each request's work, the viewer's lookup
	// included.
	Timeout time.Duration
	// ReadTimeout bounds how long a client may take to send its request
	// body (408 beyond), so a slow sender cannot hold a connection.
	ReadTimeout time.Duration
	// PersistedQueries stores automatic persisted queries; nil keeps an
	// in-process LRU.
	PersistedQueries graphql.Cache[string]
	// CORSOrigins may call the API from browsers; empty allows none.
	CORSOrigins []string
	// MaxInFlight caps the requests executing at once; the others wait
	// for a slot (0: no cap).
	MaxInFlight int
	// MaxConnsPerRequest caps the database connections one operation's
	// reads hold at once (store.LimitConcurrency; 0: no cap).
	MaxConnsPerRequest int
	// MaxSubscriptionsPerUser caps the subscriptions one user (anonymous:
	// one client address) runs at once, over WebSockets and SSE together,
	// in this process (see caps.go; 0: no cap).
	MaxSubscriptionsPerUser int
	// MaxConnectionsPerClient caps the WebSockets and SSE streams open at
	// once for one client, in this process: its user when the connection
	// names one as it opens (an SSE request's token; a WebSocket upgrade's
	// Authorization header, if it has one), else its address (0: no cap).
	MaxConnectionsPerClient int
	// TrustedProxies are the load balancers whose Forwarded or
	// X-Forwarded-For headers name the client (see clientip.go); empty:
	// the TCP peer is the client.
	TrustedProxies []netip.Prefix
}

// maxValidationErrors caps the errors one refused document gets: enough to
// fix a real query by, too few to amplify an attack (limits.ValidationRules).
const maxValidationErrors = 50

// NewHandler returns the GraphQL endpoint over client (whose ent.Currency
// is the currency of every Money amount), authenticating
// requests with tokens. It installs the row-level rules on client, so give
// it a client of its own (store.NewClient). The transport is chosen
// explicitly (gqlhttp.Transport: GET for queries, POST with a JSON body);
// gqlgen's NewDefaultServer is not meant for production. Form and multipart
// bodies are refused, so a cross-site form cannot post a mutation.
func NewHandler(client *ent.Client, tokens *auth.Tokens, logger *slog.Logger, opts Options) *Handler {
	rowrules.Install(client)
	r := &Resolver{
		client:   client,
		tokens:   tokens,
		validate: newValidator(),
		loaders:  opts.Loaders,
		events:   opts.Events,
	}
	if r.events == nil {
		r.events = store.NewHub()
	}
	es := NewExecutableSchema(newConfig(r))
	srv := handler.New(es)
	// Demand control, made first: the transport charges refusals to it
	// and reads the budget it reports.
	lim := opts.Limits
	if lim.Identity == nil {
		lim.Identity = identity
	}
	lim.Logger = logger
	demand := limits.New(lim)
	open := newCaps(opts)
	// Subscriptions (and any operation) over graphql-transport-ws: first,
	// since the HTTP transport answers every other request, upgrades
	// included (400).
	ws := gqlws.New(gqlws.Options{
		Init:           socketViewer(tokens, r.events, logger),
		OriginPatterns: originPatterns(opts.CORSOrigins),
		Admit:          open.admitOperation,
		Logger:         logger,
	})
	srv.AddTransport(ws)
	// Subscriptions (and any operation) over SSE: before the HTTP
	// transport, which would answer them as plain POSTs (sse.go).
	sse := newSSE(sseOptions{
		tokens:   tokens,
		hub:      r.events,
		caps:     open,
		timeout:  opts.Timeout,
		rationed: limits.RetryAfter,
		refused:  demand.ChargeRefused,
		headers:  limits.RateHeaders,
	})
	srv.AddTransport(sse)
	// One transport reads every other request and writes every response:
	// it owns the status codes and headers of GraphQL-over-HTTP (see gqlhttp).
	srv.AddTransport(gqlhttp.NewTransport(gqlhttp.TransportOptions{
		Schema:     es.Schema(),
		SignedIn:   func(r *http.Request) bool { return !auth.FromContext(r.Context()).Anonymous() },
		RetryAfter: limits.RetryAfter,
		Refused:    demand.ChargeRefused,
		Headers:    limits.RateHeaders,
	}))
	srv.SetQueryCache(gqlhttp.Bounded(lru.New[*ast.QueryDocument](1000), gqlhttp.ByKey[*ast.QueryDocument]))
	if opts.MaxTokens > 0 {
		srv.SetParserTokenLimit(opts.MaxTokens)
	}
	srv.SetDisableSuggestion(opts.Production)
	srv.SetValidationRulesFn(limits.ValidationRules(maxValidationErrors, !opts.Production))
	srv.Use(introspectionPolicy{all: opts.Introspection})
	srv.Use(incrementalDelivery{})
	apq := opts.PersistedQueries
	if apq == nil {
		apq = lru.New[string](1000)
	}
	persisted := gqlhttp.PersistedQueries{Store: gqlhttp.Bounded(apq, gqlhttp.ByValue), Allow: demand.AllowRegistration}
	srv.Use(extension.AutomaticPersistedQuery{Cache: persisted.Lookup()})

	srv.Use(demand)
	// Priced first, like every operation; then no String or ID input may
	// carry control characters (inputtext), before anything runs.
	srv.Use(inputtext.New())
	srv.Use(persisted) // last: only what passed everything is kept

	srv.SetErrorPresenter(presentErrors(logger, opts.Production))
	srv.SetRecoverFunc(recoverPanic(logger))
	// Fresh loaders per operation: caches never outlive it or cross viewers.
	// Their batches run when the operation's own fields say so (Track).
	shape := loaders.NewShape(es.Schema())
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		ctx = store.LimitConcurrency(ctx, opts.MaxConnsPerRequest)
		sched := loaders.NewScheduler(ctx, 0, r.loaders.Stall)
		oc := graphql.GetOperationContext(ctx)
		subscription := oc.Operation.Operation == ast.Subscription
		if subscription {
			// Its fields resolve once per event, each event with its own
			// loaders and count (AroundResponses, below).
			ctx = withFeed(ctx, &feed{events: shape.TrackEvents(oc)})
		} else {
			shape.Track(sched, oc)
		}
		l := loaders.New(ctx, client, r.loaders, sched)
		l.Narrow(oc)
		responses := next(loaders.With(ctx, l))
		return func(ctx context.Context) *graphql.Response {
			res := responses(ctx)
			if !subscription {
				warnStalled(ctx, logger, sched)
			}
			return res
		}
	})
	// Each event of a subscription is resolved with loaders of its own,
	// batching by its own count and sharing rows with the other
	// subscribers of the same event (loaders.ForEvent).
	srv.AroundResponses(func(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
		f := feedOf(ctx)
		if f == nil || f.next == nil {
			return next(ctx) // not a subscription, or one that failed to start
		}
		obj, shared, ok := f.next(ctx)
		l, err := loaders.From(ctx)
		if !ok || err != nil {
			return next(ctx) // ended: gqlgen ends the stream
		}
		ctx, cancel := context.WithCancel(ctx) // the event's scheduler ends with it
		defer cancel()
		sched := loaders.NewScheduler(ctx, 0, r.loaders.Stall)
		f.events.Expect(sched, obj)
		res := next(loaders.With(ctx, l.ForEvent(ctx, sched, shared)))
		warnStalled(ctx, logger, sched)
		return res
	})
	// Mutations run one after another and each changes data: each gets
	// fresh loaders, so its payload never shows rows cached before it ran.
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
			if l, err := loaders.From(ctx); err == nil {
				ctx = loaders.With(ctx, l.Renew(ctx))
			}
		}
		return next(ctx)
	})

	// Plain net/http middleware, innermost first; a request meets them in
	// the reverse order: gzip, CORS, the client's address, Guard (429 for
	// a large request whose caller's budget is spent, 408 for a slow body,
	// 413, 405, oversized documents, charged), the in-flight cap, the
	// deadline, authentication (401; 503 if the viewer cannot be looked up
	// in time), then gqlgen and its transport. The deadline starts once a
	// slot is free and covers the viewer's lookup, so a hanging database
	// stops signed-in requests on time as it does anonymous ones.
	// Outermost but for gzip and CORS, each request gets its own budget
	// report: Guard and demand control fill it in, the transport writes
	// it as X-RateLimit-* headers.
	var h http.Handler = srv
	h = tokens.Middleware(h)
	h = gqlhttp.Deadline(opts.Timeout, logger)(h)
	h = limitInFlight(opts.MaxInFlight, h)
	// An SSE stream takes neither a slot nor the deadline (sse.go says
	// why); its viewer's lookup keeps the deadline.
	h = routeStreams(sse.Supports, lookupWithin(opts.Timeout, tokens.Middleware, srv), h)
	// Before the viewer is loaded, a caller is who its token claims to be
	// (signature checked), else its address: the same budget key identity
	// gives once it is.
	claimed := func(r *http.Request) string {
		if id, ok := tokens.Claimed(r); ok {
			return "user:" + strconv.Itoa(id)
		}
		return "ip:" + clientIP(r.Context())
	}
	h = gqlhttp.Guard(gqlhttp.GuardOptions{
		MaxBodyBytes: opts.MaxBodyBytes,
		ReadTimeout:  opts.ReadTimeout,
		Precheck:     precheck(lim, opts.MaxTokens),
		IsMutation:   func(q, op string) bool { return limits.IsMutation(q, op, opts.MaxTokens) },
		Admit: func(r *http.Request, size int64) (time.Duration, bool) {
			return demand.AdmitDocument(r.Context(), claimed(r), size)
		},
		AdmitAbove: admitAbove,
		Refused:    func(r *http.Request) { demand.ChargeDocument(r.Context(), claimed(r)) },
	})(h)
	// The client's address and the request's budget report first: Guard
	// rations by the one and writes to the other.
	h = withClientIP(opts.TrustedProxies, h)
	inner := h
	h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(limits.WithReport(r.Context())))
	})
	// No origins configured: no CORS headers at all (rs/cors would read an
	// empty list as "any origin"), so browsers keep to the same origin.
	if len(opts.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: opts.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost},
			AllowedHeaders: []string{"Content-Type", "Authorization", "X-Request-Id"},
			ExposedHeaders: []string{"X-Request-Id", "Retry-After", "ETag", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Used", "X-RateLimit-Reset"},
			MaxAge:         600,
		}).Handler(h)
	}
	// A WebSocket upgrade skips the request middleware: a socket lives
	// for hours (no deadline, no in-flight slot), authenticates in its
	// connection_init (browsers cannot set headers on one), and is
	// hijacked (no gzip). Its client's address is still resolved, for the
	// budget of an anonymous subscriber and the connection cap, which
	// refuses the upgrade itself (429): past it, the protocol's only
	// refusals are close codes, and 4429 means a second connection_init.
	sockets := withClientIP(opts.TrustedProxies, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		release, refusal := open.connections.take(claimed(r))
		if refusal != nil {
			refuseOverCap(w, refusal)
			return
		}
		defer release() // Do returns when the connection has ended
		srv.ServeHTTP(w, r.WithContext(limits.WithReport(r.Context())))
	}))
	gz := gzhttp.GzipHandler(h)
	return &Handler{ws: ws, sse: sse, caps: open, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case ws.Supports(r):
			sockets.ServeHTTP(w, r)
		case sse.Supports(r):
			h.ServeHTTP(w, r) // not gzipped: gzip would hold events back
		default:
			gz.ServeHTTP(w, r)
		}
	})}
}

// warnStalled logs an operation (or subscription event) whose batches ran
// after a stall: work escaped the scheduler's count, or the operation
// blocked elsewhere. The answer is right, but a level waited the stall
// window. Worth a look.
func warnStalled(ctx context.Context, logger *slog.Logger, sched *loaders.Scheduler) {
	if _, stalled := sched.Stats(); stalled > 0 {
		logger.WarnContext(ctx, "dataloader batch ran after a stall", "request_id", reqlog.ID(ctx), "batches", stalled)
	}
}

// Handler is the GraphQL endpoint.
type Handler struct {
	http.Handler
	ws   *gqlws.Transport
	sse  *sseTransport
	caps *caps
}

// Shutdown closes the open WebSockets (1012, service restart) and ends the
// SSE streams (without `complete`, so clients reconnect), and waits for
// their operations to end, or for ctx: http.Server.Shutdown does not see
// hijacked connections, and would wait for streams until its deadline.
func (h *Handler) Shutdown(ctx context.Context) error {
	streams := make(chan error, 1)
	go func() { streams <- h.sse.Shutdown(ctx) }()
	err := h.ws.Shutdown(ctx)
	return errors.Join(err, <-streams)
}

// Open reports what clients hold open in this process, as the caps count
// it: running subscriptions and open connections.
func (h *Handler) Open() Occupancy {
	return Occupancy{Subscriptions: h.caps.subscriptions.total(), Connections: h.caps.connections.total()}
}

// socketViewer authenticates a WebSocket from its connection_init payload:
// {"Authorization": "Bearer <token>"}, or {"headers": {"Authorization":
// …}} as some clients send it; none is anonymous. The connection's context
// ends when the token stops being accepted (sessionContext), which closes
// the socket.
func socketViewer(tokens *auth.Tokens, hub *store.Hub, logger *slog.Logger) func(ctx context.Context, r *http.Request, payload map[string]any) (context.Context, error) {
	return func(ctx context.Context, r *http.Request, payload map[string]any) (context.Context, error) {
		header := authorizationOf(payload)
		if header == "" {
			return auth.WithViewer(ctx, auth.Viewer{}), nil
		}
		v, expires, err := tokens.Authenticate(ctx, header)
		if errors.Is(err, auth.ErrRejected) {
			logger.InfoContext(ctx, "rejected access token", "transport", "websocket", "err", err)
			return nil, errors.New("invalid or expired access token")
		}
		if err != nil {
			logger.WarnContext(ctx, "viewer lookup failed", "transport", "websocket", "err", err)
			return nil, errors.New("could not check the access token; retry shortly")
		}
		// Until its expiry, or the revocation of the user's tokens.
		return sessionContext(auth.WithViewer(ctx, v), tokens, hub, header, v, expires), nil
	}
}

// authorizationOf finds the Authorization value in a connection_init
// payload, whatever the case of the key.
func authorizationOf(payload map[string]any) string {
	find := func(m map[string]any) string {
		for k, v := range m {
			if s, ok := v.(string); ok && strings.EqualFold(k, "Authorization") {
				return s
			}
		}
		return ""
	}
	if s := find(payload); s != "" {
		return s
	}
	if h, ok := payload["headers"].(map[string]any); ok {
		return find(h)
	}
	return ""
}

// originPatterns are the hosts of the CORS origins, as coder/websocket
// matches them; the page's own origin is always allowed.
func originPatterns(origins []string) []string {
	var out []string
	for _, o := range origins {
		if u, err := url.Parse(o); err == nil && u.Host != "" {
			out = append(out, u.Host)
		}
	}
	return out
}

// newConfig wires the resolvers, the cost of every list field and every
// directive the schema declares.
func newConfig(r *Resolver) Config {
	return Config{
		Resolvers:  r,
		Complexity: complexity(),
		Directives: DirectiveRoot{
			Auth:        directive.Auth,
			HasRole:     directive.HasRole,
			OwnerOrRole: directive.OwnerOrRole,
		},
	}
}

// precheck refuses oversized documents before validation (limits.Precheck)
// and remembers, by hash, the documents it accepted: clients repeat the same
// few queries, which then cost a hash rather than a second parse.
func precheck(cfg limits.Config, maxTokens int) func(string) *gqlerror.Error {
	accepted := lru.New[struct{}](1000)
	return func(query string) *gqlerror.Error {
		sum := sha256.Sum256([]byte(query))
		key := string(sum[:])
		if _, ok := accepted.Get(context.Background(), key); ok {
			return nil
		}
		if err := limits.Precheck(query, cfg, maxTokens); err != nil {
			return err
		}
		accepted.Add(context.Background(), key, struct{}{})
		return nil
	}
}

// introspectionPolicy allows schema introspection to everyone, or else to
// staff. A refused __schema or __type is the caller's refusal (FORBIDDEN),
// not the internal error gqlgen's plain "introspection disabled" would be
// presented as. Only operations that name them pay for the check.
type introspectionPolicy struct{ all bool }

func (introspectionPolicy) ExtensionName() string                   { return "IntrospectionPolicy" }
func (introspectionPolicy) Validate(graphql.ExecutableSchema) error { return nil }
func (i introspectionPolicy) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	oc.DisableIntrospection = !i.all && !auth.FromContext(ctx).Staff()
	if !oc.DisableIntrospection || !(strings.Contains(oc.RawQuery, "__schema") || strings.Contains(oc.RawQuery, "__type")) {
		return nil
	}
	next := oc.ResolverMiddleware
	oc.ResolverMiddleware = func(ctx context.Context, resolve graphql.Resolver) (any, error) {
		if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Object == "Query" && (fc.Field.Name == "__schema" || fc.Field.Name == "__type") {
			return nil, apperr.Errorf(apperr.Forbidden, "schema introspection is open to staff only")
		}
		return next(ctx, resolve)
	}
	return nil
}

// incrementalDelivery admits @defer where it can be honoured: in a query
// whose client accepts multipart/mixed, which the transport then streams
// (gqlhttp.Transport). Everywhere else it is refused with a code rather
// than run: over one JSON response gqlgen would answer hasNext: true and
// never follow up, with the deferred fields silently null (non-null ones
// too), and in a mutation or subscription gqlgen never delivers the
// deferred part at all. @stream gqlgen does not implement. Only documents
// that name a directive pay for the walk.
type incrementalDelivery struct{}

func (incrementalDelivery) ExtensionName() string                   { return "IncrementalDelivery" }
func (incrementalDelivery) Validate(graphql.ExecutableSchema) error { return nil }
func (incrementalDelivery) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if !strings.Contains(oc.RawQuery, "@defer") && !strings.Contains(oc.RawQuery, "@stream") {
		return nil
	}
	name := incremental(oc.Operation.SelectionSet, map[string]bool{})
	var msg string
	switch {
	case name == "":
		return nil
	case name == "stream":
		msg = "@stream is not supported; use @defer, or page through the list"
	case oc.Operation.Operation != ast.Query:
		msg = "@defer is supported in queries only; remove it from this " + string(oc.Operation.Operation)
	case !gqlhttp.AcceptsIncremental(oc.Headers):
		msg = `@defer needs incremental delivery: send "Accept: multipart/mixed; deferSpec=20220824, application/json", or remove the directive`
	default:
		return nil
	}
	err := gqlerror.Errorf("%s", msg)
	err.Extensions = map[string]any{"code": "INCREMENTAL_DELIVERY_UNSUPPORTED"}
	return err
}

// incremental names the first @defer or @stream in set, fragments
// included ("" if none).
func incremental(set ast.SelectionSet, seen map[string]bool) string {
	check := func(ds ast.DirectiveList) string {
		for _, d := range ds {
			if d.Name == "defer" || d.Name == "stream" {
				return d.Name
			}
		}
		return ""
	}
	for _, sel := range set {
		var name string
		switch f := sel.(type) {
		case *ast.Field:
			if name = check(f.Directives); name == "" {
				name = incremental(f.SelectionSet, seen)
			}
		case *ast.InlineFragment:
			if name = check(f.Directives); name == "" {
				name = incremental(f.SelectionSet, seen)
			}
		case *ast.FragmentSpread:
			if name = check(f.Directives); name == "" && f.Definition != nil && !seen[f.Name] {
				seen[f.Name] = true
				name = incremental(f.Definition.SelectionSet, seen)
			}
		}
		if name != "" {
			return name
		}
	}
	return ""
}

// admitAbove is the request size (bytes) from which Guard charges the
// caller's budget for the size before reading it: above what storefront
// and app queries need (a few KB at most; persisted ones far less), below
// where reading and parsing one costs real CPU.
const admitAbove = 8 << 10

// limitInFlight lets at most n requests past at once; the others wait for a
// slot, or until their client leaves. Execution is CPU-bound (gqlgen's
// per-field work far outweighs the SQL), so past a few requests per core
// more concurrency adds only memory (goroutine stacks, live responses) and
// collector work: throughput stays at its peak and RSS stays bounded
// instead of sagging as connections grow. A request's deadline starts when
// it gets its slot (gqlhttp.Deadline is inside).
func limitInFlight(n int, next http.Handler) http.Handler {
	if n <= 0 {
		return next
	}
	slots := make(chan struct{}, n)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case slots <- struct{}{}:
		case <-r.Context().Done():
			return // the client left while waiting; nothing to answer
		}
		defer func() { <-slots }()
		if r.Context().Err() != nil {
			return // both were ready and select chose the slot: still gone
		}
		next.ServeHTTP(w, r)
	})
}

// identity is whose budget an operation draws on: the signed-in user, else
// the client's address.
func identity(ctx context.Context) string {
	if v := auth.FromContext(ctx); !v.Anonymous() {
		return "user:" + strconv.Itoa(v.ID)
	}
	return "ip:" + clientIP(ctx)
}

// ByClientIP keys a field rule by the client's address (sign-in attempts).
func ByClientIP(ctx context.Context) string { return clientIP(ctx) }

// ByIdentity keys a field rule by identity (checkout).
func ByIdentity(ctx context.Context) string { return identity(ctx) }
