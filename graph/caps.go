package graph

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/shopgraph/shopgraph/graph/limits"
)

// Caps on what a client holds open: subscriptions per user (anonymous:
// per client address) across WebSockets and SSE streams, and open
// connections (WebSockets and SSE streams) per client. Each subscription
// holds a hub subscription, goroutines and a share of every event's
// fan-out, and each connection a socket and its buffers, for as long as
// the client likes; the cost budget prices an operation once, not its
// lifetime, so these are counted instead.
//
// The counts live in this process: behind a balancer with several
// instances the effective cap is per instance (a client spread over n
// instances may hold n times as much). Shared counters would need a lease
// per connection in Redis, renewed while it lives, for a cap whose point
// is one instance's memory and file descriptors.

// capRetryAfter is the Retry-After of a refusal by a cap. The caps are on
// what is open, not on a rate, so no wait is exact: it is the pause after
// which a client that closed something may try again, long enough that a
// client retrying in a loop costs little.
const capRetryAfter = 5 * time.Second

// quota counts what each key holds, up to limit per key (0: counted, not
// capped).
type quota struct {
	limit int
	what  string // for the refusal's message: "subscriptions per user"

	mu   sync.Mutex
	held map[string]int
}

func newQuota(limit int, what string) *quota {
	return &quota{limit: limit, what: what, held: map[string]int{}}
}

// take holds one more for key. release gives it back; calling it again
// does nothing, so every path that ends what was held may call it.
func (q *quota) take(key string) (release func(), refusal *gqlerror.Error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.limit > 0 && q.held[key] >= q.limit {
		return nil, capRefusal(q.what, q.limit)
	}
	q.held[key]++
	return sync.OnceFunc(func() { q.give(key) }), nil
}

func (q *quota) give(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.held[key]--; q.held[key] <= 0 {
		delete(q.held, key) // no entry outlives what it counts
	}
}

// total is what every key holds.
func (q *quota) total() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	n := 0
	for _, c := range q.held {
		n += c
	}
	return n
}

// capRefusal is the error of a refusal by a cap: RATE_LIMITED, as every
// rationing refusal, with retryAfter (seconds) as limits.RetryAfter reads
// it, so it is answered like the others (HTTP 429 with Retry-After).
func capRefusal(what string, limit int) *gqlerror.Error {
	return &gqlerror.Error{
		Message: fmt.Sprintf("too many open %s (limit %d); close one and retry", what, limit),
		Extensions: map[string]any{
			"code":       limits.CodeRateLimited,
			"retryAfter": int(capRetryAfter / time.Second),
		},
	}
}

// caps are the handler's two quotas.
type caps struct {
	subscriptions *quota // by identity: "user:<id>", else "ip:<address>"
	connections   *quota // by the caller a connection names when it opens
}

func newCaps(opts Options) *caps {
	return &caps{
		subscriptions: newQuota(opts.MaxSubscriptionsPerUser, "subscriptions per user"),
		connections:   newQuota(opts.MaxConnectionsPerClient, "connections per client"),
	}
}

// admitOperation holds a subscription for the viewer of an operation
// about to start (ctx carries its OperationContext); other operations
// hold nothing.
func (c *caps) admitOperation(ctx context.Context) (release func(), refusal *gqlerror.Error) {
	if !graphql.HasOperationContext(ctx) {
		return func() {}, nil
	}
	if oc := graphql.GetOperationContext(ctx); oc.Operation == nil || oc.Operation.Operation != ast.Subscription {
		return func() {}, nil
	}
	return c.subscriptions.take(identity(ctx))
}

// Occupancy is what the clients of one handler hold open (this process's
// counts, see caps.go).
type Occupancy struct {
	Subscriptions int // running subscriptions, WebSocket and SSE
	Connections   int // open WebSockets and SSE streams
}

// refuseOverCap answers a request refused by a cap, before any stream or
// socket began: HTTP 429 with Retry-After and the refusal as a GraphQL
// request error, in the media type a GraphQL client reads.
func refuseOverCap(w http.ResponseWriter, refusal *gqlerror.Error) {
	secs, _ := refusal.Extensions["retryAfter"].(int)
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Retry-After", strconv.Itoa(secs))
	w.WriteHeader(http.StatusTooManyRequests)
	json.NewEncoder(w).Encode(map[string]any{"errors": gqlerror.List{refusal}})
}
