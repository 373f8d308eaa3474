// Command server runs shopgraph: the GraphQL API of an online store.
//
//	server [serve]                serve the API (migrating, and in development seeding, first)
//	server migrate [up]           apply the database migrations and exit
//	server migrate status         print the schema version and whether it is up to date
//	server migrate down N         revert the newest N migrations
//	server seed [--scale N]       load the demo data (or N generated products) into an empty database
//	server user create --email ADDRESS --role ROLE   create an account; the password on stdin
//	server version                print the module version, VCS revision and Go version
//	server help [COMMAND]         print the commands, or one's help (also COMMAND -h)
//
// The command line is parsed first (cli.go: the command table), so help
// and a refused command line read no configuration and open nothing.
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
// stdin, stdout, stderr) is the whole program, so the tests drive it as
// the binary is driven.
package main
