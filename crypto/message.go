package crypto

import (
	"crypto/rand"
	"fmt"
	"io"
	"unicode/utf8"
)

// MessageType is the first byte of a plaintext, with Threema's type codes.
type MessageType byte

// Message types. Parley uses Threema's codes so that Gateway tools
// interoperate; docs/protocol.md records the body layouts.
const (
	TypeText            MessageType = 0x01
	TypeLocation        MessageType = 0x10
	TypePollSetup       MessageType = 0x15
	TypePollVote        MessageType = 0x16
	TypeFile            MessageType = 0x17
	TypeGroupText       MessageType = 0x41
	TypeGroupLocation   MessageType = 0x42
	TypeGroupFile       MessageType = 0x46
	TypeGroupSetup      MessageType = 0x4a // membership changed: ask the server
	TypeGroupName       MessageType = 0x4b
	TypeGroupLeave      MessageType = 0x4c
	TypeGroupPollSetup  MessageType = 0x52
	TypeGroupPollVote   MessageType = 0x53
	TypeDeliveryReceipt MessageType = 0x80
	TypeGroupReceipt    MessageType = 0x81
	TypeReaction        MessageType = 0x82
	TypeGroupReaction   MessageType = 0x83
	TypeEdit            MessageType = 0x91
	TypeDelete          MessageType = 0x92
	TypeGroupEdit       MessageType = 0x93
	TypeGroupDelete     MessageType = 0x94
)

// Receipt statuses carried by a delivery receipt (type 0x80).
const (
	ReceiptReceived byte = 1
	ReceiptRead     byte = 2
	ReceiptAgree    byte = 3
	ReceiptDisagree byte = 4
)

// Size limits.
const (
	// MaxTextLen is the largest text body in bytes (64 KiB).
	MaxTextLen = 64 << 10
	// MaxBodyLen is the largest body of any message type: the largest text
	// plus room for a group header, a message ID and a quote line, so that a
	// group edit or a reply of MaxTextLen bytes of text still fits.
	MaxBodyLen = MaxTextLen + 64
	// MinPaddedLen is the minimum length of body plus padding.
	MinPaddedLen = 32
	// maxPad is the largest padding a PKCS#7-style byte can express.
	maxPad = 255
	// MaxPlaintextLen bounds a padded plaintext: type, the largest body and the largest padding.
	MaxPlaintextLen = 1 + MaxBodyLen + maxPad
)

// MessageIDLen is the length of a message ID.
const MessageIDLen = 8

// MessageID identifies one message between a sender and its recipients.
type MessageID [MessageIDLen]byte

// NewMessageID draws a random message ID.
func NewMessageID(r io.Reader) (MessageID, error) {
	var id MessageID
	if _, err := io.ReadFull(r, id[:]); err != nil {
		return MessageID{}, fmt.Errorf("read randomness: %w", err)
	}
	return id, nil
}

// String returns the ID as 16 hex characters.
func (m MessageID) String() string { return fmt.Sprintf("%x", m[:]) }

// Pad builds a plaintext: type ‖ body ‖ padding, with padding drawn from r
// (crypto/rand when r is nil).
func Pad(r io.Reader, typ MessageType, body []byte) ([]byte, error) {
	if r == nil {
		r = rand.Reader
	}
	if len(body) > MaxBodyLen {
		return nil, fmt.Errorf("body of %d bytes, limit %d: %w", len(body), MaxBodyLen, ErrTooLarge)
	}
	var b [1]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return nil, fmt.Errorf("read randomness: %w", err)
	}
	n := int(b[0])
	if n == 0 {
		n = 1
	}
	if len(body)+n < MinPaddedLen {
		n = MinPaddedLen - len(body)
	}
	out := make([]byte, 0, 1+len(body)+n)
	out = append(out, byte(typ))
	out = append(out, body...)
	for i := 0; i < n; i++ {
		out = append(out, byte(n))
	}
	return out, nil
}

// Unpad splits a plaintext into its type and body. It checks that the
// padding is PKCS#7-style (N bytes of value N, 1 ≤ N ≤ 255). It does not
// insist on the 32-byte minimum, so that peers that pad less still interoperate.
func Unpad(p []byte) (MessageType, []byte, error) {
	if len(p) < 2 {
		return 0, nil, fmt.Errorf("plaintext of %d bytes: %w", len(p), ErrPadding)
	}
	n := int(p[len(p)-1])
	if n == 0 || n > len(p)-1 {
		return 0, nil, ErrPadding
	}
	for _, c := range p[len(p)-n:] {
		if int(c) != n {
			return 0, nil, ErrPadding
		}
	}
	return MessageType(p[0]), p[1 : len(p)-n], nil
}

// TextBody validates a text body: UTF-8, not empty, at most MaxTextLen bytes.
func TextBody(text string) ([]byte, error) {
	if len(text) == 0 {
		return nil, fmt.Errorf("empty text: %w", ErrMalformed)
	}
	if len(text) > MaxTextLen {
		return nil, fmt.Errorf("text of %d bytes, limit %d: %w", len(text), MaxTextLen, ErrTooLarge)
	}
	if !utf8.ValidString(text) {
		return nil, fmt.Errorf("text is not UTF-8: %w", ErrMalformed)
	}
	return []byte(text), nil
}

// Receipt is the body of a delivery receipt: one status for one or more messages.
type Receipt struct {
	Status   byte
	Messages []MessageID
}

// maxReceiptIDs bounds how many message IDs one receipt may carry.
const maxReceiptIDs = 1024

// MarshalReceipt encodes status ‖ message IDs.
func MarshalReceipt(r Receipt) ([]byte, error) {
	if len(r.Messages) == 0 || len(r.Messages) > maxReceiptIDs {
		return nil, fmt.Errorf("receipt with %d message IDs: %w", len(r.Messages), ErrMalformed)
	}
	out := make([]byte, 0, 1+len(r.Messages)*MessageIDLen)
	out = append(out, r.Status)
	for _, id := range r.Messages {
		out = append(out, id[:]...)
	}
	return out, nil
}

// ParseReceipt decodes a delivery receipt body.
func ParseReceipt(b []byte) (Receipt, error) {
	if len(b) < 1+MessageIDLen || (len(b)-1)%MessageIDLen != 0 {
		return Receipt{}, fmt.Errorf("receipt of %d bytes: %w", len(b), ErrMalformed)
	}
	n := (len(b) - 1) / MessageIDLen
	if n > maxReceiptIDs {
		return Receipt{}, fmt.Errorf("receipt with %d message IDs: %w", n, ErrMalformed)
	}
	r := Receipt{Status: b[0], Messages: make([]MessageID, n)}
	for i := range r.Messages {
		copy(r.Messages[i][:], b[1+i*MessageIDLen:])
	}
	return r, nil
}
