package graph

import (
	"context"
	"errors"
	"time"

	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/auth"
)

// Long-lived connections (WebSockets, SSE streams) are authenticated once,
// when they open; sessionContext is what makes them end with the session
// as a request would be refused: at the token's expiry, and at once when
// the account's tokens are revoked. Both transports use it.

// errTokenRevoked is the cause of a session context ended by a revocation.
var errTokenRevoked = errors.New("access token revoked")

// sessionContext returns a context for v, authenticated by header, that
// ends when the token stops being accepted: its deadline is expires (ctx.Err
// is then context.DeadlineExceeded), and it is cancelled with cause
// errTokenRevoked when the user's tokens are revoked (sign-out, password
// change): the revocation is a change event like any other
// (store.TokensRevoked on store.UserTopic), heard by every instance. After
// a gap in the events (a listener's reconnect, a Resync) the token is
// checked again, since a revocation may have been missed. An anonymous
// viewer has no session: ctx is returned as it is. The watch's goroutine
// ends with the returned context, so with ctx at the latest.
func sessionContext(ctx context.Context, tokens *auth.Tokens, hub *store.Hub, header string, v auth.Viewer, expires time.Time) context.Context {
	if v.Anonymous() {
		return ctx
	}
	ctx, revoke := context.WithCancelCause(ctx)
	ctx, expire := context.WithDeadline(ctx, expires)
	sub := hub.Subscribe(store.UserTopic(v.ID))
	go func() {
		defer sub.Close()
		defer expire()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.C:
				revoke(errTokenRevoked)
				return
			case <-sub.Resyncs():
				if _, _, err := tokens.Authenticate(ctx, header); errors.Is(err, auth.ErrRejected) {
					revoke(errTokenRevoked)
					return
				}
			}
		}
	}()
	return ctx
}

// sessionEnded reports why a context from sessionContext ended, as the
// client is told: "" if it has not ended, or ended otherwise (its parent's
// end: the client left, the server shuts down).
func sessionEnded(ctx context.Context) string {
	switch {
	case ctx.Err() == nil:
		return ""
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "token expired"
	case errors.Is(context.Cause(ctx), errTokenRevoked):
		return errTokenRevoked.Error()
	}
	return ""
}
