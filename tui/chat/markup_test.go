package chat

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestMarkup(t *testing.T) {
	const (
		b, B = "\x1b[1m", "\x1b[22m"
		i, I = "\x1b[3m", "\x1b[23m"
		s, S = "\x1b[9m", "\x1b[29m"
	)
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"*bold*", b + "bold" + B},
		{"a *bold* word", "a " + b + "bold" + B + " word"},
		{"_it_ and ~gone~.", i + "it" + I + " and " + s + "gone" + S + "."},
		{"*_both_*", b + i + "both" + I + B},
		{"2*3*4", "2*3*4"},
		{"snake_case_name", "snake_case_name"},
		{"* not bold *", "* not bold *"},
		{"*unclosed", "*unclosed"},
		{"**", "**"},
		{"*across\nlines*", "*across\nlines*"},
		{"(*in brackets*)", "(" + b + "in brackets" + B + ")"},
		{"über *fett* ß", "über " + b + "fett" + B + " ß"},
	}
	for _, tc := range tests {
		if got := markup(tc.in); got != tc.want {
			t.Errorf("markup(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func FuzzMarkup(f *testing.F) {
	for _, s := range []string{"*a*", "_b_ ~c~", "**", "*_~", "x*y*z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := markup(clean(s))
		// Markup only adds SGR pairs: removing them gives the input back.
		for _, c := range []string{"\x1b[1m", "\x1b[22m", "\x1b[3m", "\x1b[23m", "\x1b[9m", "\x1b[29m"} {
			out = strings.ReplaceAll(out, c, "")
		}
		// ... less the markers of the spans it styled.
		if in := clean(s); len(out) > len(in) || !utf8.ValidString(out) {
			t.Fatalf("markup(%q) added text: %q", in, out)
		}
	})
}
