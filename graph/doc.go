// Package graph is shopgraph's GraphQL layer: the gqlgen execution code
// generated from schema.graphqls (generated.go), the resolvers
// (schema.resolvers.go: thin, about ten lines each, calling ent or a
// loader), and NewHandler, which wires transports, per-operation
// dataloaders and the one error presenter (errors.go).
package graph
