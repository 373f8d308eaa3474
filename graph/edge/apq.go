package edge

import (
	"context"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/redis/go-redis/v9"
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
