package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
)

// preparedDriver is ent's SQL driver with a cache of prepared statements
// for reads outside transactions: a statement the API sends again (every
// lookup, page and batch, whose key sets travel as one array parameter, so
// the SQL text does not vary with the rows) is parsed and planned once per
// pooled connection instead of on every request. Over lib/pq an unprepared
// query is an unnamed statement that PostgreSQL parses and plans each
// time; measured on the load benchmark that was most of PostgreSQL's CPU
// for the lookup. pgx caches statements by default for the same reason;
// lib/pq and ent have no such option, hence this wrapper.
//
// database/sql's *sql.Stmt does the per-connection bookkeeping: it is
// prepared on whichever pooled connection runs it first and re-prepared on
// the others as they are used. The cache holds at most max texts and never
// evicts (closing a statement another request is about to run would fail
// that request); texts beyond it run unprepared, as before. The API's
// statements come from a fixed set of shapes, far fewer than max.
//
// Only reads (SELECT and WITH) are prepared: writes are rarer, and bulk
// inserts differ in text with their row count, so they would only fill the
// cache. Everything inside transactions goes through ent unchanged, as a
// transaction's connection is its own.
//
// It is every store's driver, with max 0 when preparing is off: it is also
// where a request's cap on the connections its reads hold is enforced
// (LimitConcurrency).
type preparedDriver struct {
	*entsql.Driver
	db  *sql.DB
	max int

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

// newPreparedDriver wraps drv (over db) with a cache of at most max
// statements.
func newPreparedDriver(drv *entsql.Driver, db *sql.DB, max int) *preparedDriver {
	return &preparedDriver{Driver: drv, db: db, max: max, stmts: make(map[string]*sql.Stmt)}
}

var _ dialect.Driver = (*preparedDriver)(nil)

// Query implements dialect.Driver for ent's builders.
func (d *preparedDriver) Query(ctx context.Context, query string, args, v any) error {
	vr, ok := v.(*entsql.Rows)
	if !ok {
		return fmt.Errorf("store: invalid type %T, expect *sql.Rows", v)
	}
	argv, ok := args.([]any)
	if !ok {
		return fmt.Errorf("store: invalid type %T, expect []any for args", args)
	}
	release, err := acquire(ctx)
	if err != nil {
		return err
	}
	rows, err := d.QueryContext(ctx, query, argv...)
	if err != nil {
		release()
		return err
	}
	*vr = entsql.Rows{ColumnScanner: &releasingRows{Rows: rows, release: release}}
	return nil
}

// connCapKey carries a request's cap on the statements it may run at once.
type connCapKey struct{}

// LimitConcurrency returns a context whose reads (ent queries outside
// transactions) hold at most n pooled connections at once: each waits for
// one of n slots, held until its rows are closed. One request fans out
// over its aliases and list levels; without a cap, 50 aliased counts
// would take every connection of the pool for as long as they run, and
// every other request would queue behind them. n <= 0: no cap.
func LimitConcurrency(ctx context.Context, n int) context.Context {
	if n <= 0 {
		return ctx
	}
	return context.WithValue(ctx, connCapKey{}, make(chan struct{}, n))
}

// acquire takes one of ctx's slots, if it has a cap, waiting no longer
// than ctx lives; release gives it back (once).
func acquire(ctx context.Context) (release func(), err error) {
	slots, _ := ctx.Value(connCapKey{}).(chan struct{})
	if slots == nil {
		return func() {}, nil
	}
	select {
	case slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	var once sync.Once
	return func() { once.Do(func() { <-slots }) }, nil
}

// releasingRows gives its slot back when closed.
type releasingRows struct {
	*sql.Rows
	release func()
}

func (r *releasingRows) Close() error {
	defer r.release()
	return r.Rows.Close()
}

// QueryContext runs query through its prepared statement (raw SQL of
// ent/store's execquery calls included).
func (d *preparedDriver) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if isRead(query) {
		if stmt := d.stmt(ctx, query); stmt != nil {
			return stmt.QueryContext(ctx, args...)
		}
	}
	return d.db.QueryContext(ctx, query, args...)
}

// isRead reports whether query is a SELECT or WITH statement (as ent and
// ent/store write them: keyword first, in capitals).
func isRead(query string) bool {
	return strings.HasPrefix(query, "SELECT ") || strings.HasPrefix(query, "WITH ")
}

// stmt returns query's prepared statement, preparing it on first use; nil
// when the cache is full or preparing failed (the plain query then reports
// whatever is wrong with it).
func (d *preparedDriver) stmt(ctx context.Context, query string) *sql.Stmt {
	if d.max <= 0 {
		return nil
	}
	d.mu.RLock()
	stmt, ok := d.stmts[query]
	full := len(d.stmts) >= d.max
	d.mu.RUnlock()
	if ok || full {
		return stmt
	}
	// Prepared outside the lock: it is a round trip. Two requests that
	// race here both prepare; one statement is kept, the other closed.
	stmt, err := d.db.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if kept, ok := d.stmts[query]; ok {
		stmt.Close()
		return kept
	}
	if len(d.stmts) >= d.max {
		stmt.Close()
		return nil
	}
	d.stmts[query] = stmt
	return stmt
}

// Close closes the cached statements, then the pool.
func (d *preparedDriver) Close() error {
	d.mu.Lock()
	for q, stmt := range d.stmts {
		stmt.Close()
		delete(d.stmts, q)
	}
	d.mu.Unlock()
	return d.Driver.Close()
}
