package graph

import (
	"net/http"
	"testing"
)

func TestClientAddr(t *testing.T) {
	proxies, err := ProxyCIDRs([]string{"10.0.0.0/8", "2001:db8:1::/48", "192.0.2.7"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, peer string
		header     http.Header
		want       string
	}{
		{"NoProxyHeaders", "198.51.100.1:5000", nil, "198.51.100.1"},
		{"UntrustedPeerIsTheClientWhateverItSays", "198.51.100.1:5000", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "198.51.100.1"},
		{"TrustedPeerNamesTheClient", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"203.0.113.9"}}, "203.0.113.9"},
		{"SpoofedLeftEntriesIgnored", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"1.1.1.1, 203.0.113.9"}}, "203.0.113.9"},
		{"TrustedHopsSkipped", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"203.0.113.9, 10.9.9.9, 192.0.2.7"}}, "203.0.113.9"},
		{"SeveralHeaderLinesInOrder", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"1.1.1.1", "203.0.113.9, 10.0.0.5"}}, "203.0.113.9"},
		{"AllTrustedLeftmostWins", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"10.0.0.1, 10.0.0.2"}}, "10.0.0.1"},
		{"GarbageMeansPeer", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"203.0.113.9, not-an-ip"}}, "10.1.2.3"},
		{"EmptyHeaderMeansPeer", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {""}}, "10.1.2.3"},
		{"IPv6Peer", "[2001:db8:1::5]:443", http.Header{"X-Forwarded-For": {"2001:db8:2::9"}}, "2001:db8:2::9"},
		{"PortInXFF", "10.1.2.3:5000", http.Header{"X-Forwarded-For": {"203.0.113.9:1234"}}, "203.0.113.9"},
		{"ForwardedPreferred", "10.1.2.3:5000", http.Header{"Forwarded": {`for=203.0.113.9;proto=https`}, "X-Forwarded-For": {"1.1.1.1"}}, "203.0.113.9"},
		{"ForwardedQuotedIPv6WithPort", "10.1.2.3:5000", http.Header{"Forwarded": {`for="[2001:db8:2::9]:4711", for=10.0.0.4`}}, "2001:db8:2::9"},
		{"ForwardedUnknownMeansPeer", "10.1.2.3:5000", http.Header{"Forwarded": {`for=unknown`}}, "10.1.2.3"},
		{"ForwardedObfuscatedMeansPeer", "10.1.2.3:5000", http.Header{"Forwarded": {`for=_hidden`}}, "10.1.2.3"},
		{"MappedIPv4", "[::ffff:10.1.2.3]:5000", http.Header{"X-Forwarded-For": {"::ffff:203.0.113.9"}}, "203.0.113.9"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &http.Request{RemoteAddr: tt.peer, Header: tt.header}
			if r.Header == nil {
				r.Header = http.Header{}
			}
			if got := trusted(proxies).clientAddr(r); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
	if got := trusted(nil).clientAddr(&http.Request{RemoteAddr: "10.1.2.3:1", Header: http.Header{"X-Forwarded-For": {"203.0.113.9"}}}); got != "10.1.2.3" {
		t.Errorf("no trusted proxies: got %q, want the peer", got)
	}
	if _, err := ProxyCIDRs([]string{"10.0.0.0/33"}); err == nil {
		t.Error("a bad CIDR: got no error")
	}
}
