package gqlhttp

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/shopgraph/shopgraph/graph/reqlog"
)

// Deadline gives each request's work a deadline of timeout from the moment
// it gets here (0: none), and makes sure the client is answered by then.
// Put it inside the in-flight cap, so waiting for a slot does not eat into
// it.
//
// Work that honours its context ends at the deadline by itself, and the
// transport answers it. Work that does not cannot be made to: lib/pq stops
// a statement by sending a cancel request on a second connection, and a
// database that hangs (frozen, or a network that drops packets) answers
// neither, so the handler stays blocked on the socket. So the handler runs
// on a goroutine of its own, as in http.TimeoutHandler, and if it has not
// begun its response when the deadline passes, Deadline answers 503
// TIMEOUT in its place and releases the request (and its in-flight slot);
// the handler's later writes go nowhere. The stuck goroutine ends when its
// connection does: the store bounds how long a connection may stay silent
// (store.Config.StatementTimeout).
//
// http.TimeoutHandler itself does not fit: it buffers the whole response
// (no streaming, so no incremental delivery) and answers any overrun with
// a plain-text 503. Here the handler writes straight through, and two
// kinds of work keep their answer even past the deadline:
//   - a response already begun (an incremental stream, which follows its
//     context and ends with a TIMEOUT part itself);
//   - a mutation (Transport calls hold before it runs one): only the
//     mutation's own result can say whether it committed, so a client is
//     never told TIMEOUT for a change that happened.
func Deadline(timeout time.Duration, logger *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if timeout <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			aw := &answerWriter{w: w, h: w.Header().Clone()}
			done := make(chan any, 1)
			go func() {
				defer func() {
					p := recover()
					if p != nil && aw.abandoned() {
						logger.ErrorContext(ctx, "panic after the deadline answered the request",
							"request_id", reqlog.ID(ctx), "panic", fmt.Sprint(p))
					}
					done <- p
				}()
				next.ServeHTTP(aw, r.WithContext(context.WithValue(ctx, answerKey{}, aw)))
			}()
			select {
			case p := <-done:
				if p != nil {
					panic(p) // net/http's own handling, as if unwrapped
				}
				return
			case <-ctx.Done():
			}
			if !aw.expire() {
				// The handler owns the answer: it follows ctx and ends soon.
				if p := <-done; p != nil {
					panic(p)
				}
				return
			}
			if r.Context().Err() != nil {
				return // the client left: nobody to answer
			}
			logger.WarnContext(ctx, "request answered at its deadline while its work was still running",
				"request_id", reqlog.ID(ctx), "timeout", timeout.String())
			h := w.Header()
			h.Set("Content-Type", mediaJSON)
			h.Set("Cache-Control", "no-store")
			h.Set("Retry-After", "1")
			h.Add("Vary", "Authorization")
			w.WriteHeader(http.StatusServiceUnavailable)
			io.WriteString(w, timeoutBody)
		})
	}
}

type answerKey struct{}

// hold tells Deadline that the request's handler answers it whatever the
// deadline (see Deadline). It reports false if Deadline already answered:
// then the work must not start. Outside Deadline it is always true.
func hold(ctx context.Context) bool {
	aw, ok := ctx.Value(answerKey{}).(*answerWriter)
	if !ok {
		return true
	}
	aw.mu.Lock()
	defer aw.mu.Unlock()
	aw.held = !aw.expired
	return aw.held
}

// answerWriter is the ResponseWriter a handler under Deadline writes to.
// It passes writes straight through until Deadline answers in the
// handler's place; from then on they fail with http.ErrHandlerTimeout.
// The handler's headers live in a map of its own until its first write,
// so Deadline can write the real ones without racing it.
type answerWriter struct {
	w http.ResponseWriter
	h http.Header // the handler's; copied to w's at its first write

	mu      sync.Mutex
	wrote   bool // the handler began its response
	held    bool // the handler answers whatever the deadline (hold)
	expired bool // Deadline answered in the handler's place
}

func (a *answerWriter) Header() http.Header { return a.h }

func (a *answerWriter) WriteHeader(status int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.writeHeader(status)
}

// writeHeader sends the status and the handler's headers once; a.mu held.
func (a *answerWriter) writeHeader(status int) bool {
	if a.expired {
		return false
	}
	if !a.wrote {
		a.wrote = true
		dst := a.w.Header()
		for k, v := range a.h {
			dst[k] = v
		}
		a.w.WriteHeader(status)
	}
	return true
}

func (a *answerWriter) Write(b []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.writeHeader(http.StatusOK) {
		return 0, http.ErrHandlerTimeout
	}
	return a.w.Write(b)
}

// FlushError lets http.NewResponseController flush a stream (and only
// that: no Unwrap, so nothing reaches the connection around the guard).
func (a *answerWriter) FlushError() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if !a.writeHeader(http.StatusOK) {
		return http.ErrHandlerTimeout
	}
	return http.NewResponseController(a.w).Flush()
}

func (a *answerWriter) Flush() { a.FlushError() }

// expire, at the deadline, takes the answer from the handler unless it has
// begun its response or holds it; it reports whether it did.
func (a *answerWriter) expire() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expired = !a.wrote && !a.held
	return a.expired
}

func (a *answerWriter) abandoned() bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.expired
}
