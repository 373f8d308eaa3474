package graph

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Trusted proxies and the client's address. Behind a load balancer the TCP
// peer is the balancer, so every anonymous caller would share one cost
// budget and one sign-in ration. The address a trusted proxy reports in
// Forwarded (RFC 7239) or X-Forwarded-For is used instead, walked from the
// right: each proxy appends the address it received the request from, so
// entries left of the first untrusted one may be anything the client
// wrote. A peer that is not a trusted proxy is the client, whatever its
// headers say. Hand-written because it is thirty lines over net/netip and
// the proxy-header libraries in reach either trust the left-most entry or
// pull in a framework.

// ProxyCIDRs parses TRUSTED_PROXIES entries: CIDRs or single addresses.
func ProxyCIDRs(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

type trusted []netip.Prefix

func (t trusted) has(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientAddr is the request's client as the trusted-proxy rules see it.
func (t trusted) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil || len(t) == 0 || !t.has(peer) {
		return host
	}
	chain, ok := forwardedFor(r.Header)
	if !ok || len(chain) == 0 {
		return peer.Unmap().String()
	}
	for i := len(chain) - 1; i >= 0; i-- {
		if !t.has(chain[i]) {
			return chain[i].String()
		}
	}
	return chain[0].String() // every hop is ours: the first is the client
}

// forwardedFor is the chain of client addresses the headers report, left
// to right: Forwarded's for= values if that header is present, else
// X-Forwarded-For's, every header line in order. ok is false when a value
// cannot be used (garbage, an obfuscated or "unknown" node): then none of
// it is believed.
func forwardedFor(h http.Header) (chain []netip.Addr, ok bool) {
	if lines := h.Values("Forwarded"); len(lines) > 0 {
		for _, line := range lines {
			for elem := range strings.SplitSeq(line, ",") {
				for pair := range strings.SplitSeq(elem, ";") {
					k, v, found := strings.Cut(strings.TrimSpace(pair), "=")
					if !found || !strings.EqualFold(k, "for") {
						continue
					}
					a, ok := parseNode(strings.Trim(v, `"`))
					if !ok {
						return nil, false
					}
					chain = append(chain, a)
				}
			}
		}
		return chain, true
	}
	for _, line := range h.Values("X-Forwarded-For") {
		for v := range strings.SplitSeq(line, ",") {
			a, ok := parseNode(strings.TrimSpace(v))
			if !ok {
				return nil, false
			}
			chain = append(chain, a)
		}
	}
	return chain, true
}

// parseNode reads an address with an optional port: 192.0.2.1,
// 192.0.2.1:80, [2001:db8::1]:80, [2001:db8::1], 2001:db8::1.
func parseNode(s string) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

type clientIPKey struct{}

// withClientIP records the caller's address for per-client limits: the
// connection's peer, or what trusted proxies say it is.
func withClientIP(proxies []netip.Prefix, next http.Handler) http.Handler {
	t := trusted(proxies)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), clientIPKey{}, t.clientAddr(r))))
	})
}

func clientIP(ctx context.Context) string {
	ip, _ := ctx.Value(clientIPKey{}).(string)
	return ip
}
