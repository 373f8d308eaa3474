package gqlhttp

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
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

// Persisted wraps a persisted-query store so that a query is registered
// only once it has passed validation and every limit: otherwise a client
// could fill the store with documents that are refused anyway. gqlgen's APQ
// extension registers before parsing; Persisted defers that registration
// until CommitPersisted, which runs after validation and the limits.
type Persisted struct{ Store graphql.Cache[string] }

var _ graphql.Cache[string] = Persisted{}

// Get looks a hash up in the store.
func (p Persisted) Get(ctx context.Context, hash string) (string, bool) {
	return p.Store.Get(ctx, hash)
}

// Add defers the registration to CommitPersisted.
func (p Persisted) Add(ctx context.Context, hash, query string) {
	s := StateFrom(ctx)
	if s == nil {
		return // outside Middleware nothing is registered unchecked
	}
	s.mu.Lock()
	s.persist = append(s.persist, func() { p.Store.Add(context.WithoutCancel(ctx), hash, query) })
	s.mu.Unlock()
}

// CommitPersisted is the extension that carries out deferred
// registrations; add it after every extension that may refuse a request.
type CommitPersisted struct{}

var (
	_ graphql.HandlerExtension        = CommitPersisted{}
	_ graphql.OperationContextMutator = CommitPersisted{}
)

// ExtensionName names the extension in gqlgen's stats.
func (CommitPersisted) ExtensionName() string { return "CommitPersistedQueries" }

// Validate accepts any schema.
func (CommitPersisted) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationContext registers the request's persisted query, which got
// this far only if it validated and passed the limits.
func (CommitPersisted) MutateOperationContext(ctx context.Context, _ *graphql.OperationContext) *gqlerror.Error {
	s := StateFrom(ctx)
	if s == nil {
		return nil
	}
	s.mu.Lock()
	pending := s.persist
	s.persist = nil
	s.mu.Unlock()
	for _, add := range pending {
		add()
	}
	return nil
}
