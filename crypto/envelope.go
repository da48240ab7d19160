package crypto

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"io"
	"time"

	"golang.org/x/crypto/nacl/box"
)

// EnvelopeVersion is the version byte of the envelope layout in the package doc.
const EnvelopeVersion = 1

// Envelope sizes.
const (
	NonceSize         = 24
	HeaderSize        = 58
	boxOverhead       = box.Overhead
	minCiphertextSize = boxOverhead + 1 + 1 // type and one padding byte: receivers accept short padding
	// MaxEnvelopeSize bounds an envelope: header, box overhead and the largest plaintext.
	MaxEnvelopeSize = HeaderSize + boxOverhead + MaxPlaintextLen
)

// Envelope flags.
const (
	// FlagSilent asks the recipient not to raise a notification.
	FlagSilent byte = 0x01
	// FlagEphemeral asks the relay to deliver only to online sessions and not queue.
	FlagEphemeral byte = 0x02
	// FlagAlarm marks an alarm message: the recipient raises a notification
	// even in quiet hours. The relay accepts it only from senders whose
	// policy allows alarms.
	FlagAlarm byte = 0x04
)

// Header is the clear part of an envelope.
type Header struct {
	Flags     byte
	Sender    ID
	Recipient ID
	MessageID MessageID
	Time      time.Time // millisecond precision on the wire
	Nonce     [NonceSize]byte
}

// Envelope is a header and the box ciphertext of a padded plaintext.
type Envelope struct {
	Header
	Ciphertext []byte
}

// Marshal encodes the envelope in the version-1 layout.
func (e *Envelope) Marshal() []byte {
	out := make([]byte, HeaderSize, HeaderSize+len(e.Ciphertext))
	out[0] = EnvelopeVersion
	out[1] = e.Flags
	copy(out[2:10], e.Sender[:])
	copy(out[10:18], e.Recipient[:])
	copy(out[18:26], e.MessageID[:])
	ms := e.Time.UnixMilli()
	if ms < 0 {
		ms = 0 // times before 1970 are not representable; they encode as the epoch
	}
	binary.BigEndian.PutUint64(out[26:34], uint64(ms))
	copy(out[34:58], e.Nonce[:])
	return append(out, e.Ciphertext...)
}

// ParseEnvelope decodes and validates the layout of b. It does not decrypt.
// The returned envelope's ciphertext aliases b.
func ParseEnvelope(b []byte) (*Envelope, error) {
	if len(b) < HeaderSize+minCiphertextSize {
		return nil, fmt.Errorf("envelope of %d bytes: %w", len(b), ErrMalformed)
	}
	if len(b) > MaxEnvelopeSize {
		return nil, fmt.Errorf("envelope of %d bytes, limit %d: %w", len(b), MaxEnvelopeSize, ErrTooLarge)
	}
	if b[0] != EnvelopeVersion {
		return nil, fmt.Errorf("envelope version %d: %w", b[0], ErrMalformed)
	}
	var e Envelope
	var err error
	e.Flags = b[1]
	if e.Sender, err = IDFromBytes(b[2:10]); err != nil {
		return nil, fmt.Errorf("sender: %w", err)
	}
	if e.Recipient, err = IDFromBytes(b[10:18]); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	copy(e.MessageID[:], b[18:26])
	ms := binary.BigEndian.Uint64(b[26:34])
	if ms > 1<<53 {
		return nil, fmt.Errorf("timestamp out of range: %w", ErrMalformed)
	}
	e.Time = time.UnixMilli(int64(ms)).UTC()
	copy(e.Nonce[:], b[34:58])
	e.Ciphertext = b[HeaderSize:]
	return &e, nil
}

// SealEnvelope pads body as a message of type typ and boxes it with the
// shared key between sender and recipient. Randomness comes from r
// (crypto/rand when nil).
func SealEnvelope(r io.Reader, h Header, shared *SharedKey, typ MessageType, body []byte) (*Envelope, error) {
	if r == nil {
		r = rand.Reader
	}
	plain, err := Pad(r, typ, body)
	if err != nil {
		return nil, err
	}
	if _, err := io.ReadFull(r, h.Nonce[:]); err != nil {
		return nil, fmt.Errorf("read randomness: %w", err)
	}
	ct := box.SealAfterPrecomputation(nil, plain, &h.Nonce, (*[KeySize]byte)(shared))
	wipe(plain)
	return &Envelope{Header: h, Ciphertext: ct}, nil
}

// Open decrypts the envelope with the shared key and returns its type and body.
func (e *Envelope) Open(shared *SharedKey) (MessageType, []byte, error) {
	plain, ok := box.OpenAfterPrecomputation(nil, e.Ciphertext, &e.Nonce, (*[KeySize]byte)(shared))
	if !ok {
		return 0, nil, ErrDecrypt
	}
	typ, body, err := Unpad(plain)
	if err != nil {
		return 0, nil, err
	}
	return typ, body, nil
}
