package graph

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// The walk itself, as a table: which address the limits see for a peer and
// its headers. The wiring into the limits is TestEdgeClientsBehindAProxy's
// subject (clientip_test.go), over HTTP; the table needs peers other than
// the test client's loopback, so it calls the unexported walk directly.
func TestClientAddr(t *testing.T) {
	proxies, err := ProxyCIDRs([]string{"10.0.0.0/8", "2001:db8:1::/48", "192.0.2.7", "::ffff:172.16.0.0/108"})
	if err != nil {
		t.Fatalf("ProxyCIDRs: got error %v, want nil", err)
	}
	const proxy = "10.1.2.3:5000" // a trusted peer
	xff := func(lines ...string) http.Header { return http.Header{"X-Forwarded-For": lines} }
	fwd := func(lines ...string) http.Header { return http.Header{"Forwarded": lines} }
	tests := []struct {
		name   string
		peer   string
		header http.Header
		want   string
	}{
		// Who is believed at all.
		{"NoHeaders", "198.51.100.1:5000", nil, "198.51.100.1"},
		{"UntrustedPeerIsTheClientWhateverItSays", "198.51.100.1:5000", xff("203.0.113.9"), "198.51.100.1"},
		{"UntrustedPeerForwardedIgnored", "198.51.100.1:5000", fwd("for=203.0.113.9"), "198.51.100.1"},
		{"UntrustedPeerClaimingAProxyChainIgnored", "198.51.100.1:5000", xff("203.0.113.9, 10.0.0.1"), "198.51.100.1"},
		{"TrustedPeerWithoutHeadersIsTheClient", proxy, nil, "10.1.2.3"},
		{"TrustedPeerNamesTheClient", proxy, xff("203.0.113.9"), "203.0.113.9"},
		{"SingleTrustedAddress", "192.0.2.7:80", xff("203.0.113.9"), "203.0.113.9"},
		{"NeighbourOfSingleTrustedAddressNotTrusted", "192.0.2.8:80", xff("203.0.113.9"), "192.0.2.8"},

		// Right to left: what the client wrote is never believed.
		{"SpoofedLeftmostIgnored", proxy, xff("1.1.1.1, 203.0.113.9"), "203.0.113.9"},
		{"SeveralSpoofedEntriesIgnored", proxy, xff("1.1.1.1, 8.8.8.8, 203.0.113.9"), "203.0.113.9"},
		{"SpoofedTrustedAddressLeftOfClientIgnored", proxy, xff("10.0.0.9, 203.0.113.9"), "203.0.113.9"},
		{"GarbageLeftOfClientNeverRead", proxy, xff("not-an-ip, 203.0.113.9"), "203.0.113.9"},
		{"SpoofedLineLeftOfClientNeverRead", proxy, xff("garbage, ;;", "203.0.113.9"), "203.0.113.9"},
		{"TrustedHopsSkipped", proxy, xff("1.1.1.1, 203.0.113.9, 10.9.9.9, 192.0.2.7"), "203.0.113.9"},
		{"AllTrustedLeftmostWins", proxy, xff("10.0.0.1, 10.0.0.2"), "10.0.0.1"},
		{"OneTrustedEntry", proxy, xff("10.0.0.1"), "10.0.0.1"},
		{"SeveralHeaderLinesInOrder", proxy, xff("1.1.1.1", "203.0.113.9, 10.0.0.5"), "203.0.113.9"},
		{"SeveralHeaderLinesClientInLast", proxy, xff("1.1.1.1, 8.8.8.8", "203.0.113.9"), "203.0.113.9"},
		{"SeveralHeaderLinesAllTrusted", proxy, xff("10.0.0.1", "10.0.0.2, 10.0.0.3"), "10.0.0.1"},
		{"EmptyElementsSkipped", proxy, xff("203.0.113.9, , "), "203.0.113.9"},
		{"NoSpaces", proxy, xff("1.1.1.1,203.0.113.9,10.0.0.5"), "203.0.113.9"},

		// Ports and IPv6.
		{"IPv4PortInXFF", proxy, xff("203.0.113.9:1234"), "203.0.113.9"},
		{"IPv6InXFF", proxy, xff("2001:db8:2::9"), "2001:db8:2::9"},
		{"BracketedIPv6WithPortInXFF", proxy, xff("[2001:db8:2::9]:443"), "2001:db8:2::9"},
		{"IPv6Canonicalised", proxy, xff("2001:DB8:2:0:0:0:0:9"), "2001:db8:2::9"},
		{"IPv6Peer", "[2001:db8:1::5]:443", xff("2001:db8:2::9"), "2001:db8:2::9"},
		{"IPv6TrustedHopSkipped", proxy, xff("2001:db8:2::9, 2001:db8:1::77"), "2001:db8:2::9"},
		{"UntrustedIPv6Peer", "[2001:db8:2::5]:443", xff("203.0.113.9"), "2001:db8:2::5"},
		{"MappedIPv4PeerAndEntry", "[::ffff:10.1.2.3]:5000", xff("::ffff:203.0.113.9"), "203.0.113.9"},
		{"MappedIPv4ProxyEntry", "172.16.0.9:5000", xff("203.0.113.9"), "203.0.113.9"},
		{"UntrustedMappedPeerUnmapped", "[::ffff:198.51.100.1]:5000", nil, "198.51.100.1"},

		// Garbage the walk reaches: the peer, never a guess.
		{"GarbageMeansPeer", proxy, xff("203.0.113.9, not-an-ip"), "10.1.2.3"},
		{"GarbageBehindTrustedHopMeansPeer", proxy, xff("bogus, 10.0.0.5"), "10.1.2.3"},
		{"HostnameMeansPeer", proxy, xff("client.example.com"), "10.1.2.3"},
		{"EmptyHeaderMeansPeer", proxy, xff(""), "10.1.2.3"},
		{"CIDRIsNoAddress", proxy, xff("203.0.113.0/24"), "10.1.2.3"},
		{"ZoneMeansPeer", proxy, xff("fe80::1%eth0"), "10.1.2.3"},
		{"BadPortMeansPeer", proxy, xff("203.0.113.9:http"), "10.1.2.3"},
		{"LongPortMeansPeer", proxy, xff("203.0.113.9:123456"), "10.1.2.3"},
		{"IPv4InBracketsMeansPeer", proxy, xff("[203.0.113.9]"), "10.1.2.3"},
		{"UnclosedBracketMeansPeer", proxy, xff("[2001:db8:2::9"), "10.1.2.3"},
		{"JunkAfterBracketMeansPeer", proxy, xff("[2001:db8:2::9]x"), "10.1.2.3"},
		{"ControlCharactersMeanPeer", proxy, xff("203.0.113.9\x00"), "10.1.2.3"},

		// Forwarded (RFC 7239).
		{"Forwarded", proxy, fwd("for=203.0.113.9"), "203.0.113.9"},
		{"ForwardedPreferredOverXFF", proxy, http.Header{"Forwarded": {"for=203.0.113.9;proto=https"}, "X-Forwarded-For": {"198.51.100.5"}}, "203.0.113.9"},
		{"ForwardedCaseInsensitiveName", proxy, fwd("For=203.0.113.9"), "203.0.113.9"},
		{"ForwardedQuotedIPv4", proxy, fwd(`for="203.0.113.9"`), "203.0.113.9"},
		{"ForwardedQuotedIPv6WithPort", proxy, fwd(`for="[2001:db8:2::9]:4711", for=10.0.0.4`), "2001:db8:2::9"},
		{"ForwardedQuotedIPv6", proxy, fwd(`for="[2001:db8:2::9]"`), "2001:db8:2::9"},
		{"ForwardedObfuscatedPort", proxy, fwd(`for="203.0.113.9:_gazonk"`), "203.0.113.9"},
		{"ForwardedOtherParameters", proxy, fwd(`by=10.0.0.4;for=203.0.113.9;host=shop.example;proto=https`), "203.0.113.9"},
		{"ForwardedSpoofedLeftmostIgnored", proxy, fwd("for=1.1.1.1, for=203.0.113.9"), "203.0.113.9"},
		{"ForwardedTrustedHopsSkipped", proxy, fwd(`for=1.1.1.1, for=203.0.113.9;proto=https, for="[2001:db8:1::1]"`), "203.0.113.9"},
		{"ForwardedAllTrustedLeftmostWins", proxy, fwd("for=10.0.0.1, for=10.0.0.2"), "10.0.0.1"},
		{"ForwardedSeveralLines", proxy, fwd("for=1.1.1.1", "for=203.0.113.9, for=10.0.0.2"), "203.0.113.9"},
		{"ForwardedMalformedSpoofedLineNeverRead", proxy, fwd(`for="1.1.1.1`, "for=203.0.113.9"), "203.0.113.9"},
		{"ForwardedQuotedCommaDoesNotSplit", proxy, fwd(`for=1.1.1.1;ext="a, for=8.8.8.8", for=203.0.113.9`), "203.0.113.9"},
		{"ForwardedQuotedCommaHidesNoHop", proxy, fwd(`for=203.0.113.9;ext="x, for=10.0.0.1"`), "203.0.113.9"},
		{"ForwardedEscapedQuote", proxy, fwd(`for=203.0.113.9;ext="say \"hi\""`), "203.0.113.9"},
		{"ForwardedSpacesAroundSeparators", proxy, fwd("for=1.1.1.1 , for=203.0.113.9 ; proto=https"), "203.0.113.9"},
		{"ForwardedBareIPv6Tolerated", proxy, fwd("for=[2001:db8:2::9]:80"), "2001:db8:2::9"},
		{"ForwardedEmptyElementsSkipped", proxy, fwd("for=203.0.113.9,,"), "203.0.113.9"},
		{"ForwardedUnknownMeansPeer", proxy, fwd("for=unknown"), "10.1.2.3"},
		{"ForwardedUnknownQuotedMeansPeer", proxy, fwd(`for="UNKNOWN"`), "10.1.2.3"},
		{"ForwardedObfuscatedMeansPeer", proxy, fwd("for=_hidden"), "10.1.2.3"},
		{"ForwardedObfuscatedBehindTrustedHopMeansPeer", proxy, fwd("for=203.0.113.9, for=_hidden, for=10.0.0.2"), "10.1.2.3"},
		{"ForwardedUnknownLeftOfClientNeverRead", proxy, fwd("for=unknown, for=203.0.113.9"), "203.0.113.9"},
		{"ForwardedWithoutForMeansPeer", proxy, fwd("proto=https;host=shop.example"), "10.1.2.3"},
		{"ForwardedHopWithoutForMeansPeer", proxy, http.Header{"Forwarded": {"for=203.0.113.9, proto=https"}, "X-Forwarded-For": {"198.51.100.5"}}, "10.1.2.3"},
		{"ForwardedDuplicateForMeansPeer", proxy, fwd("for=203.0.113.9;for=198.51.100.5"), "10.1.2.3"},
		{"ForwardedUnterminatedQuoteMeansPeer", proxy, fwd(`for="203.0.113.9`), "10.1.2.3"},
		{"ForwardedNoValueMeansPeer", proxy, fwd("for="), "10.1.2.3"},
		{"ForwardedNoEqualsMeansPeer", proxy, fwd("for"), "10.1.2.3"},
		{"ForwardedJunkAfterValueMeansPeer", proxy, fwd(`for="203.0.113.9"x`), "10.1.2.3"},
		{"ForwardedBadNameMeansPeer", proxy, fwd("f@r=203.0.113.9"), "10.1.2.3"},
		{"ForwardedQuotedGarbageMeansPeer", proxy, fwd(`for="not an ip"`), "10.1.2.3"},
		{"ForwardedEmptyLineMeansPeer", proxy, fwd(""), "10.1.2.3"},
		{"ForwardedUnixPeerKept", "@", fwd("for=203.0.113.9"), "@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.peer, Header: tt.header}
			if r.Header == nil {
				r.Header = http.Header{}
			}
			if got := trusted(proxies).clientAddr(r); got != tt.want {
				t.Errorf("peer %s, headers %q: got %q, want %q", tt.peer, tt.header, got, tt.want)
			}
		})
	}
	t.Run("NoTrustedProxiesIgnoresHeaders", func(t *testing.T) {
		r := &http.Request{RemoteAddr: proxy, Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}, "Forwarded": {"for=203.0.113.9"}}}
		if got := trusted(nil).clientAddr(r); got != "10.1.2.3" {
			t.Errorf("got %q, want the peer 10.1.2.3", got)
		}
	})
}

