package gqlws

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

const (
	defaultInitTimeout      = 10 * time.Second
	defaultPingInterval     = 25 * time.Second
	defaultMaxSubscriptions = 100
	defaultSendBuffer       = 64
	defaultMaxMessageBytes  = 64 << 10

	// writeTimeout bounds one write; a client that takes longer to take a
	// message is gone or hopeless, and the library closes the socket.
	writeTimeout = 10 * time.Second
)

// Options configures a Transport. Zero values take the defaults given.
type Options struct {
	// Init authenticates a connection from its connection_init payload
	// (nil without one; numbers as json.Number) and the upgrade request.
	// It returns the context the connection's operations run in (with the
	// viewer, and a deadline at the token's expiry), derived from ctx so
	// that it ends with the connection. An error closes the socket with
	// 4403, the error's message as the reason (cut to 123 bytes, so keep
	// it short and free of secrets); the end of the returned context
	// closes it with 4403 too ("token expired" at its deadline). Without
	// Init every connection is accepted and runs its operations in ctx.
	Init func(ctx context.Context, r *http.Request, payload map[string]any) (context.Context, error)
	// InitTimeout is how long a connection may go without
	// connection_init (default 10s); then it is closed with 4408.
	InitTimeout time.Duration
	// OriginPatterns are the cross-origin hosts allowed to connect, as
	// coder/websocket's AcceptOptions.OriginPatterns. Same-origin
	// (Origin's host equals Host) and requests without Origin are always
	// allowed; any other handshake is answered 403 by the library.
	OriginPatterns []string
	// MaxSubscriptions is how many operations a connection may run at once
	// (default 100). The next one gets an error message with
	// extensions.code TOO_MANY_SUBSCRIPTIONS; the connection stays open.
	MaxSubscriptions int
	// Admit, if set, is asked before each operation starts, with the
	// connection's context (Init's) carrying the operation's
	// OperationContext. A refusal (err not nil) is sent as the error
	// message of that operation, err as its one error, and the connection
	// stays open. Otherwise release is called exactly once, when the
	// operation has ended (or did not start after all). It is where caps
	// shared across connections (per user, per client) are kept.
	Admit func(ctx context.Context) (release func(), err *gqlerror.Error)
	// PingInterval is how often the server sends {"type":"ping"} (default
	// 25s). A connection from which no message at all (pong or other)
	// arrives in the interval after a ping is closed with 1001.
	PingInterval time.Duration
	// SendBuffer is how many outgoing messages a connection queues
	// (default 64). A client so slow that the queue fills is closed with
	// 1013 rather than blocking the operations feeding it.
	SendBuffer int
	// MaxMessageBytes is the largest message read (default 64 KiB); a
	// larger one closes the connection with 1009.
	MaxMessageBytes int64
	// Logger receives connection ends (debug), slow consumers (warn) and
	// panics (error); nil is slog.Default().
	Logger *slog.Logger
	// Closed, if set, is called once when a connection has ended, with the
	// close code sent (or the client's, echoed, when it closed first; 1006
	// when the connection broke without one).
	Closed func(code int)
}

func (o Options) withDefaults() Options {
	if o.InitTimeout <= 0 {
		o.InitTimeout = defaultInitTimeout
	}
	if o.MaxSubscriptions <= 0 {
		o.MaxSubscriptions = defaultMaxSubscriptions
	}
	if o.PingInterval <= 0 {
		o.PingInterval = defaultPingInterval
	}
	if o.SendBuffer <= 0 {
		o.SendBuffer = defaultSendBuffer
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = defaultMaxMessageBytes
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return o
}

// Transport is the graphql-transport-ws transport. Its zero value is not
// usable: use New.
type Transport struct {
	opts Options

	mu       sync.Mutex
	conns    map[*conn]struct{}
	stopping bool
	// running counts what Shutdown waits for: Do calls and operations.
	running int
	// idle is closed when running drops to zero once stopping.
	idle    chan struct{}
	drained bool
}

// New returns a Transport; add it to the gqlgen server before any
// transport that would claim WebSocket upgrades.
func New(opts Options) *Transport {
	return &Transport{
		opts:  opts.withDefaults(),
		conns: map[*conn]struct{}{},
		idle:  make(chan struct{}),
	}
}

// Supports claims every WebSocket upgrade (a GET with Upgrade: websocket),
// whatever subprotocols it offers: the protocol answers one without
// graphql-transport-ws by accepting it and closing with 4406, which tells
// a client (a legacy graphql-ws one, say) what is wrong better than a 400.
func (t *Transport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && hasToken(r.Header, "Upgrade", "websocket")
}

// Do serves one connection and returns when it has ended, its operations
// cancelled (though perhaps not yet returned).
func (t *Transport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if !t.enter() {
		http.Error(w, "server is shutting down", http.StatusServiceUnavailable)
		return
	}
	defer t.leave()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{
		Subprotocols:   []string{subprotocol},
		OriginPatterns: t.opts.OriginPatterns,
	})
	if err != nil {
		// Accept has answered (403 for a refused origin).
		t.opts.Logger.Debug("gqlws: handshake refused", "err", err)
		return
	}
	ws.SetReadLimit(t.opts.MaxMessageBytes)
	newConn(t, ws, r, exec).serve()
}

// Shutdown closes every open connection with 1012 (service restart) and
// waits until their goroutines, operations included, have returned, or
// until ctx ends (its error is returned then). Connections attempted
// afterwards are answered 503.
func (t *Transport) Shutdown(ctx context.Context) error {
	t.mu.Lock()
	t.stopping = true
	conns := slices.Collect(maps.Keys(t.conns))
	t.checkIdle()
	t.mu.Unlock()
	for _, c := range conns {
		c.fail(closeWith(closeShutdown, "service restart"))
	}
	select {
	case <-t.idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Open reports the number of open connections.
func (t *Transport) Open() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.conns)
}

// enter counts a Do call in, unless shutting down.
func (t *Transport) enter() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return false
	}
	t.running++
	return true
}

func (t *Transport) leave() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.running--
	t.checkIdle()
}

// checkIdle closes idle once nothing runs during Shutdown; t.mu is held.
func (t *Transport) checkIdle() {
	if t.stopping && t.running == 0 && !t.drained {
		t.drained = true
		close(t.idle)
	}
}

// spawn runs an operation counted for Shutdown. It is called by a
// connection's reader, whose Do call keeps running above zero.
func (t *Transport) spawn(f func()) {
	t.mu.Lock()
	t.running++
	t.mu.Unlock()
	go func() {
		defer t.leave()
		f()
	}()
}

// track registers an open connection; false once shutting down, when
// Shutdown may already have looked for connections to close.
func (t *Transport) track(c *conn) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopping {
		return false
	}
	t.conns[c] = struct{}{}
	return true
}

func (t *Transport) untrack(c *conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.conns, c)
}

// hasToken reports whether the comma-separated header name lists token.
func hasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
