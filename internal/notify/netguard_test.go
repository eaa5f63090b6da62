package notify

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublicAddr(t *testing.T) {
	for s, want := range map[string]bool{
		"8.8.8.8": true, "114.114.114.114": true, "2400:3200::1": true,
		"127.0.0.1": false, "127.8.8.8": false, "::1": false, "10.1.2.3": false, "172.16.0.1": false,
		"192.168.1.1": false, "169.254.169.254": false, "100.64.0.1": false, "0.0.0.0": false,
		"::": false, "fe80::1": false, "fd00::1": false, "::ffff:127.0.0.1": false, "::ffff:10.0.0.1": false,
		"224.0.0.1": false, "255.255.255.255": false, "64:ff9b::a00:1": false, "2002:a00:1::": false,
	} {
		if got := publicAddr(netip.MustParseAddr(s)); got != want {
			t.Errorf("publicAddr(%s) = %v, want %v", s, got, want)
		}
	}
}

// The check happens on the resolved address: "localhost" is a name, and
// it is refused because it resolves to loopback.
func TestDialerChecksResolvedAddress(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)

	_, err := newHTTPClient(false, 5*time.Second).Get(byName)
	if !errors.Is(err, ErrPrivateAddress) {
		t.Fatalf("guarded GET %s = %v, want ErrPrivateAddress", byName, err)
	}
	if hits.Load() != 0 {
		t.Fatal("the guarded client reached the server")
	}
	resp, err := newHTTPClient(true, 5*time.Second).Get(byName)
	if err != nil {
		t.Fatalf("GET with AllowPrivate: %v", err)
	}
	resp.Body.Close()
	if hits.Load() != 1 {
		t.Fatal("AllowPrivate client did not reach the server")
	}
}
