package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/99designs/gqlgen/graphql/playground"
	"github.com/redis/go-redis/v9"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/gqlhttp"
	"github.com/shopgraph/shopgraph/graph/limits"
	"github.com/shopgraph/shopgraph/graph/reqlog"
)

func main() {
	if err := run(context.Background(), os.Args, os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "shopgraph:", err)
		var usage *usageError
		if errors.As(err, &usage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

// run is the whole program, testable: it owns signals, the database and the
// HTTP server, and returns instead of exiting. Help and output go to
// stdout, like the log; a refused command line prints its usage on stderr.
// stdin is read by user create only.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	// Everything a command line can refuse is checked before the
	// configuration is read or the database opened: help and a refusal
	// have no side effects.
	if len(args) > 0 {
		args = args[1:]
	}
	inv, err := parseArgs(args)
	if err != nil {
		var usage *usageError
		if errors.As(err, &usage) {
			fmt.Fprint(stderr, usage.usage, "\n")
		}
		return err
	}
	switch inv.cmd {
	case "help":
		_, err := io.WriteString(stdout, inv.text)
		return err
	case "version":
		_, err := io.WriteString(stdout, versionText(debug.ReadBuildInfo()))
		return err
	}

	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	logger := newLogger(cfg, stdout)

	var password string
	switch inv.cmd {
	case "seed":
		if cfg.production() {
			return errors.New("seed: refused with APP_ENV=production (demo and benchmark data only)")
		}
	case "user create":
		if password, err = readPassword(inv.user, getenv, stdin, stderr); err != nil {
			return err
		}
		if err := checkNewUser(inv.user, password); err != nil {
			return err
		}
	}

	storeCfg := store.Config{
		DatabaseURL:    cfg.DatabaseURL,
		SQLitePath:     cfg.sqlitePath(),
		MaxOpenConns:   cfg.DBMaxConns,
		StatementCache: cfg.DBStatementCache,
	}
	if inv.cmd == "serve" {
		// Only requests have a deadline; a large seed may run for minutes.
		storeCfg.StatementTimeout = cfg.DBStatementTimeout
	}
	st, err := store.Open(ctx, storeCfg)
	if err != nil {
		return err
	}
	defer st.Close()
	if cfg.production() && cfg.DatabaseURL == "" {
		warnDataDir(logger, cfg.DataDir, mountinfoPath)
	}

	switch inv.cmd {
	case "migrate status":
		return migrateStatus(ctx, st, stdout)
	case "migrate down":
		return migrateDown(ctx, st, inv.steps, stdout)
	}
	version, err := st.Migrate(ctx)
	if err != nil {
		return err
	}
	logger.Info("database ready", "dialect", st.Dialect, "schema_version", version)

	switch inv.cmd {
	case "serve":
		return serve(ctx, stop, cfg, st, logger)
	case "seed":
		return runSeed(ctx, st, inv.scale, stdout)
	case "user create":
		u, err := createUser(ctx, st, inv.user, password)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created %s %s (%s)\n", u.Role, u.Email, u.Name)
		return nil
	default: // migrate
		return nil
	}
}

func newLogger(cfg config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func runSeed(ctx context.Context, st *store.Store, scale int, stdout io.Writer) error {
	var (
		sum seed.Summary
		err error
	)
	if scale > 0 {
		sum, err = seed.Scale(ctx, st, scale, stdout)
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

// serve runs the HTTP server until ctx ends, then drains in-flight requests.
// stop restores default signal handling once draining starts, so a second
// SIGINT/SIGTERM ends the process at once.
func serve(ctx context.Context, stop func(), cfg config, st *store.Store, logger *slog.Logger) error {
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

	rdb, err := openRedis(ctx, cfg, logger)
	if err != nil {
		return err
	}
	if rdb != nil {
		defer rdb.Close()
	}
	// Change events reach this process's subscribers through one LISTEN
	// connection (PostgreSQL); it stops with the server.
	listenCtx, stopListening := context.WithCancel(context.WithoutCancel(ctx))
	listened := make(chan error, 1)
	go func() { listened <- st.Listen(listenCtx, logger, nil) }()
	defer func() {
		stopListening()
		<-listened
	}()
	handler, api, err := routes(cfg, st, rdb, logger)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           handler,
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		// Backstop for every route; the GraphQL endpoint answers a slow
		// body itself (408) at ReadTimeout after its headers.
		ReadTimeout:  cfg.ReadHeaderTimeout + cfg.ReadTimeout + time.Second,
		WriteTimeout: cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:  120 * time.Second,
		ErrorLog:     slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
		BaseContext:  func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
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
	stop()
	logger.Info("shutting down: draining in-flight requests", "timeout", cfg.ShutdownTimeout)
	shutdownCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	// Sockets and SSE streams first (1012, service restart; a stream ends
	// without complete): the server's Shutdown does not see hijacked
	// connections and would wait for streams until its deadline, and a
	// client told to reconnect finds another instance while this one
	// drains.
	if err := api.Shutdown(shutdownCtx); err != nil {
		logger.Warn("shutdown: WebSocket operations or SSE streams still running at the drain deadline", "err", err)
	}
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Drain deadline passed: cut the remaining connections before the
		// deferred close of the database pool.
		srv.Close()
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// routes wires the HTTP surface: GraphQL, the playground and the probes.
// rdb, if not nil, holds shared rate-limit buckets and persisted queries.
func routes(cfg config, st *store.Store, rdb *redis.Client, logger *slog.Logger) (http.Handler, *graph.Handler, error) {
	api := st.NewClient(ent.Currency(cfg.Currency)) // the API's own client: row-level rules are installed on it
	key := cfg.JWTSecret
	if len(key) == 0 {
		key = make([]byte, 32)
		rand.Read(key)
		logger.Warn("JWT_SECRET is not set: signing tokens with a random key for this process; they stop working at restart")
	}
	tokens, err := auth.NewTokens(key, cfg.TokenTTL, api, logger)
	if err != nil {
		return nil, nil, err
	}
	opts := graph.Options{
		Introspection:           !cfg.production(),
		Production:              cfg.production(),
		MaxTokens:               cfg.MaxTokens,
		MaxBodyBytes:            cfg.MaxBodyBytes,
		Timeout:                 cfg.RequestTimeout,
		ReadTimeout:             cfg.ReadTimeout,
		CORSOrigins:             cfg.CORSOrigins,
		MaxInFlight:             cfg.MaxInFlight,
		MaxSubscriptionsPerUser: cfg.MaxSubscriptionsPerUser,
		MaxConnectionsPerClient: cfg.MaxConnectionsPerClient,
		MaxConnsPerRequest:      cfg.DBConnsPerRequest,
		TrustedProxies:          cfg.TrustedProxies,
		Events:                  st.Events(),
	}
	// One rate-limit policy: the buckets live in this process, or in Redis
	// when instances must share them (with the persisted queries).
	buckets := limits.InMemory
	if rdb != nil {
		buckets = limits.InRedis(rdb)
		opts.PersistedQueries = gqlhttp.NewRedisCache(rdb, "shopgraph:apq:", 24*time.Hour)
	}
	opts.Limits = cfg.limitPolicy().Config(buckets, limits.Keys{Identity: graph.ByIdentity, ClientIP: graph.ByClientIP})
	mux := http.NewServeMux()
	gql := graph.NewHandler(api, tokens, logger, opts)
	mux.Handle("/graphql", gql)
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
	return reqlog.Middleware(logger)(mux), gql, nil
}
