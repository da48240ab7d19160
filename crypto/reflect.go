package crypto

import (
	"encoding/hex"
	"fmt"
)

// TypeReflect is a copy, for the user's other devices, of what one of
// their devices sent: a message, a change of one, a reaction, a vote, or a
// read receipt. It is sealed from the user to the user's own key; the
// relay stores it only while the user has another device. The code is
// Parley's own, outside Threema's ranges.
const TypeReflect MessageType = 0xa0

// Reflect is the body of a TypeReflect message: what was sent, and to which
// conversation.
type Reflect struct {
	// Peer is the other side of a 1:1 conversation; zero for a group.
	Peer ID
	// Group is the group's key (16 hex characters) for a group conversation.
	Group string
	// Type and Body are the 1:1 form of what was sent (for a group message,
	// the base type and the inner body, without the group header).
	Type MessageType
	Body []byte
}

const (
	reflectDirect = 1
	reflectGroup  = 2
	// reflectHeader is kind (1) ‖ peer ID or group key (8) ‖ type (1).
	reflectHeader = 1 + IDLen + 1
)

// MarshalReflect encodes r: kind (1: 1:1, 2: group) ‖ the peer's ID or the
// group key's 8 raw bytes ‖ type ‖ body.
func MarshalReflect(r Reflect) ([]byte, error) {
	out := make([]byte, reflectHeader, reflectHeader+len(r.Body))
	switch {
	case r.Group != "" && r.Peer.IsZero():
		k, err := ParseGroupKey(r.Group)
		if err != nil {
			return nil, err
		}
		out[0] = reflectGroup
		copy(out[1:1+IDLen], k[:])
	case r.Group == "" && !r.Peer.IsZero():
		out[0] = reflectDirect
		copy(out[1:1+IDLen], r.Peer[:])
	default:
		return nil, fmt.Errorf("a reflected message names one peer or one group: %w", ErrMalformed)
	}
	if r.Type == TypeReflect || IsGroupType(r.Type) {
		return nil, fmt.Errorf("reflected type %#x: %w", byte(r.Type), ErrMalformed)
	}
	if len(r.Body) > MaxBodyLen-reflectHeader {
		return nil, fmt.Errorf("reflected body of %d bytes: %w", len(r.Body), ErrTooLarge)
	}
	out[reflectHeader-1] = byte(r.Type)
	return append(out, r.Body...), nil
}

// ParseReflect decodes a TypeReflect body. Body aliases b.
func ParseReflect(b []byte) (Reflect, error) {
	if len(b) < reflectHeader {
		return Reflect{}, fmt.Errorf("reflected message of %d bytes: %w", len(b), ErrMalformed)
	}
	if len(b) > MaxBodyLen {
		return Reflect{}, fmt.Errorf("reflected message of %d bytes: %w", len(b), ErrTooLarge)
	}
	r := Reflect{Type: MessageType(b[reflectHeader-1]), Body: b[reflectHeader:]}
	if r.Type == TypeReflect || IsGroupType(r.Type) {
		return Reflect{}, fmt.Errorf("reflected type %#x: %w", byte(r.Type), ErrMalformed)
	}
	switch b[0] {
	case reflectDirect:
		id, err := IDFromBytes(b[1 : 1+IDLen])
		if err != nil {
			return Reflect{}, err
		}
		r.Peer = id
	case reflectGroup:
		r.Group = hex.EncodeToString(b[1 : 1+IDLen])
	default:
		return Reflect{}, fmt.Errorf("reflected conversation kind %d: %w", b[0], ErrMalformed)
	}
	return r, nil
}
