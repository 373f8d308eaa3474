package gqlhttp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// reply is how a request ended, as the transport found out while serving
// it: everything write needs to decide the status and the headers.
type reply struct {
	media  string // response media type; "" for requests no GraphQL rule accepts (no Content-Type)
	status int
	resp   *graphql.Response
	// retryAfter > 0: a rationing limit refused the operation (429).
	retryAfter time.Duration
	// op is the operation, once it ran and resp is its result (for its
	// cache hint).
	op *ast.OperationDefinition
	// timedOut: the deadline passed before the operation ran, and gqlgen
	// produced no response at all (503).
	timedOut bool
	// next, when set, yields the operation's deferred results after resp,
	// its initial one: the response is streamed (stream), not written.
	next func() *graphql.Response
}

// transportError is a request refused before gqlgen saw it, with message
// and no error presenter, as gqlgen's transports answer these.
func transportError(status int, media, message string) reply {
	return reply{media: media, status: status, resp: &graphql.Response{Errors: gqlerror.List{{Message: message}}}}
}

// requestError records a request error: one refused before execution
// (unreadable, unparsable, invalid, or over a limit), whose response resp
// has no data. With application/json it is 200, as the GraphQL-over-HTTP
// spec says for that media type; with graphql-response+json it is 400;
// refused by a rationing limit, 429 either way.
func (rep *reply) requestError(resp *graphql.Response, retryAfter time.Duration) {
	rep.resp, rep.retryAfter = resp, retryAfter
	switch {
	case retryAfter > 0:
		rep.status = http.StatusTooManyRequests
	case rep.media == mediaResponse:
		rep.status = http.StatusBadRequest
	default:
		rep.status = http.StatusOK
	}
}

// executed records the result of the operation op. gqlgen produces none
// (nil) when the deadline passed before the operation ran: that is a 503.
func (rep *reply) executed(op *ast.OperationDefinition, resp *graphql.Response) {
	rep.op, rep.resp = op, resp
	if resp == nil {
		rep.timedOut, rep.status = true, http.StatusServiceUnavailable
	}
}

// timeoutError is the error of an operation whose deadline passed before
// it ran (timeoutBody) or while its deferred parts were still streaming.
var timeoutError = &gqlerror.Error{Message: "the request took too long and was stopped", Extensions: map[string]any{"code": "TIMEOUT"}}

// timeoutBody answers an operation whose deadline passed before it ran.
const timeoutBody = `{"errors":[{"message":"the request took too long and was stopped","extensions":{"code":"TIMEOUT"}}]}`

// body is the response's JSON. With graphql-response+json an error status
// means a request error, which has no "data" entry at all (not even null).
func (rep reply) body() ([]byte, error) {
	if rep.timedOut {
		return []byte(timeoutBody), nil
	}
	if rep.media == mediaResponse && rep.status >= 400 {
		// Only Errors and Extensions: a request error has no incremental
		// delivery fields.
		return json.Marshal(struct {
			Errors     gqlerror.List  `json:"errors,omitempty"`
			Extensions map[string]any `json:"extensions,omitempty"`
		}{rep.resp.Errors, rep.resp.Extensions})
	}
	return json.Marshal(rep.resp)
}

// write sends the response, deciding in one place:
//   - Content-Type: the media type the request asked for (application/json
//     for the 503 of a passed deadline);
//   - Retry-After: whole seconds, on a 429;
//   - Vary: Authorization, since a viewer's responses differ;
//   - Cache-Control: for a GET that executed without errors, from the
//     operation's @cacheControl hint (public only when anonymous and
//     every field is public); else no-store;
//   - the caller's own headers (Headers) unless Cache-Control is public;
//   - ETag on every GET 200, and 304 for a matching If-None-Match.
func (t *Transport) write(w http.ResponseWriter, r *http.Request, rep reply, body []byte) {
	h := w.Header()
	switch {
	case rep.timedOut:
		h.Set("Content-Type", mediaJSON)
	case rep.media != "":
		h.Set("Content-Type", rep.media)
	}
	if rep.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((rep.retryAfter+time.Second-1)/time.Second)))
	}
	h.Add("Vary", "Authorization")
	cc := t.cacheControl(r, rep)
	h.Set("Cache-Control", cc)
	// Per-caller headers (the caller's budget) never go on a response a
	// shared cache may keep and replay to others.
	if t.headers != nil && !strings.HasPrefix(cc, "public") {
		t.headers(r.Context(), h)
	}
	if r.Method == http.MethodGet && rep.status == http.StatusOK {
		sum := sha256.Sum256(body)
		etag := `W/"` + hex.EncodeToString(sum[:16]) + `"`
		h.Set("ETag", etag)
		if matches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(rep.status)
	w.Write(body)
}

// cacheControl is the response's Cache-Control. Only a GET query that ran
// without errors may be cached; its hint is static (it depends on the
// query, not the data), so it is computed only then.
func (t *Transport) cacheControl(r *http.Request, rep reply) string {
	if r.Method != http.MethodGet || rep.status != http.StatusOK || rep.op == nil || rep.resp == nil || len(rep.resp.Errors) > 0 {
		return "no-store"
	}
	h := t.hints.of(rep.op)
	switch {
	case h.maxAge <= 0:
		return "no-store"
	case h.scope == scopePublic && (t.signedIn == nil || !t.signedIn(r)):
		return fmt.Sprintf("public, max-age=%d", h.maxAge)
	default:
		return fmt.Sprintf("private, max-age=%d", h.maxAge)
	}
}

// matches reports whether an If-None-Match header names etag (weakly).
func matches(ifNoneMatch, etag string) bool {
	for _, candidate := range strings.Split(ifNoneMatch, ",") {
		c := strings.TrimSpace(candidate)
		if c == "*" || c == etag || "W/"+c == etag {
			return true
		}
	}
	return false
}
