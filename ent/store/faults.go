package store

import (
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/lib/pq"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// Unavailable reports whether err is a database fault that says nothing
// about the request: the database could not be reached, was shutting
// down, was out of connections, or refused the statement only because of
// what other sessions were doing at the same moment (a lock another
// writer holds, a deadlock, a serialization failure). The same request
// can succeed when retried, so it is not the client's fault and not a bug:
// the API reports it as UNAVAILABLE with a Retry-After, and a transaction
// it ended was rolled back whole.
//
// It is the only place that knows the drivers' error types; the layers
// above ask it instead of matching driver text.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		switch pqErr.Code.Class() {
		case "08", // connection exception
			"40", // transaction rollback: serialization failure, deadlock
			"53", // insufficient resources: too many connections, out of memory or disk
			"57": // operator intervention: shutdown, cannot connect now, and
			// query_canceled (57014). That is our own deadline or cancel
			// when the request's context has ended, which callers check
			// first (it is TIMEOUT or CANCELLED, not a fault); otherwise it
			// is statement_timeout (Config.StatementTimeout) or an operator's
			// pg_cancel_backend: the statement was slow now, not wrong.
			return true
		}
		return pqErr.Code == "55P03" // lock_not_available (lock_timeout)
	}
	var sqliteErr *sqlite.Error
	if errors.As(err, &sqliteErr) {
		switch sqliteErr.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return true
		}
		return false
	}
	var netErr net.Error
	return errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) ||
		errors.As(err, &netErr)
}
