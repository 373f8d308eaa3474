package gqlhttp

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/redis/go-redis/v9"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// RedisCache stores automatic persisted queries (hash -> query text) in
// Redis, so a query registered through one instance is known to all.
type RedisCache struct {
	client *redis.Client
	prefix string
	ttl    time.Duration
}

var _ graphql.Cache[string] = (*RedisCache)(nil)

// NewRedisCache returns a persisted-query store under key prefix, keeping
// each query ttl after its last registration.
func NewRedisCache(client *redis.Client, prefix string, ttl time.Duration) *RedisCache {
	return &RedisCache{client: client, prefix: prefix, ttl: ttl}
}

// Get returns the query registered under hash. A Redis failure reads as a
// miss: the client then sends the full query, which still works.
func (c *RedisCache) Get(ctx context.Context, hash string) (string, bool) {
	q, err := c.client.Get(ctx, c.prefix+hash).Result()
	if err != nil {
		return "", false
	}
	return q, true
}

// Add registers query under hash. Failures are ignored for the same reason.
func (c *RedisCache) Add(ctx context.Context, hash, query string) {
	c.client.Set(ctx, c.prefix+hash, query, c.ttl)
}

// PersistedQueries keeps automatic persisted queries in Store, registering
// a query only once it has passed validation and every limit: otherwise a
// client could fill the store with documents that are refused anyway.
// gqlgen's APQ extension would register before parsing, so it is given
// Lookup, which registers nothing, and PersistedQueries, an extension added
// after every extension that may refuse a request, registers what the APQ
// extension verified (its own per-operation stats: the hash matched the
// query sent with it).
//
// Allow, if set, rations registrations: a caller it refuses gets its
// operation run as usual, but the query is not stored (the next time the
// client sends the hash it is told PersistedQueryNotFound and sends the
// query again, as the protocol expects). It is what keeps one client from
// filling a shared store with distinct documents.
type PersistedQueries struct {
	Store graphql.Cache[string]
	Allow func(ctx context.Context) bool
}

var (
	_ graphql.HandlerExtension        = PersistedQueries{}
	_ graphql.OperationContextMutator = PersistedQueries{}
)

// Lookup is the cache for extension.AutomaticPersistedQuery.
func (p PersistedQueries) Lookup() graphql.Cache[string] { return lookupOnly{p.Store} }

// ExtensionName names the extension in gqlgen's stats.
func (PersistedQueries) ExtensionName() string { return "CommitPersistedQueries" }

// Validate accepts any schema.
func (PersistedQueries) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext registers the operation's query if it came with
// its hash: it got this far only if it validated and passed the limits.
func (p PersistedQueries) MutateOperationContext(ctx context.Context, opCtx *graphql.OperationContext) *gqlerror.Error {
	if s := extension.GetApqStats(ctx); s != nil && s.SentQuery && len(opCtx.RawQuery) <= MaxCachedDocument {
		if _, known := p.Store.Get(ctx, s.Hash); known {
			return nil // a client re-sending a registered query: nothing new
		}
		if p.Allow != nil && !p.Allow(ctx) {
			return nil
		}
		p.Store.Add(context.WithoutCancel(ctx), s.Hash, opCtx.RawQuery)
	}
	return nil
}

// lookupOnly finds persisted queries and leaves registering them to
// PersistedQueries.MutateOperationContext.
type lookupOnly struct{ store graphql.Cache[string] }

func (l lookupOnly) Get(ctx context.Context, hash string) (string, bool) {
	return l.store.Get(ctx, hash)
}

func (lookupOnly) Add(context.Context, string, string) {}
