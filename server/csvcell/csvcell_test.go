package csvcell_test

import (
	"testing"

	"github.com/parley-chat/parley/server/csvcell"
)

func TestGuardRoundTrips(t *testing.T) {
	for _, c := range []struct{ in, guarded string }{
		{"", ""}, {"Ada", "Ada"}, {"=SUM(A1)", "'=SUM(A1)"}, {"+41 44", "'+41 44"}, {"-x", "'-x"},
		{"@home", "'@home"}, {"\tx", "'\tx"}, {"'quoted", "'quoted"}, {"'=already", "''=already"},
	} {
		if got := csvcell.Guard(c.in); got != c.guarded {
			t.Errorf("Guard(%q) = %q, want %q", c.in, got, c.guarded)
		}
		if got := csvcell.Unguard(csvcell.Guard(c.in)); got != c.in {
			t.Errorf("Unguard(Guard(%q)) = %q", c.in, got)
		}
	}
}

func FuzzGuardRoundTrips(f *testing.F) {
	for _, s := range []string{"", "=1", "'=1", "a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got := csvcell.Unguard(csvcell.Guard(s)); got != s {
			t.Errorf("Unguard(Guard(%q)) = %q", s, got)
		}
	})
}
