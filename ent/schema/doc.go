// Package schema holds shopgraph's hand-written ent schemas: every entity in
// one file (schema.go), read top to bottom as the data model, with the
// indexes and constraints that let the database enforce the rules the API
// promises (unique slugs and SKUs, non-negative stock, ratings in 1..5, one
// review per author and product). Everything else under ent/ is generated
// from it by `go generate ./ent`.
//
// It imports only ent's schema packages: it must not import the generated
// client, graph or anything that runs a query.
package schema
