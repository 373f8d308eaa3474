package gqlhttp

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// MaxCachedDocument is the largest query document (in bytes) any cache
// keeps: the parsed-query cache, the precheck's and the persisted queries,
// in process or in Redis. gqlgen's LRU caches count entries, not bytes, so
// 1,000 entries of 900 KB string literals held 1.8 GB; with this bound the
// parsed-query cache holds at most 1,000 × 16 KiB of source (and the trees
// parsed from it). Real operations are a few KiB; a larger one still runs,
// it is just parsed again each time, and is not kept as a persisted query.
const MaxCachedDocument = 16 << 10

// Bounded wraps a cache so that it never stores a document larger than
// MaxCachedDocument; size says how large an entry is (the query is the key
// of the parsed-query cache and the value of the persisted ones).
func Bounded[T any](c graphql.Cache[T], size func(key string, value T) int) graphql.Cache[T] {
	return bounded[T]{c, size}
}

// ByKey sizes an entry by its key.
func ByKey[T any](key string, _ T) int { return len(key) }

// ByValue sizes a string entry by its value.
func ByValue(_ string, value string) int { return len(value) }

type bounded[T any] struct {
	graphql.Cache[T]
	size func(string, T) int
}

func (b bounded[T]) Add(ctx context.Context, key string, value T) {
	if b.size(key, value) <= MaxCachedDocument {
		b.Cache.Add(ctx, key, value)
	}
}