func TestProxyCIDRs(t *testing.T) {
	t.Run("Parses", func(t *testing.T) {
		got, err := ProxyCIDRs([]string{" 10.0.0.0/8", "192.0.2.7 ", "", "2001:db8::/32", "2001:db8:ffff::1", "10.1.2.3/16", "::ffff:172.16.0.0/108", "::ffff:192.0.2.9"})
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		want := []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "2001:db8:ffff::1/128", "10.1.0.0/16", "172.16.0.0/12", "192.0.2.9/32"}
		if len(got) != len(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
		for i := range want {
			if got[i].String() != want[i] {
				t.Errorf("entry %d: got %v, want %s", i, got[i], want[i])
			}
		}
	})
	for _, bad := range []string{"10.0.0.0/33", "10.0.0.0/", "proxy.example", "10.0.0", "fe80::1%eth0", "fe80::/64%eth0", "::ffff:0:0/95", "2001:db8::/129", "*"} {
		t.Run("Refuses "+bad, func(t *testing.T) {
			if got, err := ProxyCIDRs([]string{"10.0.0.1", bad}); err == nil {
				t.Errorf("got %v and no error, want an error", got)
			} else if !strings.Contains(err.Error(), bad) {
				t.Errorf("got error %q, want it to quote %q", err, bad)
			}
		})
	}
}

