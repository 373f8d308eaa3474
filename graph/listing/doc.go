// Package listing says how each list in the API is filtered and sorted: the
// ent predicates for a filter input and the keyset.Order for an orderBy input.
// Top-level resolvers and the batched nested loaders share it, so a filter
// means the same thing wherever a list appears.
//
// It may import ent, ent/keyset, ent/store (for its predicates) and
// graph/model; it must not import graph, graph/loaders or a database
// driver, and it runs no query itself.
package listing
