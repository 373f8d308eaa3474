package gqlhttp

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestDeadlineAnswersStuckWork: over real HTTP, a handler stuck on
// something that ignores its context (a hanging database) is answered 503
// TIMEOUT at the deadline, and its late writes go nowhere; a handler that
// began its response, or holds its answer (a mutation), keeps it; a
// handler that panics in time still reaches net/http's own handling.
func TestDeadlineAnswersStuckWork(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	late := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/stuck", func(w http.ResponseWriter, r *http.Request) {
		<-release // ignores r.Context(), as a blocked socket read does
		_, err := io.WriteString(w, "late")
		late <- err
	})
	mux.HandleFunc("/begun", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first ")
		http.NewResponseController(w).Flush()
		<-r.Context().Done()
		io.WriteString(w, "last")
	})
	mux.HandleFunc("/held", func(w http.ResponseWriter, r *http.Request) {
		if !hold(r.Context()) {
			t.Error("hold before the deadline: got false")
		}
		<-r.Context().Done()
		time.Sleep(50 * time.Millisecond) // the commit's reply, after the deadline
		io.WriteString(w, "committed")
	})
	mux.HandleFunc("/panics", func(w http.ResponseWriter, r *http.Request) {
		panic(http.ErrAbortHandler)
	})
	srv := httptest.NewServer(Deadline(100*time.Millisecond, slog.New(slog.DiscardHandler))(mux))
	defer srv.Close()
	get := func(path string) (int, http.Header, string, error) {
		res, err := http.Get(srv.URL + path)
		if err != nil {
			return 0, nil, "", err
		}
		defer res.Body.Close()
		body, err := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(body), err
	}

	status, header, body, err := get("/stuck")
	if err != nil || status != http.StatusServiceUnavailable || body != timeoutBody || header.Get("Retry-After") == "" {
		t.Fatalf("stuck handler: got %d %q (Retry-After %q, error %v), want 503 TIMEOUT with Retry-After", status, body, header.Get("Retry-After"), err)
	}
	release <- struct{}{}
	if err := <-late; err != http.ErrHandlerTimeout {
		t.Fatalf("write after the deadline answered: got error %v, want http.ErrHandlerTimeout", err)
	}
	if status, _, body, err := get("/begun"); err != nil || status != http.StatusOK || body != "first last" {
		t.Fatalf("begun response: got %d %q (%v), want 200 with both parts", status, body, err)
	}
	if status, _, body, err := get("/held"); err != nil || status != http.StatusOK || body != "committed" {
		t.Fatalf("held answer: got %d %q (%v), want 200 committed", status, body, err)
	}
	if _, _, _, err := get("/panics"); err == nil || !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("aborting handler: got error %v, want the connection closed (net/http's ErrAbortHandler)", err)
	}
}

// TestHoldAfterDeadline: once Deadline has answered, hold refuses, so a
// mutation that has not started never runs.
func TestHoldAfterDeadline(t *testing.T) {
	aw := &answerWriter{w: httptest.NewRecorder(), h: http.Header{}}
	ctx := context.WithValue(context.Background(), answerKey{}, aw)
	if !aw.expire() {
		t.Fatal("expire with nothing written: got false")
	}
	if hold(ctx) {
		t.Fatal("hold after the deadline answered: got true, want false")
	}
	if !hold(context.Background()) {
		t.Fatal("hold outside Deadline: got false, want true")
	}
}
