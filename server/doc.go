// Command server runs shopgraph: the GraphQL API of an online store.
//
//	server              serve the API (migrating, and in development seeding, first)
//	server migrate      apply the database migrations and exit
//	server seed         load the demo data into an empty database
//	server seed --scale N   generate N products (about 4N variants) for benchmarks
//
// It is the composition root, and owns what only a process has: the
// environment, read once into a config by the table of settings in
// config.go (the README's configuration table is checked against it by
// TestREADMEConfigTable); signals and graceful shutdown; the database
// pool, migrations and seeding at start; the Redis connection; the
// rate-limit policy's buckets (in memory, or in Redis); and the HTTP
// server with the GraphQL handler, the playground and the probes.
//
// Nothing imports it, and being a main package nothing can: the packages
// below it take their settings as arguments (graph.Options, limits.Policy,
// store.Config), never from the environment. run(ctx, args, getenv,
// stdout) is the whole program, so the tests drive it as the binary is
// driven.
package main
