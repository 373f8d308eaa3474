package graph_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/shopgraph/shopgraph/graph/limits"
)

// TestEdgeClientsBehindAProxy: behind a trusted proxy (here the test
// client itself, on 127.0.0.1), each client the proxy names has its own
// sign-in ration; without trusted proxies the header is ignored, so
// inventing addresses buys a client nothing.
func TestEdgeClientsBehindAProxy(t *testing.T) {
	signIn := map[string]any{"query": `mutation { signIn(input: {email: "nobody@example.com", password: "wrong password"}) { token } }`}
	tries := func(e *env, client string) (allowed int) {
		t.Helper()
		for range 3 {
			r := edgePostJSON(t, e, signIn, http.Header{"X-Forwarded-For": {client}})
			if r.status != http.StatusTooManyRequests {
				allowed++
			}
		}
		return allowed
	}
	rule := func() limits.Limiter { return limits.NewMemory(limits.Rule{Capacity: 2, PerSecond: 0.0001}) }

	behind := edgeEnv(t, withSignInLimit(rule()), func(o *envConfig) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	if a, b := tries(behind, "203.0.113.1"), tries(behind, "203.0.113.2"); a != 2 || b != 2 {
		t.Fatalf("two clients behind a trusted proxy: got %d and %d sign-ins allowed, want 2 each (their own rations)", a, b)
	}

	direct := edgeEnv(t, withSignInLimit(rule()))
	if a, b := tries(direct, "203.0.113.1"), tries(direct, "203.0.113.2"); a+b != 2 {
		t.Fatalf("no trusted proxies, invented X-Forwarded-For: got %d sign-ins allowed, want 2 in all (one ration: the peer's)", a+b)
	}
}
