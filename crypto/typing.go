package crypto

import "fmt"

// TypeTyping says the sender is typing in the 1:1 conversation with the
// recipient, or stopped. It travels with FlagEphemeral and FlagSilent: the
// relay hands it to live sessions only and never stores it. There is no
// group form. The code is Parley's own, next to TypeReflect.
const TypeTyping MessageType = 0xa1

// Typing bodies: one byte.
const (
	TypingStopped byte = 0x00
	TypingStarted byte = 0x01
)

// MarshalTyping is the body of a TypeTyping message.
func MarshalTyping(on bool) []byte {
	if on {
		return []byte{TypingStarted}
	}
	return []byte{TypingStopped}
}

// ParseTyping reads a TypeTyping body: whether the sender types.
func ParseTyping(b []byte) (bool, error) {
	if len(b) != 1 || b[0] > TypingStarted {
		return false, fmt.Errorf("typing body of %d bytes: %w", len(b), ErrMalformed)
	}
	return b[0] == TypingStarted, nil
}
