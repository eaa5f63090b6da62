package notify

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

// ErrPrivateAddress is returned when a webhook would connect to a
// loopback, private, link-local or otherwise non-public address.
var ErrPrivateAddress = errors.New("notify: refusing to connect to a non-public address")

type httpDoer interface {
	Do(*http.Request) (*http.Response, error)
}

// notPublic lists ranges that are not loopback/private by netip's
// predicates but still must not be reached from a webhook: shared address
// space (carrier NAT), benchmarking and documentation ranges, reserved
// space, and IPv6 prefixes that embed an IPv4 address (NAT64, 6to4) and
// could lead back into a private IPv4 network.
var notPublic = func() []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range []string{
		"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4",
		"64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:db8::/32", "2002::/16",
	} {
		ps = append(ps, netip.MustParsePrefix(s))
	}
	return ps
}()

// publicAddr reports whether a may be reached by a webhook.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap() // ::ffff:127.0.0.1 is 127.0.0.1
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return false
	}
	for _, p := range notPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// newHTTPClient returns the client webhooks are posted with. Unless
// allowPrivate, the dialer checks the address it is about to connect to —
// after DNS resolution, for every connection — so a hostname that resolves
// (or is re-pointed, "DNS rebinding") to an internal address is refused,
// which a check of the URL's hostname alone cannot promise. Proxies from
// the environment are ignored for the same reason, and redirects are not
// followed: a receiver answers, it does not send us elsewhere.
func newHTTPClient(allowPrivate bool, timeout time.Duration) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, address)
			}
			a, err := netip.ParseAddr(host)
			if err != nil || !publicAddr(a) {
				return fmt.Errorf("%w: %s", ErrPrivateAddress, host)
			}
			return nil
		}
	}
	return &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                 nil,
			DialContext:           dialer.DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
			MaxIdleConns:          10,
			IdleConnTimeout:       90 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
