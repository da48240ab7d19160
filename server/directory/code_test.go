package directory

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
)

func TestNewCode(t *testing.T) {
	// Expected codes computed independently from the 80 bits, five at a time.
	tests := []struct {
		name string
		raw  []byte
		want string
	}{
		{"zeros", make([]byte, 10), "0000-0000-0000-0000"},
		{"ones", bytes.Repeat([]byte{0xff}, 10), "ZZZZ-ZZZZ-ZZZZ-ZZZZ"},
		{"zeros then ones", []byte{0, 0, 0, 0, 0, 0x08, 0x42, 0x10, 0x84, 0x21}, "0000-0000-1111-1111"},
		{"first half of the alphabet", []byte{0x00, 0x44, 0x32, 0x14, 0xc7, 0x42, 0x54, 0xb6, 0x35, 0xcf}, "0123-4567-89AB-CDEF"},
		{"second half of the alphabet", []byte{0x84, 0x65, 0x3a, 0x56, 0xd7, 0xc6, 0x75, 0xbe, 0x77, 0xdf}, "GHJK-MNPQ-RSTV-WXYZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Extra bytes after the first ten must not be read into the code.
			got, err := newCode(bytes.NewReader(append(append([]byte(nil), tt.raw...), 0xAA, 0xBB)))
			if err != nil {
				t.Fatalf("newCode: %v", err)
			}
			if got != tt.want {
				t.Errorf("newCode(%x) = %q, want %q", tt.raw, got, tt.want)
			}
		})
	}
}

func TestNewCodeShortRandomness(t *testing.T) {
	for _, r := range []io.Reader{
		bytes.NewReader(make([]byte, 9)),
		iotest.ErrReader(errors.New("no entropy")),
	} {
		if got, err := newCode(r); err == nil {
			t.Errorf("newCode(short reader) = %q, nil; want an error", got)
		}
	}
}

func TestNormalizeCode(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"ABCD-EFGH-JKMN-PQRS", "ABCDEFGHJKMNPQRS"},
		{"abcd-efgh-jkmn-pqrs", "ABCDEFGHJKMNPQRS"},
		{"ABCDEFGHJKMNPQRS", "ABCDEFGHJKMNPQRS"},
		{"ABCD EFGH JKMN PQRS", "ABCDEFGHJKMNPQRS"},
		{"  ABCD--EFGH- -JKMN-PQRS  ", "ABCDEFGHJKMNPQRS"},
		{"A-B-C-D-E-F-G-H-J-K-M-N-P-Q-R-S", "ABCDEFGHJKMNPQRS"},
		{"oooo-OOOO-iiii-IIII", "0000000011111111"},
		{"llll-LLLL-0000-1111", "1111111100001111"},
		{"0123-4567-89ab-cdef", "0123456789ABCDEF"},
		{"ghjk-mnpq-rstv-wxyz", "GHJKMNPQRSTVWXYZ"},
		// Refused: wrong length, letters outside the alphabet, other separators.
		{"", ""},
		{"----", ""},
		{"ABCD-EFGH-JKMN-PQR", ""},
		{"ABCD-EFGH-JKMN-PQRST", ""},
		{"ABCD-EFGH-JKMN-PQRU", ""}, // U is not in Crockford's alphabet
		{"ABCD_EFGH_JKMN_PQRS", ""},
		{"ABCD\tEFGH\tJKMN\tPQRS", ""},
		{"ABCD\nEFGH-JKMN-PQRS", ""},
		{"ＡBCD-EFGH-JKMN-PQRS", ""}, // full-width A
		{"ABCD-EFGH-JKMN-PQR\xff", ""},
		{strings.Repeat("A", 1<<16), ""},
	}
	for _, tt := range tests {
		if got := normalizeCode(tt.in); got != tt.want {
			t.Errorf("normalizeCode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGeneratedCodesNormalizeToThemselves(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		c, err := newCode(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if len(c) != 19 || c[4] != '-' || c[9] != '-' || c[14] != '-' {
			t.Fatalf("newCode() = %q, want XXXX-XXXX-XXXX-XXXX", c)
		}
		want := strings.ReplaceAll(c, "-", "")
		if got := normalizeCode(c); got != want {
			t.Fatalf("normalizeCode(%q) = %q, want %q", c, got, want)
		}
		if got := normalizeCode(strings.ToLower(want)); got != want {
			t.Fatalf("normalizeCode(%q) = %q, want %q", strings.ToLower(want), got, want)
		}
		if seen[want] {
			t.Fatalf("code %s drawn twice", c)
		}
		seen[want] = true
	}
}

func TestCodeHash(t *testing.T) {
	a, b := codeHash("0000000000000000"), codeHash("0000000000000001")
	if len(a) != 32 {
		t.Errorf("len(codeHash) = %d, want 32", len(a))
	}
	if bytes.Equal(a, b) {
		t.Error("different codes hash alike")
	}
	if !bytes.Equal(a, codeHash("0000000000000000")) {
		t.Error("codeHash is not deterministic")
	}
}

func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{
		"ABCD-EFGH-JKMN-PQRS", "abcd efgh jkmn pqrs", "oooo-iiii-llll-0000", "0123456789ABCDEF",
		"", "-", "ABCD-EFGH-JKMN-PQRSX", "ıııı-ſſſſ-KKKK-0000", "\xff\xfe", "ＡＢＣＤ",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := normalizeCode(s)
		if got == "" {
			return
		}
		if len(got) != codeLen {
			t.Fatalf("normalizeCode(%q) = %q: %d bytes, want %d", s, got, len(got), codeLen)
		}
		for _, r := range got {
			if !strings.ContainsRune(codeAlphabet, r) {
				t.Fatalf("normalizeCode(%q) = %q holds %q, not in the alphabet", s, got, r)
			}
		}
		if again := normalizeCode(got); again != got {
			t.Fatalf("normalizeCode(%q) = %q, but that normalises to %q", s, got, again)
		}
	})
}
