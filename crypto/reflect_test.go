package crypto

import (
	"bytes"
	"errors"
	"testing"
)

func TestReflectRoundTrip(t *testing.T) {
	peer, err := ParseID("ABCD1234")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Reflect{
		{Peer: peer, Type: TypeText, Body: []byte("hello")},
		{Group: "0123456789abcdef", Type: TypeEdit, Body: []byte{1, 2, 3}},
		{Peer: peer, Type: TypeDeliveryReceipt},
	} {
		b, err := MarshalReflect(r)
		if err != nil {
			t.Fatalf("marshal %+v: %v", r, err)
		}
		got, err := ParseReflect(b)
		if err != nil {
			t.Fatalf("parse %x: %v", b, err)
		}
		if got.Peer != r.Peer || got.Group != r.Group || got.Type != r.Type || !bytes.Equal(got.Body, r.Body) {
			t.Fatalf("round trip: %+v → %+v", r, got)
		}
	}
	for _, bad := range []Reflect{
		{Type: TypeText}, // neither peer nor group
		{Peer: peer, Group: "0123456789abcdef", Type: TypeText}, // both
		{Peer: peer, Type: TypeReflect},                         // nested
		{Group: "0123456789abcdef", Type: TypeGroupText},        // group form inside
		{Group: "not-a-key", Type: TypeText},
		{Peer: peer, Type: TypeText, Body: make([]byte, MaxBodyLen)},
	} {
		if _, err := MarshalReflect(bad); err == nil {
			t.Errorf("marshal %+v: no error", bad)
		}
	}
	if _, err := ParseReflect([]byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 1}); !errors.Is(err, ErrMalformed) {
		t.Errorf("unknown kind: %v", err)
	}
}

func FuzzParseReflect(f *testing.F) {
	f.Add([]byte{1, 'A', 'B', 'C', 'D', '1', '2', '3', '4', 1, 'h', 'i'})
	f.Add([]byte{2, 1, 2, 3, 4, 5, 6, 7, 8, 0x91})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReflect(b)
		if err != nil {
			return
		}
		again, err := MarshalReflect(r)
		if err != nil {
			t.Fatalf("parsed %x but cannot marshal %+v: %v", b, r, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("not canonical: %x → %x", b, again)
		}
	})
}
