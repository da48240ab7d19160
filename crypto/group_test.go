package crypto

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

func TestGroupTypeMapping(t *testing.T) {
	pairs := []struct{ base, group MessageType }{
		{TypeText, TypeGroupText},
		{TypeLocation, TypeGroupLocation},
		{TypeFile, TypeGroupFile},
		{TypePollSetup, TypeGroupPollSetup},
		{TypePollVote, TypeGroupPollVote},
		{TypeDeliveryReceipt, TypeGroupReceipt},
		{TypeReaction, TypeGroupReaction},
		{TypeEdit, TypeGroupEdit},
		{TypeDelete, TypeGroupDelete},
	}
	for _, p := range pairs {
		if got, ok := GroupType(p.base); !ok || got != p.group {
			t.Errorf("GroupType(%#x) = %#x, %v; want %#x, true", p.base, got, ok, p.group)
		}
		if got, ok := BaseType(p.group); !ok || got != p.base {
			t.Errorf("BaseType(%#x) = %#x, %v; want %#x, true", p.group, got, ok, p.base)
		}
		if !IsGroupType(p.group) || IsGroupType(p.base) {
			t.Errorf("IsGroupType(%#x), IsGroupType(%#x) = %v, %v; want true, false", p.group, p.base, IsGroupType(p.group), IsGroupType(p.base))
		}
	}
	for _, typ := range []MessageType{TypeGroupSetup, TypeGroupName, TypeGroupLeave} {
		if _, ok := BaseType(typ); ok {
			t.Errorf("BaseType(%#x) ok, want no base type", typ)
		}
		if !IsGroupType(typ) {
			t.Errorf("IsGroupType(%#x) = false, want true", typ)
		}
	}
	// Every byte maps consistently: GroupType and BaseType are inverses.
	for i := 0; i < 256; i++ {
		typ := MessageType(i)
		if g, ok := GroupType(typ); ok {
			if b, ok := BaseType(g); !ok || b != typ {
				t.Errorf("BaseType(GroupType(%#x)) = %#x, %v", typ, b, ok)
			}
		}
		if _, ok := GroupType(typ); ok && IsGroupType(typ) {
			t.Errorf("%#x is both a 1:1 and a group type", typ)
		}
	}
}

func TestGroupRoundTrip(t *testing.T) {
	inner := []byte("hello group")
	b, err := MarshalGroup(GroupHeader{Key: "0123456789abcdef"}, inner)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := b[:GroupKeyLen], []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef}; !bytes.Equal(got, want) {
		t.Fatalf("key bytes %x, want %x", got, want)
	}
	h, rest, err := ParseGroup(b)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := h.Key, "0123456789abcdef"; got != want {
		t.Errorf("key %q, want %q", got, want)
	}
	if !bytes.Equal(rest, inner) {
		t.Errorf("inner %q, want %q", rest, inner)
	}
	// Header only (group setup, leave).
	b, err = MarshalGroup(GroupHeader{Key: "ffffffffffffffff"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h, rest, err = ParseGroup(b); err != nil || h.Key != "ffffffffffffffff" || len(rest) != 0 {
		t.Fatalf("ParseGroup(header only) = %+v, %q, %v", h, rest, err)
	}
}

func TestGroupBadInput(t *testing.T) {
	for _, key := range []string{"", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "0123456789abcdeg", " 123456789abcdef"} {
		if _, err := MarshalGroup(GroupHeader{Key: key}, []byte("x")); !errors.Is(err, ErrMalformed) {
			t.Errorf("MarshalGroup(key %q): err = %v, want ErrMalformed", key, err)
		}
	}
	if _, err := MarshalGroup(GroupHeader{Key: "0123456789abcdef"}, make([]byte, MaxBodyLen)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("MarshalGroup(oversize): err = %v, want ErrTooLarge", err)
	}
	for _, b := range [][]byte{nil, {1, 2, 3, 4, 5, 6, 7}} {
		if _, _, err := ParseGroup(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseGroup(%x): err = %v, want ErrMalformed", b, err)
		}
	}
	if _, _, err := ParseGroup(make([]byte, MaxBodyLen+1)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("ParseGroup(oversize): err = %v, want ErrTooLarge", err)
	}
}

func TestGroupName(t *testing.T) {
	for _, name := range []string{"A", "Team Zürich 🚀", strings.Repeat("n", MaxGroupNameLen)} {
		b, err := MarshalGroupName(name)
		if err != nil {
			t.Fatalf("MarshalGroupName(%q): %v", name, err)
		}
		got, err := ParseGroupName(b)
		if err != nil || got != name {
			t.Fatalf("ParseGroupName = %q, %v; want %q", got, err, name)
		}
	}
	bad := map[string]error{
		"":                                     ErrMalformed,
		strings.Repeat("n", MaxGroupNameLen+1): ErrTooLarge,
		"bad\xffutf8":                          ErrMalformed,
		"two\nlines":                           ErrMalformed,
		"esc\x1b[31m":                          ErrMalformed,
	}
	for name, want := range bad {
		if _, err := MarshalGroupName(name); !errors.Is(err, want) {
			t.Errorf("MarshalGroupName(%q): err = %v, want %v", name, err, want)
		}
		if _, err := ParseGroupName([]byte(name)); !errors.Is(err, want) {
			t.Errorf("ParseGroupName(%q): err = %v, want %v", name, err, want)
		}
	}
}

func FuzzParseGroup(f *testing.F) {
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 'h', 'i'})
	f.Add([]byte{1, 2, 3})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, inner, err := ParseGroup(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrTooLarge", err)
			}
			return
		}
		out, err := MarshalGroup(h, inner)
		if err != nil {
			t.Fatalf("MarshalGroup(ParseGroup(b)): %v", err)
		}
		if !bytes.Equal(out, b) {
			t.Fatalf("round trip: got %x, want %x", out, b)
		}
	})
}

func FuzzParseGroupName(f *testing.F) {
	f.Add([]byte("Team"))
	f.Add([]byte(""))
	f.Add([]byte("a\x00b"))
	f.Fuzz(func(t *testing.T, b []byte) {
		name, err := ParseGroupName(b)
		if err != nil {
			return
		}
		out, err := MarshalGroupName(name)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %q, %v", out, err)
		}
	})
}
