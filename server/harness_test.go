package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"regexp"
	"runtime/pprof"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/graph/reqlog/reqlogtest"
)

// The harness of the server tests, in one place: run as a command or as a
// server in the background, requests to it and their replies, its log
// (reqlogtest.Sink, the graph tests' sink too), the test Redis, and the one
// helper that polls (waitFor). Every helper takes its test first and calls
// t.Helper().

// testSecret is a JWT_SECRET long enough for production mode.
const testSecret = "0123456789abcdef0123456789abcdef"

// productsData is the data of a products(first: …) query.
type productsData struct {
	Products struct {
		TotalCount int `json:"totalCount"`
		Edges      []struct {
			Node struct {
				Title string `json:"title"`
			} `json:"node"`
		} `json:"edges"`
	} `json:"products"`
}

// env is a getenv over vars.
func env(vars map[string]string) func(string) string {
	return func(name string) string { return vars[name] }
}

// runCommand runs a one-shot subcommand to completion, with nothing on
// stdin, and returns its stdout.
func runCommand(t *testing.T, vars map[string]string, args ...string) (string, error) {
	t.Helper()
	out, _, err := runInput(t, vars, "", args...)
	return out, err
}

// runInput runs a one-shot subcommand to completion with stdin and returns
// its stdout and stderr.
func runInput(t *testing.T, vars map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	vars["LOG_FORMAT"] = "text"
	var out, errOut reqlogtest.Sink
	err = run(t.Context(), args, env(vars), strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// server is run serving in the background.
type server struct {
	addr   string
	out    *reqlogtest.Sink // run's log
	cancel context.CancelFunc
	done   chan error // receives run's result
	client *http.Client
}

// startServer runs the server with vars (plus a free ADDR and text logs) and
// waits until it answers /healthz. It is stopped when the test ends, if the
// test did not stop it.
func startServer(t *testing.T, vars map[string]string) *server {
	t.Helper()
	// Port 0, resolved by run's own listener and read from its log: a
	// port picked here and bound later could be taken in between by a
	// test running alongside.
	vars["ADDR"] = "127.0.0.1:0"
	vars["LOG_FORMAT"] = "text"
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{
		out:    &reqlogtest.Sink{},
		cancel: cancel,
		done:   make(chan error, 1),
		client: &http.Client{Timeout: 10 * time.Second},
	}
	go func() { s.done <- run(ctx, []string{"server"}, env(vars), strings.NewReader(""), s.out, s.out) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
			t.Errorf("got run still running 20s after cancel, want it returned")
		}
	})

	var runErr error
	waitFor(t, 60*time.Second, "the server to answer /healthz", func() bool {
		select {
		case runErr = <-s.done:
			s.done <- runErr // for the cleanup
			return true
		default:
		}
		if s.addr == "" {
			m := servingAddr.FindStringSubmatch(s.out.String())
			if m == nil {
				return false
			}
			s.addr = m[1]
		}
		res, err := s.client.Get("http://" + s.addr + "/healthz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
	if runErr != nil {
		t.Fatalf("run before serving: got error %v, want it serving; output:\n%s", runErr, s.out)
	}
	return s
}

// stop cancels run and checks that it returns nil promptly.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.client.CloseIdleConnections()
	s.cancel()
	s.wait(t)
}

// wait checks that run, already cancelled, returns nil within a few seconds.
func (s *server) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		if err != nil {
			t.Errorf("run after cancel: got error %v, want nil; output:\n%s", err, s.out)
		}
	case <-time.After(5 * time.Second):
		var stacks strings.Builder
		pprof.Lookup("goroutine").WriteTo(&stacks, 1)
		t.Fatalf("run after cancel: got it still running after 5s, want it returned; output:\n%s\ngoroutines:\n%s", s.out, stacks.String())
	}
}

// response is a fully read HTTP response.
type response struct {
	StatusCode int
	Header     http.Header
	Body       string
}

func (s *server) do(t *testing.T, req *http.Request) response {
	t.Helper()
	res, err := s.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: got error %v, want nil", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: got error %v, want nil", req.Method, req.URL.Path, err)
	}
	return response{StatusCode: res.StatusCode, Header: res.Header, Body: string(body)}
}

func (s *server) get(t *testing.T, path string, header http.Header) response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+s.addr+path, nil)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	return s.do(t, req)
}

// post sends a GraphQL query and checks the response is 200 JSON.
func (s *server) post(t *testing.T, query string) response {
	t.Helper()
	body, err := json.Marshal(map[string]string{"query": query})
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+s.addr+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	req.Header.Set("Content-Type", "application/json")
	res := s.do(t, req)
	if res.StatusCode != http.StatusOK {
		t.Fatalf("POST /graphql %s: got status %d %s, want 200", query, res.StatusCode, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("POST /graphql Content-Type: got %q, want application/json", ct)
	}
	return res
}

// query runs a GraphQL query that must succeed and decodes its data.
func (s *server) query(t *testing.T, query string, data any) {
	t.Helper()
	res := s.post(t, query)
	var gql struct {
		Data   json.RawMessage  `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal([]byte(res.Body), &gql); err != nil {
		t.Fatalf("POST /graphql %s: got invalid JSON %q (%v), want JSON", query, res.Body, err)
	}
	if len(gql.Errors) > 0 {
		t.Fatalf("POST /graphql %s: got errors %s, want none", query, res.Body)
	}
	if err := json.Unmarshal(gql.Data, data); err != nil {
		t.Fatalf("POST /graphql %s: decode data %s: got error %v, want nil", query, gql.Data, err)
	}
}

// servingAddr finds the address run listens on in its text log.
var servingAddr = regexp.MustCompile(`msg=serving addr=(\S+)`)

// waitRefused waits until addr refuses new connections.
func waitRefused(t *testing.T, addr string) {
	t.Helper()
	waitFor(t, 5*time.Second, addr+" to refuse connections (listener closed)", func() bool {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err != nil {
			return true
		}
		conn.Close()
		return false
	})
}

// waitFor polls cond until it holds, failing t if timeout passes first. It
// is the only place a server test sleeps: between polls of a condition
// nothing signals (a port that stops listening, a server that starts
// answering). The timeout is a safety net, never what a test asserts.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %v: got no %s, want it", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// graphQLReply is a decoded GraphQL response.
type graphQLReply struct {
	Data   json.RawMessage `json:"data"`
	Errors []struct {
		Message string `json:"message"`
	} `json:"errors"`
}

func decodeReply(t *testing.T, res response) graphQLReply {
	t.Helper()
	var g graphQLReply
	if err := json.Unmarshal([]byte(res.Body), &g); err != nil {
		t.Fatalf("got status %d and invalid JSON %q (%v), want JSON", res.StatusCode, res.Body, err)
	}
	return g
}

// postPayload POSTs a JSON payload to /graphql.
func postPayload(t *testing.T, s *server, payload any) graphQLReply {
	t.Helper()
	return decodeReply(t, postRaw(t, s, payload))
}

// postRaw POSTs a JSON payload to /graphql and returns the response.
func postRaw(t *testing.T, s *server, payload any) response {
	t.Helper()
	body, err := json.Marshal(payload)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, "http://"+s.addr+"/graphql", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	req.Header.Set("Content-Type", "application/json")
	return s.do(t, req)
}

func persisted(hash string) map[string]any {
	return map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hash}}
}

// testRedisURL is the test Redis's URL (storetest.RedisURL), once it has
// answered: an unreachable Redis fails the test rather than skipping it.
func testRedisURL(t *testing.T) string {
	t.Helper()
	storetest.Redis(t)
	return storetest.RedisURL()
}
