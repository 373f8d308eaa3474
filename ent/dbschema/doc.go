// Package dbschema holds shopgraph's versioned schema migrations, one
// directory per dialect in golang-migrate format, generated from the ent
// schema by ./diff (Atlas computes the change; nothing is auto-migrated), and
// applies them with golang-migrate.
package dbschema
