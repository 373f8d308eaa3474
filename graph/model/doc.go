// Package model holds the GraphQL types that ent does not own: the models
// gqlgen generates (models_gen.go) and the hand-written connection types,
// whose totalCount is computed only when a client asks for it.
//
// It may import ent's types only; it must not import graph, graph/loaders or
// anything that runs a query: a connection's count arrives as a function.
package model
