package crypto

import (
	"fmt"
	"io"
	"strings"
)

// IDLen is the length of a Parley ID in characters (and bytes).
const IDLen = 8

const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// ID is a Parley ID: eight characters from [A-Z0-9], random and unique per
// instance, like a Threema ID. The zero ID is not valid.
type ID [IDLen]byte

// NewID draws a random ID from r without modulo bias.
func NewID(r io.Reader) (ID, error) {
	var id ID
	var buf [16]byte
	i := 0
	for i < IDLen {
		if _, err := io.ReadFull(r, buf[:]); err != nil {
			return ID{}, fmt.Errorf("read randomness: %w", err)
		}
		for _, b := range buf {
			// 252 = 7*36: reject the top values so every symbol is equally likely.
			if b >= 252 {
				continue
			}
			id[i] = idAlphabet[int(b)%len(idAlphabet)]
			i++
			if i == IDLen {
				break
			}
		}
	}
	return id, nil
}

// ParseID parses s as a Parley ID. Lower-case letters are accepted and
// upper-cased; surrounding spaces are ignored.
func ParseID(s string) (ID, error) {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) != IDLen {
		return ID{}, fmt.Errorf("%q: %w", truncate(s, 16), ErrInvalidID)
	}
	var id ID
	for i := 0; i < IDLen; i++ {
		c := s[i]
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return ID{}, fmt.Errorf("%q: %w", truncate(s, 16), ErrInvalidID)
		}
		id[i] = c
	}
	return id, nil
}

// IDFromBytes interprets b as an ID in wire form: exactly IDLen bytes of
// [A-Z0-9], nothing normalised.
func IDFromBytes(b []byte) (ID, error) {
	if len(b) != IDLen {
		return ID{}, ErrInvalidID
	}
	var id ID
	for i, c := range b {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return ID{}, ErrInvalidID
		}
		id[i] = c
	}
	return id, nil
}

// String returns the ID's eight characters.
func (id ID) String() string { return string(id[:]) }

// IsZero reports whether id is the zero value (not a valid ID).
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText implements encoding.TextMarshaler.
func (id ID) MarshalText() ([]byte, error) {
	if id.IsZero() {
		return []byte{}, nil
	}
	return []byte(id.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler.
func (id *ID) UnmarshalText(b []byte) error {
	if len(b) == 0 {
		*id = ID{}
		return nil
	}
	p, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = p
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
