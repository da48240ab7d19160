package chat

import (
	"strings"
	"unicode"
)

// clean makes text that came from another person safe to put on a
// terminal: escape sequences and control characters become U+FFFD, tabs
// become spaces, and bidirectional overrides, which can make text read
// differently from what it is, are removed. Newlines stay.
func clean(s string) string {
	if !needsCleaning(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("    ")
		case r == '\r':
		case isBidiControl(r):
		case unicode.IsControl(r) || r == 0xFFFD:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// cleanLine is clean without newlines, for one-line places like the chat list.
func cleanLine(s string) string {
	return strings.ReplaceAll(clean(s), "\n", " ")
}

func needsCleaning(s string) bool {
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || isBidiControl(r) || r == 0xFFFD {
			return true
		}
	}
	return false
}

func isBidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
}
