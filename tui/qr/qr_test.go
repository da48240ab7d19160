package qr_test

import (
	"image/color"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/boombuler/barcode/qr"

	parleyqr "github.com/parley-chat/parley/tui/qr"
)

var sgr = regexp.MustCompile(`\x1b\[[0-9;]*m`)

// modules parses Render's output back into the module matrix: one bool per
// module, true for dark, quiet zone included.
func modules(t *testing.T, out string) [][]bool {
	t.Helper()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	var rows [][]bool
	for i, l := range lines {
		if !strings.HasPrefix(l, "\x1b[38;5;16;48;5;231m") || !strings.HasSuffix(l, "\x1b[0m") {
			t.Fatalf("line %d is not black on white and reset: %q", i, l)
		}
		plain := sgr.ReplaceAllString(l, "")
		top, bottom := make([]bool, 0, len(plain)), make([]bool, 0, len(plain))
		for _, r := range plain {
			var a, b bool
			switch r {
			case ' ':
			case '▀':
				a = true
			case '▄':
				b = true
			case '█':
				a, b = true, true
			default:
				t.Fatalf("line %d: unexpected %q", i, r)
			}
			top, bottom = append(top, a), append(bottom, b)
		}
		rows = append(rows, top, bottom)
	}
	return rows
}

func TestRenderMatchesTheCode(t *testing.T) {
	for _, text := range []string{
		"otpauth://totp/Parley:acme%2FOlga%20Owner?algorithm=SHA1&digits=6&issuer=Parley&period=30&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
		"HELLO",
		"a",
	} {
		out, err := parleyqr.Render(text)
		if err != nil {
			t.Fatal(err)
		}
		code, err := qr.Encode(text, qr.L, qr.Auto)
		if err != nil {
			t.Fatal(err)
		}
		size := code.Bounds().Dx()
		total := size + 2*parleyqr.Quiet
		got := modules(t, out)
		// An odd number of rows leaves the last character row's lower half light.
		if len(got) != total+total%2 {
			t.Fatalf("%q: %d module rows, want %d", text, len(got), total+total%2)
		}
		for y, row := range got {
			if len(row) != total {
				t.Fatalf("%q: row %d has %d modules, want %d", text, y, len(row), total)
			}
			for x, d := range row {
				cx, cy := x-parleyqr.Quiet, y-parleyqr.Quiet
				want := false
				if cx >= 0 && cy >= 0 && cx < size && cy < size {
					want = code.At(cx, cy) == color.Black
				}
				if d != want {
					t.Fatalf("%q: module (%d,%d) dark = %t, want %t", text, cx, cy, d, want)
				}
			}
		}
		// The finder pattern's corner is dark: the code is not drawn as its negative.
		if !got[parleyqr.Quiet][parleyqr.Quiet] {
			t.Errorf("%q: the top left finder pattern is light", text)
		}
	}
}

// TestRenderFitsTheTerminal: up to 134 bytes (a TOTP enrolment's URL with
// a long label) fit 80×24 with a line to spare.
func TestRenderFitsTheTerminal(t *testing.T) {
	url := "otpauth://totp/Parley:some-tenant%2FA%20Rather%20Long%20Admin%20Name%20Here?issuer=Parley&secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	url += strings.Repeat("x", 134-len(url))
	out, err := parleyqr.Render(url)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) > 23 {
		t.Errorf("%d lines, want at most 23", len(lines))
	}
	if w := utf8.RuneCountInString(sgr.ReplaceAllString(lines[0], "")); w > 80 {
		t.Errorf("%d columns, want at most 80", w)
	}
}

func TestRenderTooLong(t *testing.T) {
	if _, err := parleyqr.Render(strings.Repeat("x", 5000)); err == nil {
		t.Error("Render of 5000 bytes: no error")
	}
}
