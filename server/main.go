// Command server runs shopgraph: the GraphQL API of an online store.
//
//	server              serve the API (migrating, and in development seeding, first)
//	server migrate      apply the database migrations and exit
//	server seed         load the demo data into an empty database
//	server seed --scale N   generate N products (about 4N variants) for benchmarks
//
// Configuration comes from environment variables; see config.go.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"

	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/reqlog"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "shopgraph:", err)
		os.Exit(1)
	}
}

// run is the whole program, testable: it owns signals, the database and the
// HTTP server, and returns instead of exiting.
func run(ctx context.Context, args []string, getenv func(string) string, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)

	cmd := "serve"
	if len(args) > 1 {
		cmd, args = args[1], args[2:]
	} else {
		args = nil
	}

	st, err := store.Open(ctx, store.Config{
		DatabaseURL:  cfg.DatabaseURL,
		SQLitePath:   cfg.sqlitePath(),
		MaxOpenConns: cfg.DBMaxConns,
	})
	if err != nil {
		return err
	}
	defer st.Close()
	version, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	logger.Info("database ready", "dialect", st.Dialect, "schema_version", version)

	switch cmd {
	case "serve":
		return serve(ctx, cfg, st, logger)
	case "migrate":
		return nil
	case "seed":
		return runSeed(ctx, cfg, st, args, stdout)
	default:
		return fmt.Errorf("unknown command %q (want serve, migrate or seed)", cmd)
	}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func runSeed(ctx context.Context, cfg config, st *store.Store, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(stdout)
	scale := fs.Int("scale", 0, "generate this many products (about 4 variants each) instead of the demo data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.production() {
		return errors.New("seed: refused with APP_ENV=production (demo and benchmark data only)")
	}
	var (
		sum seed.Summary
		err error
	)
	if *scale > 0 {
		sum, err = seed.Scale(ctx, st, *scale, stdout)
	} else {
		sum, err = seed.Demo(ctx, st)
	}
	if err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	fmt.Fprintf(stdout, "seeded %d users, %d categories, %d products, %d variants, %d reviews, %d orders, %d order lines\n",
		sum.Users, sum.Categories, sum.Products, sum.Variants, sum.Reviews, sum.Orders, sum.OrderLines)
	return nil
}

func serve(ctx context.Context, cfg config, st *store.Store, logger *slog.Logger) error {
	if cfg.AutoSeed && !cfg.production() {
		empty, err := seed.Empty(ctx, st)
		if err != nil {
			return err
		}
		if empty {
			sum, err := seed.Demo(ctx, st)
			if err != nil {
				return fmt.Errorf("seed demo data: %w", err)
			}
			logger.Info("seeded demo data into the empty database", "products", sum.Products, "users", sum.Users, "orders", sum.Orders)
		}
	}

	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           routes(cfg, st, logger),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	logger.Info("serving", "addr", ln.Addr().String(), "env", cfg.Env, "graphql", "/graphql")

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// routes wires the HTTP surface: GraphQL, the playground and the probes.
func routes(cfg config, st *store.Store, logger *slog.Logger) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/graphql", graph.NewHandler(st.Client, logger, graph.Options{
		Currency:      cfg.Currency,
		Loaders:       loaders.Config{Wait: cfg.LoaderWait},
		Introspection: !cfg.production(),
	}))
	if !cfg.production() {
		mux.Handle("GET /{$}", playground.Handler("shopgraph", "/graphql"))
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "ok\n")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := st.Ping(ctx); err != nil {
			logger.WarnContext(ctx, "readiness check failed", "request_id", reqlog.ID(r.Context()), "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, "database unreachable\n")
			return
		}
		io.WriteString(w, "ok\n")
	})
	return reqlog.Middleware(logger)(mux)
}
