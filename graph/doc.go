// Package graph is shopgraph's GraphQL layer: the gqlgen execution code
// generated from schema.graphqls (generated.go), the resolvers
// (schema.resolvers.go: thin, about ten lines each, calling ent or a
// loader), and NewHandler, which wires transports, per-operation
// dataloaders and the one error presenter (errors.go).
//
// Dependencies flow one way: server imports graph, graph imports its
// subpackages (graph/*) and ent; no package under graph/ imports graph, and
// nothing under graph/ imports a database driver, database/sql, or holds SQL
// text: statements and dialect differences are the data layer's (ent/store,
// ent/keyset, ent/shop).
package graph
