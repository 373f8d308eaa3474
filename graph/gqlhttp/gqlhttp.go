// Package gqlhttp is the HTTP side of the GraphQL endpoint's defences and
// manners: a body size limit (413), a per-request deadline, the fixes that
// make gqlgen's answers follow the GraphQL-over-HTTP spec, 429 with
// Retry-After for rationed callers, Cache-Control derived from the schema's
// @cacheControl hints with ETag/If-None-Match for anonymous GET queries, and
// automatic persisted query storage in Redis.
//
// The GraphQL layer talks to it through the per-request State in the
// context: limits report a refusal there, the cache-hint extension the
// operation's policy.
package gqlhttp

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// State is what the GraphQL layer tells the HTTP layer about a request.
type State struct {
	mu         sync.Mutex
	retryAfter time.Duration // > 0: answer 429
	hint       *Hint         // the operation's cache policy, if computed
	persist    []func()      // persisted-query registrations awaiting validation
	answered   bool          // the GraphQL layer produced the response
	executed   bool          // ... by executing the operation (it has data)
	failed     bool          // ... and the response has errors
}

type stateKey struct{}

// StateFrom returns the request's State, or nil outside Middleware.
func StateFrom(ctx context.Context) *State {
	s, _ := ctx.Value(stateKey{}).(*State)
	return s
}

// RateLimited makes the response a 429 asking to wait d.
func RateLimited(ctx context.Context, d time.Duration) {
	if s := StateFrom(ctx); s != nil {
		s.mu.Lock()
		s.retryAfter = d
		s.mu.Unlock()
	}
}

func setHint(ctx context.Context, h Hint) {
	if s := StateFrom(ctx); s != nil {
		s.mu.Lock()
		s.hint = &h
		s.mu.Unlock()
	}
}

// GuardOptions configure Guard.
type GuardOptions struct {
	MaxBodyBytes int64 // larger request bodies get 413
	// Precheck may refuse a query document before gqlgen parses and
	// validates it (limits.Precheck).
	Precheck func(query string) *gqlerror.Error
	// IsMutation reports whether a GET request's document would run a
	// mutation; those are refused (405) before any other work.
	IsMutation func(query, operationName string) bool
}

// Guard refuses what needs no GraphQL machinery to refuse, before
// authentication and execution: bodies over the size limit (413), mutations
// over GET (405), and documents Precheck finds too big.
func Guard(opts GuardOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var query, opName string
			switch r.Method {
			case http.MethodPost:
				body, ok := readBody(w, r, opts.MaxBodyBytes)
				if !ok {
					return
				}
				var params struct {
					Query         string `json:"query"`
					OperationName string `json:"operationName"`
				}
				json.Unmarshal(body, &params) // not JSON: gqlgen answers that
				query, opName = params.Query, params.OperationName
			case http.MethodGet:
				query, opName = r.URL.Query().Get("query"), r.URL.Query().Get("operationName")
				if query != "" && opts.IsMutation != nil && opts.IsMutation(query, opName) {
					w.Header().Set("Allow", "POST")
					writeErrors(w, r, http.StatusMethodNotAllowed, gqlerror.Errorf("mutations must be sent with POST"), "METHOD_NOT_ALLOWED")
					return
				}
			}
			if query != "" && opts.Precheck != nil {
				if err := opts.Precheck(query); err != nil {
					writeErrors(w, r, http.StatusBadRequest, err, "")
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// writeErrors answers a request error the way the client asked for: 200
// with application/json, the given 4xx with graphql-response+json (no
// "data" either way). code, if set, becomes extensions.code.
func writeErrors(w http.ResponseWriter, r *http.Request, status int, err *gqlerror.Error, code string) {
	if code != "" {
		if err.Extensions == nil {
			err.Extensions = map[string]any{}
		}
		err.Extensions["code"] = code
	}
	ct := mediaJSON
	if strings.Contains(r.Header.Get("Accept"), mediaResponse) {
		ct = mediaResponse
	} else if status != http.StatusMethodNotAllowed {
		status = http.StatusOK
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": gqlerror.List{err}})
}

// Options configure Middleware.
type Options struct {
	Timeout time.Duration // deadline of each request's work
	// SignedIn reports whether the request is signed in: responses for a
	// viewer are never publicly cacheable.
	SignedIn func(*http.Request) bool
}

// Middleware wraps the GraphQL handler. It buffers each response (gqlgen
// builds it in memory anyway) so it can fix the status and headers before
// anything is sent.
func Middleware(opts Options) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := r.Context()
			if opts.Timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, opts.Timeout)
				defer cancel()
			}
			state := &State{}
			ctx = context.WithValue(ctx, stateKey{}, state)
			buf := &bufferedWriter{header: http.Header{}, status: http.StatusOK}
			next.ServeHTTP(buf, r.WithContext(ctx))
			signedIn := opts.SignedIn != nil && opts.SignedIn(r)
			finish(w, r, buf, state, signedIn)
		})
	}
}

