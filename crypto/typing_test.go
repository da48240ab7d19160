package crypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestTypingBody(t *testing.T) {
	for _, on := range []bool{true, false} {
		got, err := ParseTyping(MarshalTyping(on))
		if err != nil || got != on {
			t.Errorf("ParseTyping(MarshalTyping(%v)) = %v, %v", on, got, err)
		}
	}
	for _, b := range [][]byte{nil, {}, {2}, {1, 0}} {
		if _, err := ParseTyping(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseTyping(%x): err %v, want ErrMalformed", b, err)
		}
	}
}

func FuzzParseTyping(f *testing.F) {
	f.Add([]byte{0})
	f.Add([]byte{1})
	f.Add([]byte{2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		on, err := ParseTyping(b)
		if err == nil && !bytes.Equal(MarshalTyping(on), b) {
			t.Fatalf("ParseTyping(%x) = %v, which marshals differently", b, on)
		}
	})
}
