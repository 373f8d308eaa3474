package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/lib/pq"
	_ "modernc.org/sqlite" // registers "sqlite"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/dbschema"
)

// Config says which database to open.
type Config struct {
	// DatabaseURL is a postgres:// URL; empty selects SQLite at SQLitePath.
	DatabaseURL string
	// SQLitePath is the SQLite file used when DatabaseURL is empty.
	SQLitePath string
	// MaxOpenConns caps the pool. gqlgen resolves list elements
	// concurrently, so an uncapped pool can exhaust PostgreSQL's clients.
	MaxOpenConns int
	// StatementCache is how many distinct read statements are kept
	// prepared (see preparedDriver); 0 turns preparing off, which a
	// connection pooler in transaction mode (PgBouncer before 1.21) needs.
	StatementCache int
	// BusyTimeout is how long a SQLite statement waits for another
	// writer's lock before failing as unavailable (default 10 s).
	BusyTimeout time.Duration
	// StatementTimeout, if positive, is PostgreSQL's statement_timeout on
	// every connection of the pool (not on the migrations' own pool, whose
	// index builds may rightly take long). lib/pq cancels a statement when
	// its request's context ends, but that cancel travels on a second
	// connection and can be lost (a pooler, a full server, a network
	// fault); the server-side timeout makes sure no statement outlives the
	// request that sent it anyway. A statement_timeout already in
	// DatabaseURL wins. It also bounds how long a connection of the pool
	// may wait on a silent server: past the timeout and a margin, a read
	// or write fails and the connection is dropped (silentDialer), so a
	// hanging database cannot hold the pool forever.
	StatementTimeout time.Duration
	// WrapDriver, if set, wraps the ent driver (tests count statements).
	WrapDriver func(dialect.Driver) dialect.Driver
}

// DefaultStatementCache is the server's default Config.StatementCache.
const DefaultStatementCache = 512

// Store is an open database with its ent client.
type Store struct {
	// Client is unrestricted (no row-level rules): for migrations, seeding
	// and tests. The API gets its own client from NewClient.
	Client  *ent.Client
	DB      *sql.DB
	Dialect string
	dsn     string
	drv     dialect.Driver
	hub     *Hub
	em      *emitter
}

// NewClient returns another ent client over the same pool, with no
// interceptors of its own yet and the hooks that keep product keys fresh,
// configured by opts (the API's own
// client gets ent.Currency).
func (s *Store) NewClient(opts ...ent.Option) *ent.Client {
	return newClient(s.em, append([]ent.Option{ent.Driver(s.drv)}, opts...)...)
}

// newClient is the one place clients are made: every client keeps the
// products' keys fresh (keepProductKeys) and sends change events (em).
func newClient(em *emitter, opts ...ent.Option) *ent.Client {
	c := ent.NewClient(opts...)
	keepProductKeys(c)
	em.install(c)
	return c
}

