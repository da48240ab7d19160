package dial

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"unicode"
)

// Target is where to connect, as the user wrote it: [user@]host[:port] or
// an alias of ~/.ssh/config. User is empty and Port zero when not written.
type Target struct {
	User string
	Host string
	Port int
}

// ParseTarget parses [user@]host[:port]. The user ends at the last '@'; an
// IPv6 address is written in brackets ("[::1]:2222"), or bare without a
// port ("::1").
func ParseTarget(s string) (Target, error) {
	if s == "" {
		return Target{}, fmt.Errorf("%w: empty", ErrInvalidTarget)
	}
	var t Target
	rest := s
	if i := strings.LastIndexByte(s, '@'); i >= 0 {
		t.User, rest = s[:i], s[i+1:]
		if t.User == "" {
			return Target{}, fmt.Errorf("%w %q: empty user before '@'", ErrInvalidTarget, s)
		}
		if !printable(t.User) {
			return Target{}, fmt.Errorf("%w %q: user has spaces or control characters", ErrInvalidTarget, s)
		}
	}
	host, port, err := splitHostPort(rest)
	if err != nil {
		return Target{}, fmt.Errorf("%w %q: %w", ErrInvalidTarget, s, err)
	}
	t.Host, t.Port = host, port
	return t, nil
}

// String formats t so that ParseTarget reads it back.
func (t Target) String() string {
	h := t.Host
	switch {
	case t.Port != 0:
		h = net.JoinHostPort(t.Host, strconv.Itoa(t.Port))
	case strings.Contains(h, ":"):
		h = "[" + h + "]"
	}
	if t.User != "" {
		h = t.User + "@" + h
	}
	return h
}

// splitHostPort splits host[:port], [host][:port] or a bare IPv6 address.
// The port is zero when absent.
func splitHostPort(s string) (string, int, error) {
	if s == "" {
		return "", 0, fmt.Errorf("empty host")
	}
	host, port := s, ""
	hasPort := false
	switch {
	case s[0] == '[':
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0, fmt.Errorf("missing ']'")
		}
		host = s[1:end]
		switch after := s[end+1:]; {
		case after == "":
		case after[0] == ':':
			port, hasPort = after[1:], true
		default:
			return "", 0, fmt.Errorf("unexpected %q after ']'", after)
		}
	case strings.Count(s, ":") == 1:
		i := strings.IndexByte(s, ':')
		host, port, hasPort = s[:i], s[i+1:], true
	}
	if err := checkHost(host); err != nil {
		return "", 0, err
	}
	if !hasPort {
		return host, 0, nil
	}
	p, err := parsePort(port)
	if err != nil {
		return "", 0, err
	}
	return host, p, nil
}

func checkHost(h string) error {
	switch {
	case h == "":
		return fmt.Errorf("empty host")
	case h[0] == '-':
		return fmt.Errorf("host %q begins with '-'", h)
	case !printable(h) || strings.ContainsAny(h, "[]/\\@"):
		return fmt.Errorf("host %q has characters a host name cannot have", h)
	case strings.Contains(h, ":"):
		if a, err := netip.ParseAddr(h); err != nil || !a.Is6() {
			return fmt.Errorf("host %q is not an IPv6 address (a port is written host:port)", h)
		}
	}
	return nil
}

// parsePort parses a decimal port in 1..65535.
func parsePort(s string) (int, error) {
	if s == "" {
		return 0, fmt.Errorf("empty port")
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("invalid port %q: not a number", s)
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("port %s out of range 1-65535", s)
	}
	return n, nil
}

// printable reports whether s has no spaces or control characters.
func printable(s string) bool {
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) || r == unicode.ReplacementChar {
			return false
		}
	}
	return true
}
