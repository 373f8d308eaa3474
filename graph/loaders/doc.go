// Package loaders holds shopgraph's per-request dataloaders, which collapse
// the N+1 queries of a GraphQL response into one statement per edge and
// nesting level.
//
// A Loaders value is created for every operation (New, With) and reached
// through the context by lookups that return an error, never panic, when it
// is missing. Its caches therefore live exactly as long as one operation and
// are never shared between requests or viewers.
//
// Contract of every batch function: one result per key, in key order. A
// missing row is a nil result (lookups are nullable: the caller decides
// whether that is NOT_FOUND); a one-to-many edge without rows is an empty,
// non-nil slice; a failed statement is the error of every key in the batch.
//
// Key sets travel to the database as a single array parameter (store.InKeys:
// = ANY($1) on PostgreSQL, json_each(?) on SQLite), so no batch can exceed a bind-parameter
// limit (65535 on PostgreSQL, 32766 on SQLite) however many keys it holds;
// batches are still capped (Config.MaxBatch) to bound the memory of one.
//
// It may import ent, ent/store, ent/keyset, graph/listing, graph/model and
// graph/rowrules; it must not import graph (the resolvers call it, not the
// other way round) or a database driver.
package loaders
