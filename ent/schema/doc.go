// Package schema holds shopgraph's hand-written ent schemas: one file per
// entity, with the indexes and constraints that let the database enforce the
// rules the API promises (unique slugs and SKUs, non-negative stock, ratings in
// 1..5, one review per author and product). Everything else under ent/ is
// generated from these files by `go generate ./ent`.
package schema
