package gqlws

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/coder/websocket"
)

// conn is one WebSocket connection.
type conn struct {
	t    *Transport
	ws   *websocket.Conn
	req  *http.Request
	exec graphql.GraphExecutor

	// ctx lasts as long as the connection; Init's contexts derive from it.
	ctx    context.Context
	cancel context.CancelFunc

	out  chan []byte   // the send queue, drained by writeLoop alone
	done chan struct{} // closed when the connection ends
	wg   sync.WaitGroup
	once sync.Once
	end  ending // set once, before done is closed

	initReceived atomic.Bool // a connection_init arrived (stops the init timeout)
	heard        atomic.Bool // a message arrived since the last ping

	// Owned by the reader.
	acked   bool
	authCtx context.Context

	mu        sync.Mutex
	ended     bool
	ops       map[string]*operation
	stopWatch func() bool // stops the watch on authCtx
}

func newConn(t *Transport, ws *websocket.Conn, r *http.Request, exec graphql.GraphExecutor) *conn {
	// The connection outlives nothing of the request but its values: the
	// request's context is unreliable once hijacked, and a deadline set for
	// HTTP requests must not cut a long-lived socket.
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	return &conn{
		t:      t,
		ws:     ws,
		req:    r,
		exec:   exec,
		ctx:    ctx,
		cancel: cancel,
		out:    make(chan []byte, t.opts.SendBuffer),
		done:   make(chan struct{}),
		ops:    map[string]*operation{},
	}
}

// serve runs the connection until it has ended.
func (c *conn) serve() {
	c.wg.Go(c.writeLoop)
	c.wg.Go(c.keepAlive)
	switch {
	case !c.t.track(c):
		c.fail(closeWith(closeShutdown, "service restart"))
	case c.ws.Subprotocol() != subprotocol:
		c.fail(closeWith(closeSubprotocolNotAcceptable, "Subprotocol not acceptable"))
	}
	c.readLoop()
	// readLoop returns once the connection has ended, so nothing adds to
	// wg any more.
	c.wg.Wait()
	c.t.untrack(c)
	c.t.opts.Logger.Debug("gqlws: connection closed", "code", int(c.end.code), "reason", c.end.reason)
	if c.t.opts.Closed != nil {
		c.t.opts.Closed(int(c.end.code))
	}
}

// fail ends the connection as classify says err should.
func (c *conn) fail(err error) {
	c.finish(classify(err))
}

// finish ends the connection, once: it starts the close (the handshake if
// this end has to send the frame), cancels the operations and stops the
// other goroutines. Later calls do nothing.
func (c *conn) finish(e ending) {
	c.once.Do(func() {
		c.end = e
		// Added while writeLoop still counts, so before serve can Wait.
		c.wg.Go(func() { c.closeSocket(e) })
		c.stopOperations()
		close(c.done)
		c.cancel()
	})
}

// closeSocket closes the socket; the handshake waits up to 5s to write the
// frame (behind a blocked write) and 5s for the client's, then the library
// closes the connection regardless.
func (c *conn) closeSocket(e ending) {
	if e.handshake {
		_ = c.ws.Close(e.code, e.reason)
		return
	}
	_ = c.ws.CloseNow()
}

func (c *conn) isDone() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// readLoop handles the client's messages in order until the connection
// ends. Reads take no context: cancelling one would make the library drop
// the connection without the close frame; closing the socket ends them.
func (c *conn) readLoop() {
	for {
		_, data, err := c.ws.Read(context.Background())
		if c.isDone() {
			// Closing: the handshake reads (and drops) what still comes.
			return
		}
		if err != nil {
			c.fail(err)
			return
		}
		c.heard.Store(true)
		if err := c.handle(graphql.Now(), data); err != nil {
			c.fail(err)
			return
		}
	}
}

// writeLoop is the socket's only writer, so that a slow client holds up
// nothing but its own queue.
func (c *conn) writeLoop() {
	for {
		select {
		case <-c.done:
			return
		case b := <-c.out:
			if c.isDone() {
				// The close frame goes next; what is queued is moot.
				return
			}
			if err := c.write(b); err != nil {
				// A closed socket is the reader's to classify: it sees why.
				if !errors.Is(err, net.ErrClosed) {
					c.fail(err)
				}
				return
			}
		}
	}
}

