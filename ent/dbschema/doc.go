// Package dbschema holds shopgraph's versioned schema migrations, one
// directory per dialect in golang-migrate format, generated from the ent
// schema by ./diff (Atlas computes the change; nothing is auto-migrated), and
// applies them with golang-migrate.
//
// It must not import the generated ent client or anything under graph: it
// works on a *sql.DB, so the server can migrate before it builds a client.
package dbschema
