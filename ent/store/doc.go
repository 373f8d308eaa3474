// Package store opens shopgraph's database: PostgreSQL through lib/pq when a
// postgres:// URL is given, otherwise an embedded SQLite file (modernc, pure
// Go) so that a fresh checkout runs with no setup.
//
// It owns what every user of the database needs whatever it does with it:
//   - opening the pool and making ent clients (Open, Store.NewClient), and
//     applying the versioned migrations (Store.Migrate), reading where
//     they stand and reverting them (Store.MigrationStatus, MigrateDown);
//   - the products' denormalised sort keys (min_price, rating_avg,
//     in_stock): their definition (RefreshProductKeys) and the ent hooks,
//     installed on every client it makes, that refresh them whenever a
//     variant, a review or a stock movement is written (keys.go);
//   - the array key predicate of the loaders (InKeys, InKeysPredicate).
//
// The shop's writes (checkout, stock, catalog, reviews, accounts) live in
// ent/shop, which builds on this package. store imports ent, its generated
// packages and the database drivers only: never ent/shop, ent/seed or
// anything under graph/ or server/.
package store
