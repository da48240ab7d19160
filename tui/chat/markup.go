package chat

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Threema-style markup: *bold*, _italic_, ~strike~. A marker opens at the
// start of the text or after a space or an opening bracket, closes before
// the end, a space or punctuation, and encloses no space at either end,
// so "2*3*4" and "snake_case_name" stay as they are. The styles are plain
// SGR on/off pairs that leave the colour alone, so the message keeps its
// colour around them and wrapping (which knows ANSI) is unaffected.

// markupCodes returns the SGR codes that turn the style of marker r on
// and off.
func markupCodes(r rune) ([2]string, bool) {
	switch r {
	case '*':
		return [2]string{"\x1b[1m", "\x1b[22m"}, true
	case '_':
		return [2]string{"\x1b[3m", "\x1b[23m"}, true
	case '~':
		return [2]string{"\x1b[9m", "\x1b[29m"}, true
	}
	return [2]string{}, false
}

// markup renders the markers of an already cleaned text.
func markup(s string) string {
	if !strings.ContainsAny(s, "*_~") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		codes, ok := markupCodes(r)
		if ok && opens(s, i) {
			if end := closing(s, i+n, r); end > 0 {
				b.WriteString(codes[0])
				b.WriteString(markup(s[i+n : end]))
				b.WriteString(codes[1])
				i = end + n
				continue
			}
		}
		b.WriteString(s[i : i+n])
		i += n
	}
	return b.String()
}

// opens reports whether the marker at i may open a span.
func opens(s string, i int) bool {
	if i > 0 {
		prev, _ := utf8.DecodeLastRuneInString(s[:i])
		if !unicode.IsSpace(prev) && !strings.ContainsRune("([{\"'", prev) {
			return false
		}
	}
	next, _ := utf8.DecodeRuneInString(s[i+1:])
	return i+1 < len(s) && !unicode.IsSpace(next) && next != rune(s[i])
}

// closing finds the marker r that closes a span starting at from; 0 if none
// on the same line.
func closing(s string, from int, r rune) int {
	for j := from; j < len(s); {
		c, n := utf8.DecodeRuneInString(s[j:])
		if c == '\n' {
			return 0
		}
		if c == r && j > from {
			prev, _ := utf8.DecodeLastRuneInString(s[:j])
			after, _ := utf8.DecodeRuneInString(s[j+n:])
			if !unicode.IsSpace(prev) && (j+n == len(s) || unicode.IsSpace(after) || unicode.IsPunct(after)) {
				return j
			}
		}
		j += n
	}
	return 0
}
