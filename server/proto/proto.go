// Package proto is the client protocol of the `parley` SSH subsystem
// (`ssh -s host parley`): the framing, the version handshake, and the
// payloads of each request, as docs/protocol.md lists them byte by byte.
//
// A frame is
//
//	length  u32   bytes that follow (5 to MaxFrame)
//	kind    u8    Kind
//	id      u32   request ID chosen by the client; answers carry it; 0 for pushes
//	payload       length-5 bytes
//
// The client's first frame is a Hello, the server's answer a Welcome or an
// Error, and then the client sends requests and the server answers each
// one, in the order they came, with OK or Error, and pushes events once
// the client subscribed. Payloads other than Hello and Welcome are JSON
// objects. The package does no I/O of its own beyond the reader and writer
// it is given.
package proto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Version is the protocol version this code speaks; MinVersion the
// oldest it still accepts.
const (
	Version    uint16 = 1
	MinVersion uint16 = 1
)

// MaxFrame bounds a frame's length field: a file chunk or a page of
// envelopes fits, a larger frame is a protocol error.
const MaxFrame = 1 << 20

// headerSize is kind and request ID, counted in the length.
const headerSize = 5

// Kind says what a frame is.
type Kind uint8

// Frame kinds. 0x01–0x0f are the handshake, answers and pushes; 0x20 and
// up are requests.
const (
	KindHello   Kind = 0x01 // client → server, first frame: the versions it speaks
	KindWelcome Kind = 0x02 // server → client: the version chosen, who the key is
	KindOK      Kind = 0x03 // server → client: a request's result (JSON)
	KindError   Kind = 0x04 // server → client: a request's refusal (Error)
	KindPush    Kind = 0x05 // server → client, ID 0: an Event

	KindWhoami    Kind = 0x20 // → core WhoamiInfo
	KindSend      Kind = 0x21 // SendRequest → Sent
	KindSendBatch Kind = 0x22 // SendBatchRequest → SendBatchResult
	KindFetch     Kind = 0x23 // FetchRequest → FetchResult
	KindAck       Kind = 0x24 // AckRequest → AckResult
	KindSubscribe Kind = 0x25 // {} → {}; pushes follow
	KindContact   Kind = 0x26 // ContactRequest → Contact
	KindFind      Kind = 0x27 // FindRequest → FindResult

	// The group registry (core.Groups).
	KindGroupCreate Kind = 0x28 // GroupCreateRequest → GroupInfo
	KindGroupsMine  Kind = 0x29 // {} → GroupList
	KindGroup       Kind = 0x2a // GroupRequest → GroupInfo
	KindGroupAdd    Kind = 0x2b // GroupMembersRequest → GroupInfo
	KindGroupRemove Kind = 0x2c // GroupMembersRequest → GroupInfo
	KindGroupRename Kind = 0x2d // GroupRenameRequest → GroupInfo
	KindGroupAdmin  Kind = 0x2e // GroupAdminRequest → GroupInfo
	KindGroupLeave  Kind = 0x2f // GroupRequest → {}

	// The user's own account (core.Account).
	KindSettings        Kind = 0x30 // {} → Settings
	KindSetNickname     Kind = 0x31 // NicknameRequest → {}
	KindSetQuietHours   Kind = 0x32 // QuietHoursRequest → {}
	KindClearQuietHours Kind = 0x33 // {} → {}

	// The blob store (core.Blobs): the ciphertext of file attachments. An
	// upload is begun, sent in chunks and ended; a download is read in
	// ranges.
	KindBlobPutBegin  Kind = 0x34 // BlobPutBeginRequest → BlobUpload
	KindBlobPutChunk  Kind = 0x35 // BlobPutChunkRequest → {}
	KindBlobPutEnd    Kind = 0x36 // BlobUpload → BlobRef
	KindBlobPutCancel Kind = 0x37 // BlobUpload → {}
	KindBlobGet       Kind = 0x38 // BlobGetRequest → BlobRange
	KindBlobDelete    Kind = 0x39 // BlobRef → {}

	// The user's own account, continued.
	KindSetPresence Kind = 0x3a // PresenceRequest → {}
)

// lastRequest is the highest request kind; requests are contiguous from
// KindWhoami.
const lastRequest = KindSetPresence

// IsRequest reports whether k is a request a client may send.
func (k Kind) IsRequest() bool { return k >= KindWhoami && k <= lastRequest }

// Errors of the codec.
var (
	// ErrFrame is a frame that breaks the framing: too short, too long.
	ErrFrame = errors.New("malformed frame")
	// ErrVersion is a Hello without a version in common.
	ErrVersion = errors.New("no protocol version in common")
)

// Frame is one unit on the wire.
type Frame struct {
	Kind    Kind
	ID      uint32
	Payload []byte
}