func (c *conn) write(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// keepAlive closes a connection that sends no connection_init in time, and
// pings the client, closing the connection when nothing at all came back
// within the interval after a ping.
func (c *conn) keepAlive() {
	initTimer := time.NewTimer(c.t.opts.InitTimeout)
	defer initTimer.Stop()
	ticker := time.NewTicker(c.t.opts.PingInterval)
	defer ticker.Stop()
	pinged := false
	for {
		select {
		case <-c.done:
			return
		case <-initTimer.C:
			if !c.initReceived.Load() {
				c.fail(closeWith(closeInitTimeout, "Connection initialisation timeout"))
				return
			}
		case <-ticker.C:
			if !c.heard.Swap(false) && pinged {
				c.fail(closeWith(closeKeepalive, "keepalive timeout"))
				return
			}
			pinged = true
			_ = c.send(outgoing{Type: typePing})
		}
	}
}

// send queues a message without ever blocking: a full queue means the
// client does not keep up, and it is dropped. The error is the message's
// encoding's.
func (c *conn) send(m outgoing) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	select {
	case c.out <- b:
	case <-c.done:
	default:
		c.t.opts.Logger.Warn("gqlws: dropping slow consumer", "queued", cap(c.out))
		c.fail(closeWith(closeSlowConsumer, "slow consumer"))
	}
	return nil
}

// handle acts on one client message; an error ends the connection.
func (c *conn) handle(start time.Time, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			c.t.opts.Logger.Error("gqlws: panic handling a message", "panic", r, "stack", string(debug.Stack()))
			err = closeWith(closeInternalServerError, "Internal server error")
		}
	}()
	m, err := decode(data)
	if err != nil {
		return err
	}
	switch m.typ {
	case typeConnectionInit:
		return c.connectionInit(m.init)
	case typePing:
		return c.send(outgoing{Type: typePong, Payload: payloadOrNil(m.echo)})
	case typePong:
		return nil
	case typeSubscribe:
		return c.subscribe(start, m.id, m.subscribe)
	case typeComplete:
		c.stop(m.id)
		return nil
	}
	return badRequest("Unexpected message of type %.64q received", m.typ)
}

// payloadOrNil keeps an absent payload out of the message (a nil
// json.RawMessage in an interface would be sent as null).
func payloadOrNil(p json.RawMessage) any {
	if p == nil {
		return nil
	}
	return p
}

// connectionInit authenticates the connection and acknowledges it, with
// no payload: nothing of the init payload goes back to the client.
func (c *conn) connectionInit(payload map[string]any) error {
	if c.initReceived.Swap(true) {
		return closeWith(closeTooManyInits, "Too many initialisation requests")
	}
	ctx := c.ctx
	if c.t.opts.Init != nil {
		authCtx, err := c.t.opts.Init(c.ctx, c.req, payload)
		if err != nil {
			return refused(err)
		}
		if authCtx != nil {
			ctx = authCtx
		}
	}
	if ctx.Err() != nil {
		return authEnded(ctx)
	}
	c.authCtx = ctx
	c.watch(ctx)
	c.acked = true
	return c.send(outgoing{Type: typeConnectionAck})
}

// watch closes the connection when the context Init returned ends.
func (c *conn) watch(ctx context.Context) {
	stop := context.AfterFunc(ctx, func() { c.fail(authEnded(ctx)) })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		stop()
		return
	}
	c.stopWatch = stop
}

// stopOperations cancels every running operation and stops new ones.
func (c *conn) stopOperations() {
	c.mu.Lock()
	c.ended = true
	ops, stop := c.ops, c.stopWatch
	c.ops = nil
	c.mu.Unlock()
	if stop != nil {
		// Before the connection's context is cancelled, which usually
		// ends authCtx too: that is not a token expiring.
		stop()
	}
	for _, op := range ops {
		op.stopNow()
	}
}
