// Package netsrc names where a connection comes from, the way the fronts'
// per-source limits count it: an IPv4 address, or the /64 of an IPv6
// address (one host's share of a network).
package netsrc

import (
	"net"
	"net/netip"
)

// Of is the address block a connection from a comes from; the zero
// Prefix when a is not an IP address and port.
func Of(a net.Addr) netip.Prefix {
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Prefix{}
	}
	ip := ap.Addr().Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	p, _ := ip.Prefix(bits)
	return p
}
