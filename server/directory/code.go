package directory

import (
	"crypto/sha256"
	"fmt"
	"io"
	"strings"
)

// Activation codes are 16 characters of Crockford's base32 (80 random
// bits), shown as XXXX-XXXX-XXXX-XXXX. Input is forgiving: case, dashes and
// spaces are ignored, and I, L, O read as 1, 1, 0. Only the SHA-256 of the
// normalised code is stored.
const codeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

const codeLen = 16

func newCode(r io.Reader) (string, error) {
	var raw [10]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	var b strings.Builder
	var acc uint64
	bits := 0
	n := 0
	for _, c := range raw {
		acc = acc<<8 | uint64(c)
		bits += 8
		for bits >= 5 {
			bits -= 5
			if n > 0 && n%4 == 0 {
				b.WriteByte('-')
			}
			b.WriteByte(codeAlphabet[(acc>>uint(bits))&31])
			n++
		}
	}
	return b.String(), nil
}

// normalizeCode returns the canonical 16 characters of a typed code, or "".
func normalizeCode(s string) string {
	var b strings.Builder
	for _, r := range strings.ToUpper(s) {
		switch r {
		case '-', ' ':
			continue
		case 'I', 'L':
			r = '1'
		case 'O':
			r = '0'
		}
		if !strings.ContainsRune(codeAlphabet, r) {
			return ""
		}
		b.WriteRune(r)
		if b.Len() > codeLen {
			return ""
		}
	}
	if b.Len() != codeLen {
		return ""
	}
	return b.String()
}

func codeHash(code string) []byte {
	h := sha256.Sum256([]byte("parley activation v1\x00" + code))
	return h[:]
}
