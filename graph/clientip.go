package graph

import (
	"context"
	"fmt"
	"iter"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// Trusted proxies and the client's address.
//
// Behind a load balancer the TCP peer is the balancer, so every anonymous
// caller would share one cost budget and one sign-in ration. The address a
// trusted proxy reports in Forwarded (RFC 7239) or X-Forwarded-For is used
// instead, read the standard way: right to left. Each proxy appends the
// address it received the request from, so only entries appended by our
// own proxies are facts; everything left of the first untrusted entry was
// written by the client, may be anything, and is never read (garbage there
// cannot steer the result either). A peer that is not a trusted proxy is
// the client, whatever its headers say. A value the walk reaches but
// cannot use (malformed, "unknown", an obfuscated name) means a trusted hop
// did not tell us who its client was: the peer is used then, never a guess.
//
// Hand-written over net/netip because no library in reach fits: the
// module proxy serves realclientip-go only as v1.0.0 (2022), whose
// right-most strategy ignores the peer (a directly connecting client's
// forged header is believed; fixed only in an untagged later commit),
// reads one header per strategy, returns nothing when every hop is
// trusted, works on net.IPNet and splits Forwarded without honouring
// quoted strings; sebest/xff takes the left-most public address, which the
// client chooses. Wrapping either would take as much code as the walk.

// ProxyCIDRs parses TRUSTED_PROXIES entries: CIDRs or single addresses,
// IPv4 or IPv6 (blank entries are skipped). IPv4-mapped IPv6 entries are
// stored as IPv4, as addresses are compared unmapped; zones are refused,
// since they name an interface of this host, not a proxy.
func ProxyCIDRs(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		var p netip.Prefix
		if strings.Contains(e, "/") {
			var err error
			if p, err = netip.ParsePrefix(e); err != nil {
				return nil, err
			}
		} else {
			a, err := netip.ParseAddr(e)
			if err != nil {
				return nil, err
			}
			if a.Zone() != "" {
				return nil, fmt.Errorf("%q: an IPv6 zone names a local interface, not a proxy", e)
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if p.Addr().Is4In6() {
			if p.Bits() < 96 {
				return nil, fmt.Errorf("%q: reaches beyond the IPv4-mapped range; write IPv4 ranges as IPv4", e)
			}
			p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// trusted is the set of proxies whose forwarding headers are believed.
type trusted []netip.Prefix

func (t trusted) has(a netip.Addr) bool {
	a = canonical(a)
	return slices.ContainsFunc(t, func(p netip.Prefix) bool { return p.Contains(a) })
}

// canonical is the form addresses are compared and keyed in: IPv4-mapped
// IPv6 as IPv4, no zone. One client has one key however it connects.
func canonical(a netip.Addr) netip.Addr { return a.Unmap().WithZone("") }

// clientAddr is the request's client as the trusted-proxy rules see it: a
// canonical address, or RemoteAddr's host as it is if that is not an IP
// address (a Unix socket's peer).
func (t trusted) clientAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	peer, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	peer = canonical(peer)
	if !t.has(peer) {
		return peer.String()
	}
	if a, ok := t.forwardedClient(r.Header); ok {
		return a.String()
	}
	return peer.String()
}

// forwardedClient walks the forwarded chain from the right past trusted
// hops: the first untrusted address is the client; if every hop is
// trusted, the left-most is. ok is false when there is no chain, or the
// walk reached a value it cannot use: the peer is the client then.
// Forwarded is read if present, else X-Forwarded-For.
func (t trusted) forwardedClient(h http.Header) (client netip.Addr, ok bool) {
	hops := xffHops(h.Values("X-Forwarded-For"))
	if lines := h.Values("Forwarded"); len(lines) > 0 {
		hops = forwardedHops(lines)
	}
	for a, usable := range hops {
		if !usable {
			return netip.Addr{}, false
		}
		client, ok = a, true
		if !t.has(a) {
			break
		}
	}
	return client, ok
}

// xffHops yields X-Forwarded-For's addresses right to left, header lines
// joined in order, each with whether it is usable (nothing follows one
// that is not). Empty list elements are skipped (RFC 9110 §5.6.1); each
// element is parsed only when the walk reaches it.
func xffHops(lines []string) iter.Seq2[netip.Addr, bool] {
	return func(yield func(netip.Addr, bool) bool) {
		for _, line := range slices.Backward(lines) {
			for rest := line; rest != ""; {
				var elem string
				if i := strings.LastIndexByte(rest, ','); i >= 0 {
					rest, elem = rest[:i], rest[i+1:]
				} else {
					rest, elem = "", rest
				}
				elem = strings.TrimSpace(elem)
				if elem == "" {
					continue
				}
				if a, ok := parseNode(elem); !yield(a, ok) || !ok {
					return
				}
			}
		}
	}
}

// forwardedHops yields Forwarded's for= addresses right to left, header
// lines joined in order, each with whether it is usable. A line is parsed
// whole when the walk reaches it (a quoted string may hold commas, so its
// elements cannot be cut from the right); a line the walk never reaches is
// never read. A malformed line, an element without for=, "unknown" and
// obfuscated names are unusable.
func forwardedHops(lines []string) iter.Seq2[netip.Addr, bool] {
	return func(yield func(netip.Addr, bool) bool) {
		for _, line := range slices.Backward(lines) {
			elems, ok := forwardedElements(line)
			if !ok {
				yield(netip.Addr{}, false)
				return
			}
			for _, e := range slices.Backward(elems) {
				a, ok := netip.Addr{}, false
				if e.hasFor {
					a, ok = forwardedNode(e.forValue)
				}
				if !yield(a, ok) || !ok {
					return
				}
			}
		}
	}
}

// forwardedElement is one proxy's entry in a Forwarded line.
type forwardedElement struct {
	forValue string // the for= value, unquoted
	hasFor   bool
}

// forwardedElements parses one Forwarded header line (RFC 7239 §4):
// comma-separated elements of semicolon-separated name=value pairs, the
// value a token or a quoted string. Whitespace around separators is
// tolerated; empty elements are skipped. ok is false for anything else,
// and for a repeated for= in one element (§4: a parameter occurs at most
// once per element), which would leave the hop ambiguous.
func forwardedElements(line string) (elems []forwardedElement, ok bool) {
	var cur forwardedElement
	pairs := 0
	i := 0
	for {
		i = skipSpace(line, i)
		if i == len(line) || line[i] == ',' {
			if pairs > 0 {
				elems = append(elems, cur)
			}
			if i == len(line) {
				return elems, true
			}
			cur, pairs = forwardedElement{}, 0
			i++
			continue
		}
		if line[i] == ';' {
			i++
			continue
		}
		j := i
		for j < len(line) && isTokenChar(line[j]) {
			j++
		}
		if j == i || j == len(line) || line[j] != '=' {
			return nil, false
		}
		name := line[i:j]
		var value string
		if value, i, ok = forwardedValue(line, j+1); !ok {
			return nil, false
		}
		if strings.EqualFold(name, "for") {
			if cur.hasFor {
				return nil, false
			}
			cur.forValue, cur.hasFor = value, true
		}
		pairs++
		if i = skipSpace(line, i); i < len(line) && line[i] != ';' && line[i] != ',' {
			return nil, false
		}
	}
}

// forwardedValue reads the value starting at line[i]: a quoted string
// (backslash escapes undone) or a bare run of visible characters up to a
// separator. Bare values may hold ':' and brackets, which the RFC wants
// quoted: proxies configured by hand often leave them bare, and the node
// parser checks the address anyway. It returns the value and the index
// after it.
func forwardedValue(line string, i int) (value string, next int, ok bool) {
	if i < len(line) && line[i] == '"' {
		var b strings.Builder
		for i++; i < len(line); i++ {
			c := line[i]
			switch {
			case c == '"':
				return b.String(), i + 1, true
			case c == '\\':
				if i++; i == len(line) || !isQuotedChar(line[i]) {
					return "", 0, false
				}
				b.WriteByte(line[i])
			case isQuotedChar(c):
				b.WriteByte(c)
			default:
				return "", 0, false
			}
		}
		return "", 0, false // unterminated
	}
	j := i
	for j < len(line) && line[j] > ' ' && line[j] < 0x7f && line[j] != '"' && line[j] != ';' && line[j] != ',' {
		j++
	}
	if j == i {
		return "", 0, false
	}
	return line[i:j], j, true
}

// forwardedNode reads a for= node (RFC 7239 §6): an address, optionally
// with a port. "unknown" and obfuscated names ("_hidden") are not
// addresses: ok is false.
func forwardedNode(v string) (netip.Addr, bool) {
	if strings.EqualFold(v, "unknown") || strings.HasPrefix(v, "_") {
		return netip.Addr{}, false
	}
	return parseNode(v)
}

// parseNode reads an address with an optional port, numeric or obfuscated
// (RFC 7239 §6.3): 192.0.2.1, 192.0.2.1:80, [2001:db8::1]:80,
// [2001:db8::1], 2001:db8::1. Zones are refused: another host's interface
// name means nothing here.
func parseNode(s string) (netip.Addr, bool) {
	host, want6, want4 := s, false, false
	switch {
	case strings.HasPrefix(s, "["):
		h, rest, ok := strings.Cut(s[1:], "]")
		if port, hasPort := strings.CutPrefix(rest, ":"); !ok || (rest != "" && (!hasPort || !validPort(port))) {
			return netip.Addr{}, false
		}
		host, want6 = h, true
	case strings.Count(s, ":") == 1: // IPv4 with a port
		h, port, _ := strings.Cut(s, ":")
		if !validPort(port) {
			return netip.Addr{}, false
		}
		host, want4 = h, true
	}
	a, err := netip.ParseAddr(host)
	if err != nil || a.Zone() != "" || (want6 && !a.Is6()) || (want4 && !a.Is4()) {
		return netip.Addr{}, false
	}
	return a.Unmap(), true
}

// validPort accepts a node's port: decimal (at most 5 digits) or
// obfuscated ("_" then letters, digits, ".", "_", "-").
func validPort(port string) bool {
	if rest, ok := strings.CutPrefix(port, "_"); ok {
		return rest != "" && strings.Trim(rest, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == ""
	}
	return port != "" && len(port) <= 5 && strings.Trim(port, "0123456789") == ""
}

func skipSpace(s string, i int) int {
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	return i
}

// isTokenChar reports an RFC 9110 tchar.
func isTokenChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// isQuotedChar reports a character allowed inside a quoted string
// (RFC 9110 qdtext or an escaped one): tab, space, visible ASCII,
// obs-text. The quote and backslash are handled by the caller.
func isQuotedChar(c byte) bool { return c == '\t' || (c >= ' ' && c != 0x7f) }

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
