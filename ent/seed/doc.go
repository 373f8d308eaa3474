// Package seed fills an empty shopgraph database with generated data.
//
// Demo loads a small, browsable store (about sixty products in six
// departments, a handful of customers with reviews and orders, and one
// account per role) so that a fresh checkout has something to show; the
// server calls it on first start when Empty reports an empty database.
// Scale loads a large catalogue (a million variants for 250,000 products)
// for benchmarks and for proving that pages stay index scans at size.
//
// Both are deterministic: a fixed random seed, a fixed base time and a fixed
// insertion order give identical rows, identifiers included, in every empty
// database of either dialect, so a benchmark or a screenshot can name a
// product by id. Both therefore refuse a database that already has products
// or users.
package seed
