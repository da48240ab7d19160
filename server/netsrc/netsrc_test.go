package netsrc

import (
	"net"
	"net/netip"
	"testing"
)

func TestOf(t *testing.T) {
	for addr, want := range map[string]string{
		"192.0.2.7:2222":          "192.0.2.7/32",
		"[2001:db8::1:2]:2222":    "2001:db8::/64",
		"[::ffff:192.0.2.7]:2222": "192.0.2.7/32",
	} {
		ap := netip.MustParseAddrPort(addr)
		if got := Of(net.TCPAddrFromAddrPort(ap)).String(); got != want {
			t.Errorf("Of(%s) = %s, want %s", addr, got, want)
		}
	}
	if got := Of(&net.UnixAddr{Name: "/run/x", Net: "unix"}); got.IsValid() {
		t.Errorf("Of(unix socket) = %s, want the zero prefix", got)
	}
}
