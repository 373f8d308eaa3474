// Package storetest gives tests a fresh, migrated database of either dialect
// and a driver that counts the statements sent to it.
//
// PostgreSQL tests create a uniquely named database on the server named by
// TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
// and drop it afterwards. A PostgreSQL that cannot be reached fails the test:
// CI must not go green by skipping half of the suite.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent/store"
)

// Dialects lists the databases every store test runs against.
var Dialects = []string{dialect.Postgres, dialect.SQLite}

// DefaultAdminURL is used when TEST_DATABASE_URL is unset.
const DefaultAdminURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// Open returns a migrated, empty store of the given dialect, closed and
// dropped when the test ends. wrap may be nil.
func Open(t testing.TB, dialectName string, wrap func(dialect.Driver) dialect.Driver) *store.Store {
	t.Helper()
	ctx := context.Background()
	cfg := store.Config{WrapDriver: wrap, MaxOpenConns: 10}
	switch dialectName {
	case dialect.Postgres:
		cfg.DatabaseURL = CreateDatabase(t)
	case dialect.SQLite:
		cfg.SQLitePath = filepath.Join(t.TempDir(), "shopgraph.db")
	default:
		t.Fatalf("unknown dialect %q", dialectName)
	}
	s, err := store.Open(ctx, cfg)
	if err != nil {
		t.Fatalf("open %s store: %v", dialectName, err)
	}
	t.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate %s store: %v", dialectName, err)
	}
	return s
}

// CreateDatabase creates a uniquely named PostgreSQL database, dropped when
// the test ends, and returns its URL.
func CreateDatabase(t testing.TB) string {
	t.Helper()
	adminURL := os.Getenv("TEST_DATABASE_URL")
	if adminURL == "" {
		adminURL = DefaultAdminURL
	}
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		t.Fatalf("open admin database: %v", err)
	}
	buf := make([]byte, 6)
	rand.Read(buf)
	name := "shopgraph_test_" + hex.EncodeToString(buf)
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		admin.Close()
		t.Fatalf("PostgreSQL is required for the tests (TEST_DATABASE_URL=%q): %v", adminURL, err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop test database %s: %v", name, err)
		}
		admin.Close()
	})
	u, err := url.Parse(adminURL)
	if err != nil {
		t.Fatalf("parse TEST_DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

// Counter is an ent driver that counts (and keeps) the statements sent
// through it, so tests can prove a request's cost does not grow with rows.
type Counter struct {
	dialect.Driver
	// Tag, when set, names the request a statement belongs to, read from
	// the statement's context, so that a test can count one request's
	// statements while others run (CountTag).
	Tag func(context.Context) string

	mu    sync.Mutex
	stmts []Statement
}

// Statement is one recorded query or exec.
type Statement struct {
	Query string
	Args  []any
	Tag   string
}

// NewCounter wraps drv.
func NewCounter(drv dialect.Driver) *Counter { return &Counter{Driver: drv} }

// Wrap is a store.Config.WrapDriver that installs c.
func (c *Counter) Wrap(drv dialect.Driver) dialect.Driver {
	c.Driver = drv
	return c
}

// Query records and runs a query.
func (c *Counter) Query(ctx context.Context, query string, args, v any) error {
	c.record(ctx, query, args)
	return c.Driver.Query(ctx, query, args, v)
}

// Exec records and runs a statement.
func (c *Counter) Exec(ctx context.Context, query string, args, v any) error {
	c.record(ctx, query, args)
	return c.Driver.Exec(ctx, query, args, v)
}

// ExecContext records and runs a raw statement (ent's execquery feature).
func (c *Counter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.record(ctx, query, args)
	ex, ok := c.Driver.(interface {
		ExecContext(context.Context, string, ...any) (sql.Result, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot ExecContext", c.Driver)
	}
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext records and runs a raw query (ent's execquery feature).
func (c *Counter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.record(ctx, query, args)
	q, ok := c.Driver.(interface {
		QueryContext(context.Context, string, ...any) (*sql.Rows, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot QueryContext", c.Driver)
	}
	return q.QueryContext(ctx, query, args...)
}

func (c *Counter) record(ctx context.Context, query string, args any) {
	a, _ := args.([]any)
	var tag string
	if c.Tag != nil {
		tag = c.Tag(ctx)
	}
	c.mu.Lock()
	c.stmts = append(c.stmts, Statement{Query: query, Args: a, Tag: tag})
	c.mu.Unlock()
}

// Reset forgets what was recorded.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.stmts = nil
	c.mu.Unlock()
}

// Statements returns what was recorded since the last Reset.
func (c *Counter) Statements() []Statement {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Statement(nil), c.stmts...)
}

// Count returns how many statements were recorded since the last Reset.
func (c *Counter) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}

// Tagged returns the statements recorded with tag since the last Reset.
func (c *Counter) Tagged(tag string) []Statement {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Statement
	for _, s := range c.stmts {
		if s.Tag == tag {
			out = append(out, s)
		}
	}
	return out
}

// String lists the recorded statements, for failure messages.
func (c *Counter) String() string {
	var out string
	for i, s := range c.Statements() {
		out += fmt.Sprintf("%d: %s %v\n", i+1, s.Query, s.Args)
	}
	return out
}
