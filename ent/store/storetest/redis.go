package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisURL is the Redis the tests use when TEST_REDIS_URL is unset.
// Like PostgreSQL, an unreachable Redis fails the tests: CI must not go
// green by skipping the shared-state half of the limits and persisted
// queries.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisURL is TEST_REDIS_URL, or DefaultRedisURL.
func RedisURL() string {
	if u := os.Getenv("TEST_REDIS_URL"); u != "" {
		return u
	}
	return DefaultRedisURL
}

// Redis returns a client of the test Redis, closed when the test ends; a
// Redis that cannot be reached fails the test.
func Redis(t testing.TB) *redis.Client {
	t.Helper()
	u := RedisURL()
	opt, err := redis.ParseURL(u)
	if err != nil {
		t.Fatalf("parse TEST_REDIS_URL %q: got error %v, want nil", u, err)
	}
	rdb := redis.NewClient(opt)
	t.Cleanup(func() { rdb.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := rdb.Ping(ctx).Err(); err != nil {
		t.Fatalf("Redis is required for the tests (TEST_REDIS_URL=%q): got error %v, want nil", u, err)
	}
	return rdb
}

// RedisPrefix returns a key prefix under scope that no other test or run
// uses; its keys are deleted when the test ends.
func RedisPrefix(t testing.TB, rdb *redis.Client, scope string) string {
	t.Helper()
	buf := make([]byte, 6)
	rand.Read(buf)
	prefix := "shopgraph:test:" + scope + ":" + hex.EncodeToString(buf) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, err := rdb.Keys(ctx, prefix+"*").Result(); err == nil && len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return prefix
}
