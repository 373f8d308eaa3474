package store

import (
	"context"
	"net"
	"time"

	"github.com/lib/pq"
)

// silenceMargin is how long past its statement_timeout a connection may
// wait for the server to say anything before it is given up. The server
// ends every statement at statement_timeout itself, so a longer silence
// means the server or the network is gone, not a slow query.
const silenceMargin = 5 * time.Second

// silentDialer dials PostgreSQL connections that give up on a silent
// server: every read and write must make progress within limit, or the
// connection fails (a timeout, which store.Unavailable classifies) and
// database/sql drops it.
//
// lib/pq alone never gives up on a connection: when a statement's context
// ends it sends a cancel request on a second connection and keeps reading
// the first. A database that hangs without closing its sockets (a frozen
// process, a network that drops packets: the kernel still holds the
// connection open) answers neither, and the goroutine, the pool connection
// and whatever waits on it stay blocked until the database comes back:
// measured, an hour for an hour's freeze. TCP keepalives and
// tcp_user_timeout do not help when the peer's kernel is alive and
// acknowledging; only a deadline on the socket does.
type silentDialer struct {
	d     net.Dialer
	limit time.Duration
}

var _ pq.DialerContext = silentDialer{}

func (s silentDialer) Dial(network, address string) (net.Conn, error) {
	return s.DialContext(context.Background(), network, address)
}

func (s silentDialer) DialTimeout(network, address string, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.DialContext(ctx, network, address)
}

func (s silentDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	c, err := s.d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	return &silentConn{Conn: c, limit: s.limit}, nil
}

// silentConn moves its deadline forward before every read and write. lib/pq
// reads through a buffer, so that is a few times per statement, not per row.
type silentConn struct {
	net.Conn
	limit time.Duration
}

func (c *silentConn) Read(b []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.limit)); err != nil {
		return 0, err
	}
	return c.Conn.Read(b)
}

func (c *silentConn) Write(b []byte) (int, error) {
	if err := c.Conn.SetWriteDeadline(time.Now().Add(c.limit)); err != nil {
		return 0, err
	}
	return c.Conn.Write(b)
}