// ReadFrame reads one frame. It never allocates more than the length
// field allows, and refuses a length beyond MaxFrame before reading it.
func ReadFrame(r io.Reader) (Frame, error) {
	var hdr [4 + headerSize]byte
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return Frame{}, err // io.EOF: the peer closed between frames
	}
	n := binary.BigEndian.Uint32(hdr[:4])
	if n < headerSize || n > MaxFrame {
		return Frame{}, fmt.Errorf("%w: length %d, want %d to %d", ErrFrame, n, headerSize, MaxFrame)
	}
	if _, err := io.ReadFull(r, hdr[4:]); err != nil {
		return Frame{}, fmt.Errorf("%w: cut off in the header: %w", ErrFrame, unexpected(err))
	}
	f := Frame{Kind: Kind(hdr[4]), ID: binary.BigEndian.Uint32(hdr[5:])}
	f.Payload = make([]byte, n-headerSize)
	if _, err := io.ReadFull(r, f.Payload); err != nil {
		return Frame{}, fmt.Errorf("%w: cut off in the payload: %w", ErrFrame, unexpected(err))
	}
	return f, nil
}

func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// AppendFrame appends f's wire form to b.
func AppendFrame(b []byte, f Frame) ([]byte, error) {
	n := headerSize + len(f.Payload)
	if n > MaxFrame {
		return b, fmt.Errorf("%w: payload of %d bytes is over the limit", ErrFrame, len(f.Payload))
	}
	b = binary.BigEndian.AppendUint32(b, uint32(n))
	b = append(b, byte(f.Kind))
	b = binary.BigEndian.AppendUint32(b, f.ID)
	return append(b, f.Payload...), nil
}

// WriteFrame writes f in one Write call.
func WriteFrame(w io.Writer, f Frame) error {
	b, err := AppendFrame(nil, f)
	if err != nil {
		return err
	}
	_, err = w.Write(b)
	return err
}

// helloMagic starts a Hello: a peer that is not a Parley client is told
// apart at once.
var helloMagic = []byte("PARLEY")

// Hello is the client's first frame: the versions it speaks (Min to Max)
// and, for logs, its software.
type Hello struct {
	Min, Max uint16
	Client   string // at most 64 bytes
}

// Encode is the Hello payload: "PARLEY" ‖ u16 min ‖ u16 max ‖ client.
func (h Hello) Encode() []byte {
	b := append([]byte(nil), helloMagic...)
	b = binary.BigEndian.AppendUint16(b, h.Min)
	b = binary.BigEndian.AppendUint16(b, h.Max)
	return append(b, h.Client...)
}

// ParseHello reads a Hello payload.
func ParseHello(p []byte) (Hello, error) {
	if len(p) < len(helloMagic)+4 || !bytes.Equal(p[:len(helloMagic)], helloMagic) {
		return Hello{}, fmt.Errorf("%w: not a Parley hello", ErrFrame)
	}
	p = p[len(helloMagic):]
	h := Hello{Min: binary.BigEndian.Uint16(p), Max: binary.BigEndian.Uint16(p[2:]), Client: string(p[4:])}
	if h.Min > h.Max || len(h.Client) > 64 {
		return Hello{}, fmt.Errorf("%w: versions %d to %d, client name of %d bytes", ErrFrame, h.Min, h.Max, len(h.Client))
	}
	return h, nil
}

// Choose picks the newest version both sides speak.
func (h Hello) Choose() (uint16, error) {
	v := min(h.Max, Version)
	if v < h.Min || v < MinVersion {
		return 0, fmt.Errorf("%w: the client speaks %d to %d, this server %d to %d", ErrVersion, h.Min, h.Max, MinVersion, Version)
	}
	return v, nil
}

// Welcome is the server's answer to a Hello: u16 version ‖ JSON of
// WelcomeInfo.
type Welcome struct {
	Version uint16
	Info    WelcomeInfo
}

// WelcomeInfo says who the key that authenticated belongs to.
type WelcomeInfo struct {
	Server string `json:"server"`          // software and version
	User   string `json:"user"`            // Parley ID
	Name   string `json:"name"`            // display name
	Public []byte `json:"public_key"`      // the user's X25519 public key
	Tenant string `json:"tenant"`          // the tenant's name
	Device string `json:"device"`          // the SSH key's fingerprint
	Local  bool   `json:"local,omitempty"` // the server holds no sealed secret key for the user
}

// Encode is the Welcome payload.
func (w Welcome) Encode() ([]byte, error) {
	js, err := json.Marshal(w.Info)
	if err != nil {
		return nil, err
	}
	return append(binary.BigEndian.AppendUint16(nil, w.Version), js...), nil
}

// ParseWelcome reads a Welcome payload.
func ParseWelcome(p []byte) (Welcome, error) {
	if len(p) < 2 {
		return Welcome{}, fmt.Errorf("%w: welcome of %d bytes", ErrFrame, len(p))
	}
	w := Welcome{Version: binary.BigEndian.Uint16(p)}
	if err := Decode(p[2:], &w.Info); err != nil {
		return Welcome{}, err
	}
	return w, nil
}

// Decode reads a JSON payload strictly: unknown fields are refused, so
// that a client and server that disagree find out at once.
func Decode(p []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(p))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("%w: payload: %w", ErrFrame, err)
	}
	if d.More() {
		return fmt.Errorf("%w: payload: data after the JSON object", ErrFrame)
	}
	return nil
}