// Open connects to the database cfg names. It does not migrate.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.MaxOpenConns <= 0 {
		cfg.MaxOpenConns = 10
	}
	var (
		driverName, dialectName, dsn string
		err                          error
	)
	if cfg.DatabaseURL != "" {
		driverName, dialectName = "postgres", dialect.Postgres
		dsn, err = postgresDSN(cfg.DatabaseURL)
	} else {
		driverName, dialectName = "sqlite", dialect.SQLite
		dsn, err = sqliteDSN(cfg.SQLitePath, cfg.BusyTimeout)
	}
	if err != nil {
		return nil, err
	}
	var db *sql.DB
	if dialectName == dialect.Postgres && cfg.StatementTimeout > 0 {
		poolDSN, timeout := withStatementTimeout(dsn, cfg.StatementTimeout)
		connector, err := pq.NewConnector(poolDSN)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", dialectName, err)
		}
		if timeout > 0 {
			connector.Dialer(silentDialer{limit: timeout + silenceMargin})
		}
		db = sql.OpenDB(connector)
	} else if db, err = sql.Open(driverName, dsn); err != nil {
		return nil, fmt.Errorf("open %s: %w", dialectName, err)
	}
	db.SetMaxOpenConns(cfg.MaxOpenConns)
	db.SetMaxIdleConns(cfg.MaxOpenConns)
	db.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pingCtx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", dialectName, err)
	}
	// Always the wrapper: it also enforces LimitConcurrency; with a
	// StatementCache of 0 it prepares nothing.
	var drv dialect.Driver = newPreparedDriver(entsql.OpenDB(dialectName, db), db, cfg.StatementCache)
	if cfg.WrapDriver != nil {
		drv = cfg.WrapDriver(drv)
	}
	hub := NewHub()
	em := &emitter{dialect: dialectName, hub: hub}
	return &Store{
		Client:  newClient(em, ent.Driver(drv)),
		DB:      db,
		Dialect: dialectName,
		dsn:     dsn,
		drv:     drv,
		hub:     hub,
		em:      em,
	}, nil
}

// postgresDSN adds binary_parameters=yes unless set: lib/pq then sends a
// parameterised statement in one round trip instead of two.
func postgresDSN(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", fmt.Errorf("DATABASE_URL must be a postgres:// URL")
	}
	q := u.Query()
	if q.Get("binary_parameters") == "" {
		q.Set("binary_parameters", "yes")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// withStatementTimeout sets statement_timeout (in milliseconds) in dsn, a
// URL postgresDSN returned, unless it is already there, and returns the
// timeout in force (0 if the URL's own value is off or not plain
// milliseconds). lib/pq sends parameters it does not know itself as
// run-time parameters at connection start, so every connection of the
// pool begins with it.
func withStatementTimeout(dsn string, d time.Duration) (string, time.Duration) {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn, 0
	}
	q := u.Query()
	if v := q.Get("statement_timeout"); v != "" {
		ms, _ := strconv.ParseInt(v, 10, 64)
		return dsn, time.Duration(max(ms, 0)) * time.Millisecond
	}
	ms := max(d.Milliseconds(), 1)
	q.Set("statement_timeout", strconv.FormatInt(ms, 10))
	u.RawQuery = q.Encode()
	return u.String(), time.Duration(ms) * time.Millisecond
}

// sqliteDSN turns on what ent and concurrent use need: foreign keys, WAL so
// readers do not block the writer, a busy timeout instead of instant
// SQLITE_BUSY, and BEGIN IMMEDIATE so a transaction takes the write lock
// up front rather than failing when it upgrades.
func sqliteDSN(path string, busy time.Duration) (string, error) {
	if path == "" {
		return "", errors.New("no SQLite path given")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("create data folder: %w", err)
		}
	}
	if busy <= 0 {
		busy = 10 * time.Second
	}
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(" + strconv.FormatInt(busy.Milliseconds(), 10) + ")&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate", nil
}

// Migrate applies the versioned migrations for the store's dialect and
// returns the schema version it ends at.
func (s *Store) Migrate(ctx context.Context) (uint, error) {
	driverName := "sqlite"
	if s.Dialect == dialect.Postgres {
		driverName = "postgres"
	}
	// golang-migrate closes the pool it is given, so it gets its own.
	db, err := sql.Open(driverName, s.dsn)
	if err != nil {
		return 0, err
	}
	return dbschema.Apply(db, s.Dialect)
}

// Ping reports whether the database answers.
//
// It returns when ctx ends even if the ping has not: a database that hangs
// does not answer the cancel lib/pq sends either, and a readiness check
// that waits for it tells a load balancer nothing. The ping left behind
// ends when its connection gives up (Config.StatementTimeout).
func (s *Store) Ping(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- s.DB.PingContext(ctx) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close closes the client and its pool.
func (s *Store) Close() error { return s.Client.Close() }
