// Package model holds the GraphQL types that ent does not own: the models
// gqlgen generates (models_gen.go) and the hand-written connection types,
// whose totalCount is computed only when a client asks for it.
package model
