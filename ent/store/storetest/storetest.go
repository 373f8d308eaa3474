package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

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
	cfg := store.Config{WrapDriver: wrap, MaxOpenConns: 10, StatementCache: store.DefaultStatementCache}
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

// AdminURL is the PostgreSQL server tests create their databases on
// (TEST_DATABASE_URL, else DefaultAdminURL).
func AdminURL() string {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultAdminURL
}

// CreateDatabase creates a uniquely named PostgreSQL database, dropped when
// the test ends, and returns its URL.
func CreateDatabase(t testing.TB) string {
	t.Helper()
	adminURL := AdminURL()
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
// through it, and through every transaction begun on it, so tests can prove
// a request's cost does not grow with rows, mutations' included: ent runs a
// mutation's statements on the dialect.Tx that Tx returns, which a wrapper
// of the driver alone would never see.
type Counter struct {
	dialect.Driver
	// Tag, when set, names the request a statement belongs to, read from
	// the statement's context, so that a test can count one request's
	// statements while others run (Tagged).
	Tag func(context.Context) string

	mu      sync.Mutex
	stmts   []Statement
	txs     int
	changed chan struct{} // closed and replaced at every statement
}

// Statement is one recorded query or exec.
type Statement struct {
	Query string
	Args  []any
	Tag   string
	InTx  bool // sent inside a transaction
}

// NewCounter wraps drv.
func NewCounter(drv dialect.Driver) *Counter { return &Counter{Driver: drv} }

// Wrap is a store.Config.WrapDriver that installs c.
func (c *Counter) Wrap(drv dialect.Driver) dialect.Driver {
	c.Driver = drv
	return c
}

// execQuerier is the raw-statement side of ent's drivers and transactions
// (ent's execquery feature).
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Query records and runs a query.
func (c *Counter) Query(ctx context.Context, query string, args, v any) error {
	c.record(ctx, query, args, false)
	return c.Driver.Query(ctx, query, args, v)
}

// Exec records and runs a statement.
func (c *Counter) Exec(ctx context.Context, query string, args, v any) error {
	c.record(ctx, query, args, false)
	return c.Driver.Exec(ctx, query, args, v)
}

// ExecContext records and runs a raw statement.
func (c *Counter) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	c.record(ctx, query, args, false)
	ex, ok := c.Driver.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("driver %T cannot ExecContext", c.Driver)
	}
	return ex.ExecContext(ctx, query, args...)
}

// QueryContext records and runs a raw query.
func (c *Counter) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	c.record(ctx, query, args, false)
	q, ok := c.Driver.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("driver %T cannot QueryContext", c.Driver)
	}
	return q.QueryContext(ctx, query, args...)
}

// Tx begins a transaction whose statements are recorded too.
func (c *Counter) Tx(ctx context.Context) (dialect.Tx, error) {
	tx, err := c.Driver.Tx(ctx)
	if err != nil {
		return nil, err
	}
	c.began()
	return &countedTx{Tx: tx, c: c}, nil
}

// BeginTx begins a transaction with options (ent's Client.BeginTx) whose
// statements are recorded too.
func (c *Counter) BeginTx(ctx context.Context, opts *sql.TxOptions) (dialect.Tx, error) {
	b, ok := c.Driver.(interface {
		BeginTx(context.Context, *sql.TxOptions) (dialect.Tx, error)
	})
	if !ok {
		return nil, fmt.Errorf("driver %T cannot BeginTx", c.Driver)
	}
	tx, err := b.BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.began()
	return &countedTx{Tx: tx, c: c}, nil
}

// countedTx records the statements of one transaction into its Counter.
type countedTx struct {
	dialect.Tx
	c *Counter
}

func (tx *countedTx) Query(ctx context.Context, query string, args, v any) error {
	tx.c.record(ctx, query, args, true)
	return tx.Tx.Query(ctx, query, args, v)
}

func (tx *countedTx) Exec(ctx context.Context, query string, args, v any) error {
	tx.c.record(ctx, query, args, true)
	return tx.Tx.Exec(ctx, query, args, v)
}

func (tx *countedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	tx.c.record(ctx, query, args, true)
	ex, ok := tx.Tx.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("transaction %T cannot ExecContext", tx.Tx)
	}
	return ex.ExecContext(ctx, query, args...)
}

func (tx *countedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	tx.c.record(ctx, query, args, true)
	q, ok := tx.Tx.(execQuerier)
	if !ok {
		return nil, fmt.Errorf("transaction %T cannot QueryContext", tx.Tx)
	}
	return q.QueryContext(ctx, query, args...)
}

func (c *Counter) began() {
	c.mu.Lock()
	c.txs++
	c.mu.Unlock()
}

func (c *Counter) record(ctx context.Context, query string, args any, inTx bool) {
	a, _ := args.([]any)
	var tag string
	if c.Tag != nil {
		tag = c.Tag(ctx)
	}
	c.mu.Lock()
	c.stmts = append(c.stmts, Statement{Query: query, Args: a, Tag: tag, InTx: inTx})
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
	c.mu.Unlock()
}

// Reset forgets what was recorded.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.stmts = nil
	c.txs = 0
	c.mu.Unlock()
}

// Statements returns what was recorded since the last Reset.
func (c *Counter) Statements() []Statement {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Statement(nil), c.stmts...)
}

// Count returns how many statements were recorded since the last Reset,
// inside transactions and outside.
func (c *Counter) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.stmts)
}

// Transactions returns how many transactions were begun since the last
// Reset.
func (c *Counter) Transactions() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.txs
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

// WaitFor blocks until cond holds for the statements recorded since the
// last Reset, checking at every new statement rather than on a timer, and
// fails t if timeout passes first: a safety net against a hung test, not
// a measurement.
func (c *Counter) WaitFor(t testing.TB, timeout time.Duration, what string, cond func([]Statement) bool) {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		stmts := append([]Statement(nil), c.stmts...)
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		changed := c.changed // closed by any statement after this snapshot
		c.mu.Unlock()
		if cond(stmts) {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			t.Fatalf("statements after %v: got %d, want %s:\n%s", timeout, c.Count(), what, c)
		}
	}
}

// String lists the recorded statements, for failure messages.
func (c *Counter) String() string {
	var b strings.Builder
	for i, s := range c.Statements() {
		tx := ""
		if s.InTx {
			tx = " (in transaction)"
		}
		fmt.Fprintf(&b, "%d: %s %v%s\n", i+1, s.Query, s.Args, tx)
	}
	return b.String()
}

// Listen feeds st's hub from the database (Store.Listen; on SQLite the
// hooks feed it themselves) until the test ends, and returns once the
// listener is in place.
func Listen(t testing.TB, st *store.Store) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- st.Listen(ctx, slog.New(slog.DiscardHandler), ready) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen: got error %v, want nil", err)
		}
	})
	select {
	case <-ready:
	case err := <-done:
		// Put back for the cleanup, which would wait for it forever.
		done <- err
		select {
		case <-ready:
			// Listened and returned at once (SQLite has nothing to listen
			// to): both were ready and select chose done.
		default:
			t.Fatalf("Listen ended before listening: %v", err)
		}
	}
}
