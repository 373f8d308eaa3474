package gqlws

import (
	"context"
	"runtime/debug"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// operation is a running subscribe.
type operation struct {
	id     string
	ctx    context.Context
	cancel context.CancelFunc
	// release gives back what Options.Admit granted, once: when the
	// operation is stopped (the client's complete, the connection's end)
	// or has finished, whichever comes first, so a client that completed
	// an operation may start another at once.
	release func()
}

// stopNow cancels op and releases what it held.
func (op *operation) stopNow() {
	op.cancel()
	op.release()
}

// subscribe starts the operation params asks for, under id. Refusing the
// operation (a bad document, too many running) sends an error message and
// keeps the connection; breaking the protocol ends it.
func (c *conn) subscribe(start time.Time, id string, params *graphql.RawParams) error {
	if !c.acked {
		return closeWith(closeUnauthorized, "Unauthorized")
	}
	running, full := c.occupancy(id)
	if running {
		return closeWith(closeSubscriberExists, "Subscriber for "+id+" already exists")
	}
	if full {
		return c.sendErrors(id, gqlerror.List{tooManyOperations(c.t.opts.MaxSubscriptions)})
	}
	ctx := graphql.StartOperationTrace(c.authCtx)
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	params.Headers = c.req.Header
	oc, errs := c.exec.CreateOperationContext(ctx, params)
	if errs != nil {
		return c.sendErrors(id, c.present(ctx, oc, errs))
	}
	release, refusal := c.admit(graphql.WithOperationContext(ctx, oc))
	if refusal != nil {
		return c.sendErrors(id, gqlerror.List{refusal})
	}
	if op := c.register(id, ctx, release); op != nil {
		c.t.spawn(func() { c.execute(op, oc) })
	}
	return nil
}

// admit asks Options.Admit whether the operation may start; the release
// it returns is never nil.
func (c *conn) admit(ctx context.Context) (release func(), refusal *gqlerror.Error) {
	if c.t.opts.Admit == nil {
		return func() {}, nil
	}
	release, refusal = c.t.opts.Admit(ctx)
	if refusal != nil {
		return nil, refusal
	}
	if release == nil {
		release = func() {}
	}
	return release, nil
}

// occupancy reports whether id is running, and whether no other operation
// may start.
func (c *conn) occupancy(id string) (running, full bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, running = c.ops[id]
	return running, len(c.ops) >= c.t.opts.MaxSubscriptions
}

// present passes errors from before execution through the executor's
// error presenter and response middleware, as for any response.
func (c *conn) present(ctx context.Context, oc *graphql.OperationContext, errs gqlerror.List) gqlerror.List {
	if oc != nil {
		ctx = graphql.WithOperationContext(ctx, oc)
	}
	if presented := c.exec.DispatchError(ctx, errs).Errors; len(presented) > 0 {
		return presented
	}
	return errs
}

// register records a new operation under id, its context cancelled by
// the client's complete or the connection's end; nil if the connection
// has ended (release is called then).
func (c *conn) register(id string, parent context.Context, release func()) *operation {
	ctx, cancel := context.WithCancel(parent)
	op := &operation{id: id, ctx: ctx, cancel: cancel, release: sync.OnceFunc(release)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ended {
		op.stopNow()
		return nil
	}
	c.ops[id] = op
	return op
}

// stop is the client's complete: the operation is cancelled and says
// nothing more. An unknown id (one that has just completed) is ignored.
func (c *conn) stop(id string) {
	c.mu.Lock()
	op := c.ops[id]
	delete(c.ops, id)
	c.mu.Unlock()
	if op != nil {
		op.stopNow()
	}
}

// forget drops op once it has finished, unless the client already did
// (and maybe reused its id).
func (c *conn) forget(op *operation) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops[op.id] == op {
		delete(c.ops, op.id)
	}
}

// execute runs op to its end and says how it ended: complete, or error
// after a panic; nothing when it was stopped (by the client's complete or
// the connection's end).
func (c *conn) execute(op *operation, oc *graphql.OperationContext) {
	defer op.cancel()
	failure := c.stream(op, oc)
	stopped := op.ctx.Err() != nil
	// Forgotten and released before complete goes out: the client may
	// reuse the id, or start another operation, as soon as it reads it.
	c.forget(op)
	op.release()
	switch {
	case stopped:
	case failure != nil:
		_ = c.sendErrors(op.id, failure)
	default:
		_ = c.send(outgoing{ID: op.id, Type: typeComplete})
	}
}

// stream sends op's responses as next messages until the ResponseHandler
// ends or op is stopped. A panic, or a response that cannot be encoded,
// is the failure returned.
func (c *conn) stream(op *operation, oc *graphql.OperationContext) (failure gqlerror.List) {
	defer func() {
		if r := recover(); r != nil {
			c.t.opts.Logger.Error("gqlws: panic in an operation", "id", op.id, "panic", r, "stack", string(debug.Stack()))
			failure = gqlerror.List{asGQLError(oc.Recover(op.ctx, r))}
		}
	}()
	responses, ctx := c.exec.DispatchOperation(op.ctx, oc)
	for {
		resp := responses(ctx)
		// Checked after the response too: once stopped, nothing more goes
		// out for op, even a response already produced.
		if resp == nil || op.ctx.Err() != nil {
			return nil
		}
		if err := c.send(outgoing{ID: op.id, Type: typeNext, Payload: resp}); err != nil {
			c.t.opts.Logger.Error("gqlws: response not encodable", "id", op.id, "err", err)
			return gqlerror.List{internalError()}
		}
	}
}

// sendErrors sends the error message that ends operation id.
func (c *conn) sendErrors(id string, errs gqlerror.List) error {
	return c.send(outgoing{ID: id, Type: typeError, Payload: errs})
}
