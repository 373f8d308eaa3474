package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"
)

// process is a server (the shopgraph binary or the plain handler) the
// benchmark started, with the URL it serves.
type process struct {
	name string
	cmd  *exec.Cmd
	base string // http://127.0.0.1:port
	done chan error
}

// startProcess starts bin with args and env, logging to logPath, and waits
// until GET base+ready answers 200.
func startProcess(ctx context.Context, name, bin string, args, env []string, logPath, ready string, port int) (*process, error) {
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &process{name: name, cmd: cmd, base: "http://127.0.0.1:" + strconv.Itoa(port), done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait(); logf.Close() }()
	if err := p.waitReady(ctx, ready); err != nil {
		p.stop()
		return nil, fmt.Errorf("%s (log: %s): %w", name, logPath, err)
	}
	return p, nil
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) waitReady(ctx context.Context, path string) error {
	deadline := time.Now().Add(60 * time.Second)
	client := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		select {
		case err := <-p.done:
			return fmt.Errorf("exited before it was ready: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(p.base + path)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
	}
	return fmt.Errorf("not ready after 60s")
}

// stop asks the process to drain and exit (SIGTERM), and kills it if it
// has not after ten seconds.
func (p *process) stop() {
	select {
	case <-p.done:
		return
	default:
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// serverEnv is the production environment of a benchmark server: demand
// control raised so no request is throttled or refused for its cost, the
// pool at its default of 10, and nothing inherited from the caller's
// environment (a stray REDIS_URL or DATABASE_URL would change what is
// measured).
func serverEnv(dbURL, jwtSecret string, port int) []string {
	return []string{
		"APP_ENV=production",
		"ADDR=127.0.0.1:" + strconv.Itoa(port),
		"DATABASE_URL=" + dbURL,
		"DB_MAX_CONNS=10",
		"JWT_SECRET=" + jwtSecret,
		"MAX_COST=100000000",
		"RATE_LIMIT_CAPACITY=1000000000000",
		"RATE_LIMIT_PER_SECOND=1000000000000",
		"SIGNIN_PER_MINUTE=1000",
		"LOG_FORMAT=json",
		"DATA_DIR=" + os.TempDir(),
	}
}

// graphqlRequest is a POST body.
type graphqlRequest struct {
	Query     string         `json:"query"`
	Variables map[string]any `json:"variables,omitempty"`
}

// postGraphQL sends one query and decodes the response; a GraphQL error is
// an error.
func postGraphQL(ctx context.Context, url, token string, req graphqlRequest, out any) ([]byte, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return nil, err
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept-Encoding", "identity")
	if token != "" {
		hr.Header.Set("Authorization", "Bearer "+token)
	}
	raw, err := readOK(http.DefaultClient.Do(hr))
	if err != nil {
		return raw, err
	}
	var env struct {
		Errors []json.RawMessage `json:"errors"`
		Data   json.RawMessage   `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil {
		return raw, fmt.Errorf("decode response: %w", err)
	}
	if len(env.Errors) > 0 {
		return raw, fmt.Errorf("GraphQL errors: %s", truncate(raw, 300))
	}
	if out != nil {
		if err := json.Unmarshal(env.Data, out); err != nil {
			return raw, fmt.Errorf("decode data: %w", err)
		}
	}
	return raw, nil
}

// readOK reads the body of a response that must be 200 OK; a failed
// request or another status is an error (with the body, when there is one).
func readOK(resp *http.Response, err error) ([]byte, error) {
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return body, fmt.Errorf("HTTP %d: %s", resp.StatusCode, truncate(body, 300))
	}
	return body, nil
}

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "..."
	}
	return string(b)
}

// signIn returns a bearer token for email with the demo password.
func signIn(ctx context.Context, url, email, password string) (string, error) {
	var out struct {
		SignIn struct {
			Token string `json:"token"`
		} `json:"signIn"`
	}
	_, err := postGraphQL(ctx, url, "", graphqlRequest{
		Query:     `mutation($in: SignInInput!) { signIn(input: $in) { token } }`,
		Variables: map[string]any{"in": map[string]any{"email": email, "password": password}},
	}, &out)
	if err != nil {
		return "", fmt.Errorf("sign in as %s: %w", email, err)
	}
	if out.SignIn.Token == "" {
		return "", fmt.Errorf("sign in as %s: empty token", email)
	}
	return out.SignIn.Token, nil
}

// pickSlug returns the slug of the first active product, for the lookup
// scenario.
func pickSlug(ctx context.Context, url string) (string, error) {
	var out struct {
		Products struct {
			Edges []struct {
				Node struct {
					Slug string `json:"slug"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"products"`
	}
	_, err := postGraphQL(ctx, url, "", graphqlRequest{
		Query: `{ products(first: 1, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { slug } } } }`,
	}, &out)
	if err != nil {
		return "", fmt.Errorf("pick a product slug: %w", err)
	}
	if len(out.Products.Edges) == 0 {
		return "", fmt.Errorf("pick a product slug: the catalogue is empty")
	}
	return out.Products.Edges[0].Node.Slug, nil
}
