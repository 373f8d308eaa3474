package gqlhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

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
// over GET (405), and documents Precheck finds too big (400, or 200 with
// application/json). It answers those itself, with Cache-Control: no-store
// and no Vary: they are the same for every caller.
func Guard(opts GuardOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			var query string
			switch r.Method {
			case http.MethodPost:
				body, ok := readBody(w, r, opts.MaxBodyBytes)
				if !ok {
					return
				}
				// Only the document: a POST may carry a mutation.
				var params struct {
					Query string `json:"query"`
				}
				json.Unmarshal(body, &params) // not JSON: the transport answers that
				query = params.Query
			case http.MethodGet:
				query = r.URL.Query().Get("query")
				opName := r.URL.Query().Get("operationName")
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
// "data" either way); 405 stays 405. code, if set, becomes extensions.code.
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

// readBody reads the body, enforcing the size limit up front and answering
// 413 itself (gqlgen would turn a too-large body into a generic 400), and
// puts it back for the transport.
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

// Deadline gives each request's work a deadline of timeout from the moment
// it gets here (0: none). Put it inside the in-flight cap, so waiting for
// a slot does not eat into it; the transport answers a request whose
// deadline passed before execution with 503 TIMEOUT.
func Deadline(timeout time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if timeout <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx, cancel := context.WithTimeout(r.Context(), timeout)
			defer cancel()
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}
