package gqlhttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/gqlerror"
)

// GuardOptions configure Guard.
type GuardOptions struct {
	MaxBodyBytes int64 // larger request bodies get 413
	// ReadTimeout is how long after Guard sees a request its body must
	// have arrived (0: no limit of Guard's own); a slower one gets 408.
	ReadTimeout time.Duration
	// Precheck may refuse a query document before gqlgen parses and
	// validates it (limits.Precheck).
	Precheck func(query string) *gqlerror.Error
	// IsMutation reports whether a GET request's document would run a
	// mutation; those are refused (405) before any other work.
	IsMutation func(query, operationName string) bool
	// Admit, if set, is asked before Guard reads a request larger than
	// AdmitAbove bytes whether its caller may spend the work its size
	// (in bytes; MaxBodyBytes for a body whose size is not announced)
	// will cost; if not, Guard answers 429 RATE_LIMITED with Retry-After
	// without reading it. Smaller requests are left to the budget's own
	// check after parsing: for them that is cheap, and it spares every
	// ordinary request a second look at the limiter.
	Admit      func(r *http.Request, size int64) (retryAfter time.Duration, ok bool)
	AdmitAbove int64
	// Refused, if set, is told of each request whose document Precheck
	// refused, so the caller's budget pays for it.
	Refused func(r *http.Request)
}

// Guard refuses what needs no GraphQL machinery to refuse, before
// authentication and execution: large requests from a caller whose budget
// is spent (429, Admit), bodies that arrive too slowly (408) or are over
// the size limit (413), mutations over GET (405), and documents Precheck
// finds too big (400, or 200 with application/json; charged through
// Refused). It answers those itself, with Cache-Control: no-store and no
// Vary.
func Guard(opts GuardOptions) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			size := r.ContentLength
			switch {
			case r.Method == http.MethodGet:
				size = int64(len(r.URL.RawQuery))
			case size < 0:
				size = opts.MaxBodyBytes
			}
			if opts.Admit != nil && size > opts.AdmitAbove {
				if wait, ok := opts.Admit(r, size); !ok {
					secs := int((wait + time.Second - 1) / time.Second)
					w.Header().Set("Retry-After", strconv.Itoa(secs))
					err := gqlerror.Errorf("query budget exhausted; retry in %d s", secs)
					err.Extensions = map[string]any{"retryAfter": secs}
					writeErrors(w, r, http.StatusTooManyRequests, err, "RATE_LIMITED")
					return
				}
			}
			var query string
			switch r.Method {
			case http.MethodPost:
				if opts.ReadTimeout > 0 {
					// The connection's read deadline, for this request's
					// body only: net/http resets it for the next request.
					// Not every ResponseWriter can (a test recorder):
					// then the server's ReadTimeout is the only bound.
					_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(opts.ReadTimeout))
				}
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
					if opts.Refused != nil {
						opts.Refused(r)
					}
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
// "data" either way); 405 and 429 stay what they are. code, if set, becomes extensions.code.
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
	} else if status != http.StatusMethodNotAllowed && status != http.StatusTooManyRequests {
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
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		writeCoded(w, http.StatusRequestTimeout, "the request body did not arrive in time", "REQUEST_TIMEOUT")
		return nil, false
	}
	if err != nil {
		writeCoded(w, http.StatusBadRequest, "could not read request body", "BAD_REQUEST")
		return nil, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	return body, true
}

func tooLarge(w http.ResponseWriter, limit int64) {
	writeCoded(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", limit), "REQUEST_TOO_LARGE")
}

// writeCoded answers a request refused before GraphQL could read it, as a
// GraphQL request error with status and code.
func writeCoded(w http.ResponseWriter, status int, message, code string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]any{{
		"message":    message,
		"extensions": map[string]any{"code": code},
	}}})
}
