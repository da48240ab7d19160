package directory

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

var (
	tenantNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,62}$`)
	domainRE     = regexp.MustCompile(`^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
)

// MaxNameLen bounds a person's display name, in characters.
const MaxNameLen = 100

// NormalizeTenantName lower-cases and checks a tenant name: 1-63 of a-z, 0-9
// and '-', starting with a letter or digit.
func NormalizeTenantName(s string) (string, error) {
	n := strings.ToLower(strings.TrimSpace(s))
	if !tenantNameRE.MatchString(n) {
		return "", invalid("tenant name %q: use 1-63 characters a-z, 0-9 and '-', starting with a letter or digit", clip(s))
	}
	return n, nil
}

// NormalizeDomain lower-cases and checks an e-mail domain.
func NormalizeDomain(s string) (string, error) {
	d := strings.ToLower(strings.TrimSpace(s))
	if len(d) > 253 || !domainRE.MatchString(d) {
		return "", invalid("domain %q is not a valid domain name", clip(s))
	}
	return d, nil
}

// NormalizePersonName trims a display name and refuses control and
// bidirectional-override characters, which could forge what others see.
func NormalizePersonName(s string) (string, error) {
	n := strings.TrimSpace(s)
	if n == "" {
		return "", invalid("name is empty")
	}
	if !utf8.ValidString(n) {
		return "", invalid("name is not valid UTF-8")
	}
	if utf8.RuneCountInString(n) > MaxNameLen {
		return "", invalid("name is longer than %d characters", MaxNameLen)
	}
	for _, r := range n {
		if unicode.IsControl(r) || isBidiControl(r) {
			return "", invalid("name contains control characters")
		}
	}
	return n, nil
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}

// NormalizeEmail checks a bare e-mail address and lower-cases its domain.
func NormalizeEmail(s string) (addr, domain string, err error) {
	s = strings.TrimSpace(s)
	a, perr := mail.ParseAddress(s)
	if perr != nil || a.Address != s || a.Name != "" || len(s) > 254 {
		return "", "", invalid("e-mail %q is not a valid address", clip(s))
	}
	at := strings.LastIndexByte(s, '@')
	local, dom := s[:at], s[at+1:]
	dom, err = NormalizeDomain(dom)
	if err != nil {
		return "", "", invalid("e-mail %q: domain is not valid", clip(s))
	}
	for _, r := range local {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return "", "", invalid("e-mail contains control or invisible formatting characters")
		}
	}
	return local + "@" + dom, dom, nil
}

// clip shortens and defangs user input quoted back in an error.
func clip(s string) string { return clipTo(s, 40) }

// clipTo defangs s and shortens it to n characters.
func clipTo(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || isBidiControl(r) {
			return '?'
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > n {
		return string([]rune(s)[:n]) + "…"
	}
	return s
}
