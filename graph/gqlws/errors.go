package gqlws

import (
	"context"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/coder/websocket"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// The close codes of graphql-transport-ws, as graphql-ws's CloseCode names
// them; the RFC 6455 ones come from the websocket package.
const (
	closeBadRequest               websocket.StatusCode = 4400
	closeUnauthorized             websocket.StatusCode = 4401
	closeForbidden                websocket.StatusCode = 4403
	closeSubprotocolNotAcceptable websocket.StatusCode = 4406
	closeInitTimeout              websocket.StatusCode = 4408
	closeSubscriberExists         websocket.StatusCode = 4409
	closeTooManyInits             websocket.StatusCode = 4429
	closeInternalServerError      websocket.StatusCode = 4500

	// closeKeepalive ends a connection that answered no ping. Not 1008
	// (policy violation): graphql-ws's client treats every 1xxx code but
	// 1000, 1001, 1005, 1006, 1012, 1013 and 1014 as fatal and stops
	// reconnecting, while a missed pong is usually a stalled network or a
	// suspended tab, worth a retry. Not 4408 either: the protocol gives it
	// to the init timeout. 1001 (going away: this end abandons the
	// connection) is retried.
	closeKeepalive = websocket.StatusGoingAway
	// closeSlowConsumer ends a connection whose send queue is full: 1013
	// (try again later) is retried by graphql-ws's client.
	closeSlowConsumer = websocket.StatusTryAgainLater
	// closeShutdown is Shutdown's: 1012 (service restart), retried.
	closeShutdown = websocket.StatusServiceRestart
)

// maxReasonBytes is what a close frame leaves for its reason: 125 bytes of
// control frame payload less the 2 bytes of the code. The library refuses
// a longer reason and would send 1011 without one instead.
const maxReasonBytes = 123

// closeError ends a connection with a close frame carrying code and reason.
type closeError struct {
	code   websocket.StatusCode
	reason string
}

func (e *closeError) Error() string {
	return fmt.Sprintf("gqlws: close %d %s", int(e.code), e.reason)
}

// closeWith is the error that closes a connection with code and reason,
// the reason cut to fit a close frame.
func closeWith(code websocket.StatusCode, reason string) error {
	return &closeError{code: code, reason: truncateReason(reason)}
}

func badRequest(format string, args ...any) error {
	return closeWith(closeBadRequest, fmt.Sprintf(format, args...))
}

// refused is the close for an Init error: 4403 with its message.
func refused(err error) error {
	reason := err.Error()
	if reason == "" {
		reason = "Forbidden"
	}
	return closeWith(closeForbidden, reason)
}

// authEnded is the close for the end of the context Init returned: its
// deadline is the token's expiry; any other end (a revoked session) is a
// refusal, its cause as the reason when Init gave one.
func authEnded(ctx context.Context) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return closeWith(closeForbidden, "token expired")
	}
	if cause := context.Cause(ctx); cause != nil && !errors.Is(cause, context.Canceled) {
		return closeWith(closeForbidden, cause.Error())
	}
	return closeWith(closeForbidden, "Forbidden")
}

// ending is how a connection ended: the close code (sent, or received and
// echoed), its reason, and whether this end still has to send the close
// frame.
type ending struct {
	code      websocket.StatusCode
	reason    string
	handshake bool
}

// classify maps whatever ends a connection to its ending.
func classify(err error) ending {
	var ce *closeError
	var peer websocket.CloseError
	switch {
	case errors.As(err, &ce):
		return ending{code: ce.code, reason: ce.reason, handshake: true}
	case errors.As(err, &peer):
		// The client closed; the library has echoed its frame.
		return ending{code: peer.Code, reason: peer.Reason}
	case errors.Is(err, websocket.ErrMessageTooBig):
		// The library has sent 1009 itself.
		return ending{code: websocket.StatusMessageTooBig, reason: "message too big"}
	default:
		// The network broke or a write timed out: no frame can get through.
		return ending{code: websocket.StatusAbnormalClosure, reason: err.Error()}
	}
}

// truncateReason cuts s to maxReasonBytes without splitting a rune.
func truncateReason(s string) string {
	if len(s) <= maxReasonBytes {
		return s
	}
	n := maxReasonBytes
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// tooManyOperations refuses one operation, not the connection: the client
// may go on with those it has.
func tooManyOperations(limit int) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    fmt.Sprintf("too many operations running on this connection (limit %d)", limit),
		Extensions: map[string]any{"code": "TOO_MANY_SUBSCRIPTIONS"},
	}
}

// internalError is what the client learns of a failure it did not cause.
func internalError() *gqlerror.Error {
	return &gqlerror.Error{Message: "internal system error"}
}

// asGQLError is the error a recovered panic is reported as.
func asGQLError(err error) *gqlerror.Error {
	var gerr *gqlerror.Error
	if errors.As(err, &gerr) {
		return gerr
	}
	return internalError()
}