// readBody reads the body, enforcing the size limit up front and answering
// 413 itself (gqlgen would turn a too-large body into a generic 400), and
// puts it back for the handler.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, bool) {
	if limit > 0 && r.ContentLength > limit {
		tooLarge(w, limit)
		return nil, false
	}
	reader := io.Reader(r.Body)
	if limit > 0 {
		reader = http.MaxBytesReader(w, r.Body, limit)
	}
	body, err := io.ReadAll(reader)
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		tooLarge(w, limit)
		return nil, false
	}
	if err != nil {
		http.Error(w, "could not read request body", http.StatusBadRequest)
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

func tooLarge(w http.ResponseWriter, limit int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message":    fmt.Sprintf("request body is larger than %d bytes", limit),
		"extensions": map[string]any{"code": "REQUEST_TOO_LARGE"},
	}}})
}

type bufferedWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header         { return b.header }
func (b *bufferedWriter) WriteHeader(status int)      { b.status = status }
func (b *bufferedWriter) Write(p []byte) (int, error) { return b.body.Write(p) }

const (
	mediaJSON     = "application/json"
	mediaResponse = "application/graphql-response+json"
)

// finish sends the buffered response, corrected:
//   - a rationed request is 429 with Retry-After;
//   - with application/json, request errors (gqlgen: 422) are 200, as the
//     GraphQL-over-HTTP spec says for that media type;
//   - with application/graphql-response+json, a request error (4xx) has no
//     "data" entry at all;
//   - GET responses get Cache-Control from the operation's hint (public
//     only when anonymous and error-free) and an ETag; a matching
//     If-None-Match gets 304. Everything else is no-store.
func finish(w http.ResponseWriter, r *http.Request, buf *bufferedWriter, state *State, signedIn bool) {
	for k, v := range buf.header {
		w.Header()[k] = v
	}
	status, body := buf.status, buf.body.Bytes()
	media, _, _ := mime.ParseMediaType(buf.header.Get("Content-Type"))
	state.mu.Lock()
	retry, hint := state.retryAfter, state.hint
	requestError := state.answered && !state.executed && state.failed
	failed := state.failed
	state.mu.Unlock()

	if bytes.Equal(bytes.TrimSpace(body), []byte("null")) || len(bytes.TrimSpace(body)) == 0 && status == http.StatusOK {
		// gqlgen answers nothing when the deadline passed before execution.
		status, body = http.StatusServiceUnavailable, []byte(`{"errors":[{"message":"the request took too long and was stopped","extensions":{"code":"TIMEOUT"}}]}`)
		w.Header().Set("Content-Type", mediaJSON)
	}
	switch {
	case retry > 0:
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
		if media == mediaResponse {
			body = withoutData(body)
		}
	case media == mediaJSON && status == http.StatusUnprocessableEntity:
		status = http.StatusOK
	case media == mediaResponse && status >= 400:
		body = withoutData(body)
	case media == mediaResponse && status == http.StatusOK && requestError:
		// Refused before execution (our limits): a request error, so 4xx
		// and no data, as for gqlgen's own parse and validation errors.
		status, body = http.StatusBadRequest, withoutData(body)
	}

	w.Header().Add("Vary", "Authorization")
	cacheable := r.Method == http.MethodGet && status == http.StatusOK && hint != nil && hint.MaxAge > 0 && !failed
	switch {
	case cacheable && !signedIn && hint.Scope == ScopePublic:
		w.Header().Set("Cache-Control", fmt.Sprintf("public, max-age=%d", hint.MaxAge))
	case cacheable:
		w.Header().Set("Cache-Control", fmt.Sprintf("private, max-age=%d", hint.MaxAge))
	default:
		w.Header().Set("Cache-Control", "no-store")
	}
	if r.Method == http.MethodGet && status == http.StatusOK {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		w.Header().Set("ETag", etag)
		if matches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	w.Write(body)
}

func matches(ifNoneMatch, etag string) bool {
	for _, candidate := range strings.Split(ifNoneMatch, ",") {
		c := strings.TrimSpace(candidate)
		if c == "*" || c == etag || "W/"+c == etag {
			return true
		}
	}
	return false
}

// withoutData drops a top-level "data" entry from a JSON object.
func withoutData(body []byte) []byte {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return body
	}
	if _, ok := obj["data"]; !ok {
		return body
	}
	delete(obj, "data")
	out, err := json.Marshal(obj)
	if err != nil {
		return body
	}
	return out
}