// FuzzClientAddr: no header makes the walk panic, and whatever the headers
// say, the result is the peer or an address some header spelled out.
func FuzzClientAddr(f *testing.F) {
	for _, seed := range [][2]string{
		{"1.1.1.1, 203.0.113.9", ""},
		{"", `for="[2001:db8:2::9]:4711", for=10.0.0.4`},
		{"[2001:db8:2::9]:443,,", `for=1.1.1.1;ext="a, for=8.8.8.8", for=203.0.113.9`},
		{"not-an-ip", `for="\`},
		{"10.0.0.1", `for=_x;by=unknown;for=`},
	} {
		f.Add(seed[0], seed[1])
	}
	proxies := trusted{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8:1::/48")}
	f.Fuzz(func(t *testing.T, xff, fwd string) {
		h := http.Header{}
		if xff != "" {
			h["X-Forwarded-For"] = strings.Split(xff, "\n")
		}
		if fwd != "" {
			h["Forwarded"] = strings.Split(fwd, "\n")
		}
		got := proxies.clientAddr(&http.Request{RemoteAddr: "10.1.2.3:5000", Header: h})
		if got == "10.1.2.3" {
			return
		}
		a, err := netip.ParseAddr(got)
		if err != nil || a != canonical(a) {
			t.Fatalf("xff %q, forwarded %q: got %q, want the peer or a canonical address", xff, fwd, got)
		}
		// IPv6 results are canonicalised, so only IPv4 ones can be
		// looked for in the headers as spelled.
		if a.Is4() && !strings.Contains(xff+fwd, got) {
			t.Fatalf("xff %q, forwarded %q: got %q, which no header names", xff, fwd, got)
		}
	})
}
