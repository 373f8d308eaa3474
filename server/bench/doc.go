// Command bench is shopgraph's load benchmark: one command builds the
// server, gives it a seeded PostgreSQL of its own, drives it with vegeta
// and prints what each request costs.
//
//	go run ./server/bench                                  # everything, 20s per run
//	go run ./server/bench -duration 5s -scenarios nested,lookup -conns 16 -rate 0
//	git worktree add /tmp/shopgraph-before <commit>
//	go run ./server/bench -src /tmp/shopgraph-before       # measure an older commit
//
// Steps, in order:
//
//  1. Build the server from -src (default: the module root above the current
//     folder) with the Dockerfile's own "RUN CGO_ENABLED=0 ... go build" line,
//     /out/ swapped for a work folder, so the binary measured is the one that
//     ships.
//  2. Start a private PostgreSQL 15 cluster (-pg-bin; as the postgres user
//     when run as root, since initdb refuses root) on a free loopback port,
//     with pg_stat_statements preloaded (track=all, utility statements too).
//     The cluster is cached in -cache-dir under a key made of -scale and a
//     hash of ent/dbschema/postgres and ent/seed of the source tree, so an
//     older checkout never migrates or reuses a newer one's data. It is
//     seeded once with "<server> seed --scale N" (APP_ENV=development, which
//     seeding requires) and vacuumed; -rebuild recreates it. The cluster
//     runs with fsync off: the data is disposable and the scenarios only
//     read.
//  3. For every run start a fresh server process in production mode
//     (APP_ENV=production, a random JWT_SECRET, DB_MAX_CONNS=10, cost and
//     rate limits raised so nothing is throttled, nothing inherited from the
//     caller's environment) and wait for /readyz. A first server signs in as
//     the seeded staff account (staff@shopgraph.dev) for the staff scenario,
//     picks the lookup scenario's slug and records each scenario's reference
//     response.
//  4. Warm up (-warmup, same load), send -calibrate sequential requests
//     counting each one's statements, then measure for -duration.
//
// Scenarios (-scenarios, by name or letter):
//
//	a nested     products(first: 50) with category, variants, reviews(first: 3) and their authors
//	b lookup     product(slug:) with id, title and priceRange.min
//	c nested100  the nested query with first: 100
//	d orders     orders(first: 50) with customer, lines, variant, product and total, as staff
//
// Each scenario runs as a closed loop for every -conns value (n vegeta
// workers, each sending its next request when the last is answered: vegeta
// with a zero rate and Workers = MaxWorkers = n), and as an open loop at
// -rate requests per second (vegeta starts workers as needed, up to 256).
//
// The plain handler (-plain) is the floor: the same binary started as a
// child process with the hidden first argument "plain-handler", a plain
// net/http handler using database/sql over lib/pq (binary_parameters=yes
// and the pool settings of ent/store) and encoding/json. For the nested
// scenarios it runs the same five statements as the server's loaders, with
// the same SQL text, and writes the same JSON. Before it is measured, its
// "data" is compared byte for byte with the server's (the server also sends
// an "extensions" member with the query's cost); a difference is printed as
// MISMATCH, recorded in the JSON and makes the command fail.
//
// Figures, per run:
//
//   - req/s: responses received / time from the first request sent to the
//     last response received.
//   - p50, p90, p99: client-side latency (vegeta's t-digest quantiles).
//   - errors: transport errors and non-200 responses, responses with a
//     GraphQL "errors" entry or null data, and 200 responses whose bytes
//     differ from the scenario's reference (the scenarios are deterministic
//     reads, so each response is checked exactly, at memcmp cost). The JSON
//     splits them and keeps samples.
//   - server CPU ms/req: utime+stime of the server process (all threads) from
//     /proc/<pid>/stat over the run, clock ticks converted with AT_CLKTCK from
//     the auxiliary vector (what sysconf(_SC_CLK_TCK) reads), divided by the
//     responses. The resolution is one tick (10 ms) per run.
//   - PG CPU ms/req: the same for the cluster's backends of the server's role
//     and database (told apart by their process titles among the children of
//     the postmaster), read before and after the run; a backend that exits
//     in between is still counted, through the growth of the postmaster's
//     reaped-children time. The pool stays warm (10 idle connections), so
//     backends normally persist. The benchmark's own queries run as another
//     role in another database and are left out; the background processes'
//     CPU is in the JSON as pg_other_cpu_ms_total.
//   - peak RSS MB: VmHWM of the server process, reset by writing 5 to
//     /proc/<pid>/clear_refs after the warm-up.
//   - statements/req: the growth of pg_stat_statements calls of the server's
//     role and database over the run (reset just before it) / responses; in
//     parentheses the minimum and maximum over the sequential calibration
//     requests, each counted alone, which shows whether requests differ
//     (loader batches can split under load, which raises the mean only).
//
// The table footer and the JSON (-out, default in the cache folder, never in
// the repository) also hold /proc/loadavg at the start and end of every run:
// the benchmark, the server and PostgreSQL share the machine, and so does
// anything else running, which inflates CPU per request and latency.
// Requests are sent with Accept-Encoding: identity unless -gzip is given, in
// which case the server compresses (the plain handler never does).
//
// Abuse (-abusers N, with -rate): after the scenarios, one more server runs
// with its production defaults for every limit (nothing raised) and
// TRUSTED_PROXIES=127.0.0.1/32, so clients are told apart by the
// X-Forwarded-For the benchmark sends, as behind a load balancer. Normal
// users (the lookup scenario as an open loop at -rate, spread over 5,000
// addresses) are measured alone, then again while N abusive clients (one
// address and one connection each, back to back) cycle through issue 10's
// abusive requests: 499 conflicting fields, 4,900 unknown directives, 50
// aliased full-text counts, a 900 KB string literal, 50 aliased signUps and
// new persisted-query registrations. It prints the normal users' latency
// (p50, p95, p99) and peak RSS both ways, what each kind of abusive request
// got (statuses, largest response, slowest answer), an estimate of server
// CPU per abusive request (the abused run's CPU less the normal requests'
// cost measured alone) and the RSS 5 s after the flood.
//
// Subscriptions (-subscribers N): N anonymous WebSocket clients
// (graphql-transport-ws) subscribe to inventoryChanged of one product on a
// fresh server, then the staff account changes one of its variants' stock
// ten times over HTTP. It prints the server's RSS per idle subscription,
// the time from sending each mutation to each subscriber's event (p50,
// p99, max; it includes the mutation, whose own p50 is beside it), missed
// events, and SQL statements per event (pg_stat_statements calls over the
// rounds less the mutation's own, per round).
//
// It must not import the server's packages (graph, ent): it drives the
// built binary over HTTP like any client, and its plain handler is the
// floor the server is compared with, not a part of it.
package main
