package graph_test

import (
	"net/http"
	"net/netip"
	"testing"

	"github.com/shopgraph/shopgraph/graph/limits"
)

// TestEdgeClientsBehindAProxy: the client address the per-client limits
// see (signIn's ration per IP, the anonymous cost budget) is the one a
// trusted proxy reports, read from the right; without trusted proxies the
// headers are ignored, so inventing addresses buys a client nothing. The
// test client is the proxy: it connects from loopback and writes the
// headers a load balancer would.
func TestEdgeClientsBehindAProxy(t *testing.T) {
	t.Parallel()
	signIn := map[string]any{"query": `mutation { signIn(input: {email: "nobody@example.com", password: "wrong password"}) { token } }`}
	// signIns sends one signIn per header set and counts those the
	// ration let through; past the ration each must be RATE_LIMITED.
	signIns := func(t *testing.T, e *env, headers ...http.Header) (allowed int) {
		t.Helper()
		for i, h := range headers {
			r := edgePostJSON(t, e, signIn, h)
			if r.status != http.StatusTooManyRequests {
				allowed++
				continue
			}
			if got := r.code(t); got != limits.CodeRateLimited {
				t.Errorf("signIn %d with %v: got a 429 with code %q, want %s", i+1, h, got, limits.CodeRateLimited)
			}
		}
		return allowed
	}
	xff := func(v string) http.Header { return http.Header{"X-Forwarded-For": {v}} }
	thrice := func(h http.Header) []http.Header { return []http.Header{h, h, h} }
	// remaining is the cost budget left after one query (X-RateLimit-*).
	remaining := func(t *testing.T, e *env, h http.Header) string {
		t.Helper()
		payload := map[string]any{"query": edgeBudgetQuery}
		r := edgePostJSON(t, e, payload, h)
		if r.status != http.StatusOK {
			t.Fatalf("query with %v: got status %d, want 200:\n%s", h, r.status, r.body)
		}
		return r.header.Get("X-RateLimit-Remaining")
	}
	// serve is an API whose clock stands still: a ration of 2 signIns
	// and a budget of 100 (edgeBudgetQuery costs 7) never refill.
	serve := func(t *testing.T, opts ...envOption) *env {
		clk := newClock()
		return edgeEnv(t, append([]envOption{
			withClock(clk),
			withSignInLimit(limits.NewMemory(limits.Rule{Capacity: 2, PerSecond: 1}, limits.WithClock(clk.Now))),
			withEdgeBudget(limits.NewMemory(limits.Rule{Capacity: 100, PerSecond: 1}, limits.WithClock(clk.Now))),
		}, opts...)...)
	}

	t.Run("BehindATrustedProxy", func(t *testing.T) {
		t.Parallel()
		e := serve(t, func(o *envConfig) {
			o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
		})
		t.Run("EachClientItsOwnSignInRation", func(t *testing.T) {
			if a := signIns(t, e, thrice(xff("203.0.113.1"))...); a != 2 {
				t.Errorf("client 203.0.113.1, 3 signIns: got %d allowed, want 2 (its ration, then refused)", a)
			}
			if b := signIns(t, e, thrice(xff("203.0.113.2"))...); b != 2 {
				t.Errorf("client 203.0.113.2 after 203.0.113.1 spent its ration: got %d allowed, want 2 (a ration of its own)", b)
			}
		})
		t.Run("SpoofedLeftEntriesBuyNothing", func(t *testing.T) {
			// The client writes any X-Forwarded-For it likes; the proxy
			// appends the address it really came from.
			a := signIns(t, e, xff("198.51.100.1, 203.0.113.3"), xff("198.51.100.2, 203.0.113.3"), xff("garbage, 203.0.113.3"))
			if a != 2 {
				t.Errorf("one client, three invented left-most entries: got %d signIns allowed, want 2 (the real client's ration)", a)
			}
		})
		t.Run("ForwardedNamesTheClient", func(t *testing.T) {
			fwd := func(v string) http.Header { return http.Header{"Forwarded": {v}} }
			if a := signIns(t, e, thrice(fwd(`for="[2001:db8::1]:4711";proto=https`))...); a != 2 {
				t.Errorf("Forwarded client 2001:db8::1: got %d signIns allowed, want 2", a)
			}
			if a := signIns(t, e, thrice(fwd(`for="[2001:db8::2]"`))...); a != 2 {
				t.Errorf("Forwarded client 2001:db8::2: got %d signIns allowed, want 2 (its own ration)", a)
			}
			// Forwarded is preferred: varying X-Forwarded-For beside it
			// does not make new clients.
			both := func(x string) http.Header {
				return http.Header{"Forwarded": {"for=203.0.113.4"}, "X-Forwarded-For": {x}}
			}
			if a := signIns(t, e, both("198.51.100.3"), both("198.51.100.4"), both("198.51.100.5")); a != 2 {
				t.Errorf("one Forwarded client, three X-Forwarded-For values: got %d signIns allowed, want 2", a)
			}
		})
		t.Run("UnusableValuesMeanThePeer", func(t *testing.T) {
			// No header, garbage, "unknown": each is the proxy itself,
			// one ration between them.
			a := signIns(t, e, nil, xff("not-an-ip"), http.Header{"Forwarded": {"for=unknown"}})
			if a != 2 {
				t.Errorf("no header, garbage and unknown: got %d signIns allowed, want 2 (the peer's ration, shared)", a)
			}
		})
		t.Run("EachClientItsOwnCostBudget", func(t *testing.T) {
			a, b := xff("203.0.113.50"), xff("203.0.113.51")
			got := []string{remaining(t, e, a), remaining(t, e, a), remaining(t, e, b)}
			if want := []string{"93", "86", "93"}; got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
				t.Errorf("budget left after client A, A, B: got %v, want %v (B has its own)", got, want)
			}
		})
	})

	t.Run("NoTrustedProxies", func(t *testing.T) {
		t.Parallel()
		e := serve(t)
		t.Run("InventedAddressesShareThePeersBudget", func(t *testing.T) {
			got := []string{remaining(t, e, xff("203.0.113.50")), remaining(t, e, xff("203.0.113.51"))}
			if want := []string{"93", "86"}; got[0] != want[0] || got[1] != want[1] {
				t.Errorf("budget left after two invented clients: got %v, want %v (one budget: the peer's)", got, want)
			}
		})
		t.Run("InventedAddressesShareThePeersRation", func(t *testing.T) {
			a := signIns(t, e, xff("203.0.113.1"), xff("203.0.113.2"), http.Header{"Forwarded": {"for=203.0.113.3"}})
			if a != 2 {
				t.Errorf("three invented client addresses: got %d signIns allowed, want 2 (one ration: the peer's)", a)
			}
		})
	})
}
