package gqlhttp

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Incremental delivery (@defer) over multipart/mixed, as the GraphQL over
// HTTP incremental-delivery RFC and the clients that implement it (Apollo
// Client, graphql-tools' executor-http, urql, Relay through meros) read it:
//
//	Content-Type: multipart/mixed; boundary="-"; deferSpec=20220824
//
//	\r\n---\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{"data":…,"hasNext":true}
//	\r\n---\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{"incremental":[{"data":…,"path":[…]}],"hasNext":false}
//	\r\n-----\r\n
//
// gqlgen's own transport.MultipartMixed writes the same payloads, but it
// is a second transport beside this one: it reads the body without the
// caller's limits, logs request bodies on decode errors, answers refusals
// with its own statuses and none of this endpoint's headers, and batches
// parts on a 1 ms ticker goroutine per request. Here the request is read,
// priced and refused exactly as any other; only a query that actually
// deferred something is streamed, one part per deferred result, each
// flushed as soon as it is ready.

const (
	multipartBoundary = "-"
	multipartMedia    = `multipart/mixed; boundary="` + multipartBoundary + `"; deferSpec=20220824`
	partHeader        = "Content-Type: application/json; charset=utf-8\r\n\r\n"
	partDelimiter     = "\r\n--" + multipartBoundary + "\r\n"
	closeDelimiter    = "\r\n--" + multipartBoundary + "--\r\n"
)

// AcceptsIncremental reports whether a request with header h accepts
// incremental delivery: its Accept lists multipart/mixed.
func AcceptsIncremental(h http.Header) bool {
	for _, accept := range h.Values("Accept") {
		for part := range strings.SplitSeq(accept, ",") {
			if mt, _, err := mime.ParseMediaType(strings.TrimSpace(part)); err == nil && mt == "multipart/mixed" {
				return true
			}
		}
	}
	return false
}

// incrementalItem is one deferred result inside an "incremental" list.
type incrementalItem struct {
	Data       json.RawMessage `json:"data"`
	Path       ast.Path        `json:"path"`
	Label      string          `json:"label,omitempty"`
	Errors     gqlerror.List   `json:"errors,omitempty"`
	Extensions map[string]any  `json:"extensions,omitempty"`
}

type incrementalPayload struct {
	Incremental []incrementalItem `json:"incremental"`
	Errors      gqlerror.List     `json:"errors,omitempty"`
	HasNext     bool              `json:"hasNext"`
}

// stream writes rep, whose operation deferred part of its result, as a
// multipart/mixed response: the initial result, then each deferred one as
// it arrives from rep.next. The status is 200 (errors travel in the
// parts, as in any executed operation) and the response is never cached:
// its parts arrive over time and an ETag of the first would be a lie.
func (t *Transport) stream(w http.ResponseWriter, r *http.Request, rep reply) {
	h := w.Header()
	h.Set("Content-Type", multipartMedia)
	h.Add("Vary", "Authorization")
	h.Set("Cache-Control", "no-store")
	if t.headers != nil {
		t.headers(r.Context(), h)
	}
	w.WriteHeader(http.StatusOK)
	flush := http.NewResponseController(w).Flush

	io.WriteString(w, partDelimiter)
	hasNext := rep.resp.HasNext != nil && *rep.resp.HasNext
	initial := *rep.resp
	initial.HasNext = &hasNext
	writePart(w, &initial, hasNext)
	flush()
	for hasNext {
		resp, ok := nextBefore(r.Context(), rep.next)
		if !ok {
			// The deadline passed mid-stream: end the stream with the
			// reason. A client that left reads nothing, so it gets none.
			if errors.Is(r.Context().Err(), context.DeadlineExceeded) {
				writePart(w, incrementalPayload{Incremental: []incrementalItem{}, Errors: gqlerror.List{timeoutError}}, false)
			}
			break
		}
		if resp == nil {
			// The executor has nothing more although it promised more:
			// end the stream properly rather than leave the client waiting.
			writePart(w, incrementalPayload{Incremental: []incrementalItem{}}, false)
			break
		}
		hasNext = resp.HasNext != nil && *resp.HasNext
		writePart(w, incrementalPayload{
			Incremental: []incrementalItem{{Data: resp.Data, Path: resp.Path, Label: resp.Label, Errors: resp.Errors, Extensions: resp.Extensions}},
			HasNext:     hasNext,
		}, hasNext)
		flush()
	}
	flush()
}

// writePart writes one JSON part and the delimiter after it: the next
// part's, or the closing one after the last, so a client knows a part is
// complete as soon as it arrives.
func writePart(w io.Writer, payload any, more bool) {
	body, err := json.Marshal(payload)
	if err != nil {
		panic(err) // as gqlgen's transports do: the payload is gqlgen's own JSON
	}
	io.WriteString(w, partHeader)
	w.Write(body)
	if more {
		io.WriteString(w, partDelimiter)
	} else {
		io.WriteString(w, closeDelimiter)
	}
}

// nextBefore waits for the next deferred result until ctx ends. gqlgen's
// generated executor reads its deferred results with no select on the
// context, while the goroutine that would send one gives up when the
// context ends: waited on directly, a request whose client left (or whose
// deadline passed) mid-stream would hang forever. The reading goroutine is
// still left blocked then (one per such request, inside gqlgen, until a
// fix upstream), but the handler returns and frees its connection and its
// in-flight slot.
func nextBefore(ctx context.Context, next func() *graphql.Response) (*graphql.Response, bool) {
	ch := make(chan *graphql.Response, 1)
	go func() { ch <- next() }()
	select {
	case resp := <-ch:
		return resp, true
	case <-ctx.Done():
		return nil, false
	}
}
