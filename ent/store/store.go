// Package store opens shopgraph's database: PostgreSQL through lib/pq when a
// postgres:// URL is given, otherwise an embedded SQLite file (modernc, pure
// Go) so that a fresh checkout runs with no setup. It also applies the
// versioned migrations, keeps the products' denormalised sort keys, and
// holds the data layer's SQL that ent's builders cannot express: the
// checkout's stock reservation and its cancellation (PlaceOrder,
// RestockOrder), locks (LockCategories, LockAdmins), the writes that must
// refresh the sort keys (CreateVariant, UpdateVariant, AdjustStock,
// CreateReview, DeleteReview) and the array key predicate of the loaders
// (InKeys). These take the transaction or query they work in and pick the
// dialect's SQL themselves, so the GraphQL layer imports no driver and never
// branches on the database.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	_ "github.com/lib/pq"  // registers "postgres"
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
	// WrapDriver, if set, wraps the ent driver (tests count statements).
	WrapDriver func(dialect.Driver) dialect.Driver
}

// Store is an open database with its ent client.
type Store struct {
	// Client is unrestricted (no row-level rules): for migrations, seeding
	// and tests. The API gets its own client from NewClient.
	Client  *ent.Client
	DB      *sql.DB
	Dialect string
	dsn     string
	drv     dialect.Driver
}

// NewClient returns another ent client over the same pool, with no
// interceptors or hooks of its own yet, configured by opts (the API's own
// client gets ent.Currency).
func (s *Store) NewClient(opts ...ent.Option) *ent.Client {
	return ent.NewClient(append([]ent.Option{ent.Driver(s.drv)}, opts...)...)
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
		dsn, err = sqliteDSN(cfg.SQLitePath)
	}
	if err != nil {
		return nil, err
	}
	db, err := sql.Open(driverName, dsn)
	if err != nil {
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
	var drv dialect.Driver = entsql.OpenDB(dialectName, db)
	if cfg.WrapDriver != nil {
		drv = cfg.WrapDriver(drv)
	}
	return &Store{
		Client:  ent.NewClient(ent.Driver(drv)),
		DB:      db,
		Dialect: dialectName,
		dsn:     dsn,
		drv:     drv,
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

// sqliteDSN turns on what ent and concurrent use need: foreign keys, WAL so
// readers do not block the writer, a busy timeout instead of instant
// SQLITE_BUSY, and BEGIN IMMEDIATE so a transaction takes the write lock
// up front rather than failing when it upgrades.
func sqliteDSN(path string) (string, error) {
	if path == "" {
		return "", errors.New("no SQLite path given")
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", fmt.Errorf("create data folder: %w", err)
		}
	}
	return "file:" + path + "?_pragma=foreign_keys(1)&_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate", nil
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
func (s *Store) Ping(ctx context.Context) error { return s.DB.PingContext(ctx) }

// Close closes the client and its pool.
func (s *Store) Close() error { return s.Client.Close() }

// Execer runs a statement: an *ent.Client or an *ent.Tx.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// RefreshProductKeys recomputes the denormalised sort and filter keys
// (min_price, rating_avg, in_stock) of the given products, or of all products
// when ids is empty. Call it in the transaction that changed their variants
// or reviews. IDs are integers and are inlined in batches, which keeps any
// number of them under the databases' bind-parameter limits.
func RefreshProductKeys(ctx context.Context, db Execer, ids ...int) error {
	const update = `UPDATE products SET
  min_price = COALESCE((SELECT MIN(v.price) FROM variants v WHERE v.product_id = products.id), 0),
  rating_avg = COALESCE((SELECT AVG(r.rating) FROM reviews r WHERE r.product_id = products.id), 0),
  in_stock = EXISTS (SELECT 1 FROM variants v WHERE v.product_id = products.id AND v.stock > 0)`
	if len(ids) == 0 {
		if _, err := db.ExecContext(ctx, update); err != nil {
			return fmt.Errorf("refresh product keys: %w", err)
		}
		return nil
	}
	const batch = 5000
	for start := 0; start < len(ids); start += batch {
		end := min(start+batch, len(ids))
		list := make([]string, 0, end-start)
		for _, id := range ids[start:end] {
			list = append(list, fmt.Sprint(id))
		}
		if _, err := db.ExecContext(ctx, update+" WHERE id IN ("+strings.Join(list, ",")+")"); err != nil {
			return fmt.Errorf("refresh keys of %d products: %w", end-start, err)
		}
	}
	return nil
}
