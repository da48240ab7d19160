package crypto

import (
	"encoding/hex"
	"fmt"
	"unicode/utf8"
)

// GroupKeyLen is the length of a group key on the wire in bytes; as text it
// is twice as many lower-case hex characters.
const GroupKeyLen = 8

// Group name limits in bytes (type 0x4b).
const (
	MinGroupNameLen = 1
	MaxGroupNameLen = 100
)

// GroupHeader starts the body of every group message type.
type GroupHeader struct {
	// Key is the server's group key: 16 lower-case hex characters.
	Key string
}

// GroupType maps a 1:1 type to its group type (TypeText to TypeGroupText and
// so on). ok is false for a type that has no group form.
func GroupType(t MessageType) (MessageType, bool) {
	switch t {
	case TypeText:
		return TypeGroupText, true
	case TypeLocation:
		return TypeGroupLocation, true
	case TypeFile:
		return TypeGroupFile, true
	case TypePollSetup:
		return TypeGroupPollSetup, true
	case TypePollVote:
		return TypeGroupPollVote, true
	case TypeDeliveryReceipt:
		return TypeGroupReceipt, true
	case TypeReaction:
		return TypeGroupReaction, true
	case TypeEdit:
		return TypeGroupEdit, true
	case TypeDelete:
		return TypeGroupDelete, true
	}
	return 0, false
}

// BaseType maps a group type to the 1:1 type whose body it wraps. ok is false
// if t is not a group type, and also for the group-only types
// TypeGroupSetup, TypeGroupName and TypeGroupLeave, which wrap no 1:1 body
// (use IsGroupType to recognise them).
func BaseType(t MessageType) (MessageType, bool) {
	switch t {
	case TypeGroupText:
		return TypeText, true
	case TypeGroupLocation:
		return TypeLocation, true
	case TypeGroupFile:
		return TypeFile, true
	case TypeGroupPollSetup:
		return TypePollSetup, true
	case TypeGroupPollVote:
		return TypePollVote, true
	case TypeGroupReceipt:
		return TypeDeliveryReceipt, true
	case TypeGroupReaction:
		return TypeReaction, true
	case TypeGroupEdit:
		return TypeEdit, true
	case TypeGroupDelete:
		return TypeDelete, true
	}
	return 0, false
}

// IsGroupType reports whether t is a group message type, that is whether
// its body starts with a GroupHeader.
func IsGroupType(t MessageType) bool {
	switch t {
	case TypeGroupSetup, TypeGroupName, TypeGroupLeave:
		return true
	}
	_, ok := BaseType(t)
	return ok
}

// ParseGroupKey checks that s is a group key: 16 lower-case hex characters.
// It returns the key's 8 raw bytes.
func ParseGroupKey(s string) ([GroupKeyLen]byte, error) {
	var k [GroupKeyLen]byte
	if len(s) != 2*GroupKeyLen {
		return k, fmt.Errorf("group key of %d characters, want %d: %w", len(s), 2*GroupKeyLen, ErrMalformed)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return k, fmt.Errorf("group key is not lower-case hex: %w", ErrMalformed)
		}
	}
	if _, err := hex.Decode(k[:], []byte(s)); err != nil {
		return k, fmt.Errorf("group key: %w", ErrMalformed)
	}
	return k, nil
}

// MarshalGroup encodes a group message body: the 8 raw bytes of the group
// key ‖ inner, where inner is the 1:1 body of the base type (empty for
// TypeGroupSetup and TypeGroupLeave, the name for TypeGroupName).
func MarshalGroup(h GroupHeader, inner []byte) ([]byte, error) {
	k, err := ParseGroupKey(h.Key)
	if err != nil {
		return nil, err
	}
	if len(inner) > MaxBodyLen-GroupKeyLen {
		return nil, fmt.Errorf("group body of %d bytes: %w", GroupKeyLen+len(inner), ErrTooLarge)
	}
	out := make([]byte, 0, GroupKeyLen+len(inner))
	out = append(out, k[:]...)
	return append(out, inner...), nil
}

// ParseGroup splits a group message body into its header and the inner body.
// The inner body aliases b.
func ParseGroup(b []byte) (GroupHeader, []byte, error) {
	if len(b) < GroupKeyLen {
		return GroupHeader{}, nil, fmt.Errorf("group body of %d bytes: %w", len(b), ErrMalformed)
	}
	if len(b) > MaxBodyLen {
		return GroupHeader{}, nil, fmt.Errorf("group body of %d bytes: %w", len(b), ErrTooLarge)
	}
	return GroupHeader{Key: hex.EncodeToString(b[:GroupKeyLen])}, b[GroupKeyLen:], nil
}

// MarshalGroupName validates a group name (UTF-8, 1–100 bytes, no control
// characters) and returns it as the inner body of a TypeGroupName message.
func MarshalGroupName(name string) ([]byte, error) {
	if err := checkGroupName(name); err != nil {
		return nil, err
	}
	return []byte(name), nil
}

// ParseGroupName decodes the inner body of a TypeGroupName message.
func ParseGroupName(b []byte) (string, error) {
	name := string(b)
	if err := checkGroupName(name); err != nil {
		return "", err
	}
	return name, nil
}

func checkGroupName(name string) error {
	if len(name) < MinGroupNameLen {
		return fmt.Errorf("empty group name: %w", ErrMalformed)
	}
	if len(name) > MaxGroupNameLen {
		return fmt.Errorf("group name of %d bytes, limit %d: %w", len(name), MaxGroupNameLen, ErrTooLarge)
	}
	if !utf8.ValidString(name) {
		return fmt.Errorf("group name is not UTF-8: %w", ErrMalformed)
	}
	if hasControl(name) {
		return fmt.Errorf("group name has control characters: %w", ErrMalformed)
	}
	return nil
}

// hasControl reports whether s holds a C0 or C1 control character or DEL.
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}
