package crypto

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// This file holds the bodies of the 1:1 message types other than text and
// receipts. Every Parse function validates completely and returns an error
// wrapping ErrMalformed or ErrTooLarge; docs/protocol.md draws the layouts.

// Limits of the message bodies, in bytes unless said otherwise.
const (
	// MaxLocationLabel bounds the label of a location.
	MaxLocationLabel = 256
	// MaxPollQuestion bounds a poll's question (at least 1 byte).
	MaxPollQuestion = 500
	// MinPollChoices and MaxPollChoices bound the number of choices of a poll.
	MinPollChoices = 2
	MaxPollChoices = 20
	// MaxPollChoice bounds one choice's text (at least 1 byte).
	MaxPollChoice = 200
	// MaxFileName bounds a file name (at least 1 byte).
	MaxFileName = 255
	// MaxFileMime bounds a file's media type.
	MaxFileMime = 255
	// MaxFileCaption bounds a file's caption.
	MaxFileCaption = 4096
	// BlobIDLen is the length of a blob ID in bytes; as text it is 32 lower-case hex characters.
	BlobIDLen = 16
	// DefaultMime is the media type of a file whose type is not known.
	DefaultMime = "application/octet-stream"
	// maxCoordText bounds the text of one coordinate: "-" and the longest
	// shortest-round-trip decimal of a float64 in [-180, 180].
	maxCoordText = 400
)

// ---- Text with a quote (Threema quote v2) ----

const quotePrefix = "> quote #"

// MarshalQuoteText returns a reply's text: "> quote #" ‖ the 16 hex
// characters of the quoted message's ID ‖ "\n\n" ‖ text. The result is the
// body of an ordinary text message (type 0x01).
func MarshalQuoteText(replyTo MessageID, text string) []byte {
	out := make([]byte, 0, len(quotePrefix)+2*MessageIDLen+2+len(text))
	out = append(out, quotePrefix...)
	out = hex.AppendEncode(out, replyTo[:])
	out = append(out, "\n\n"...)
	return append(out, text...)
}

// ParseQuoteText recognises a reply in a text body. ok is false when text
// does not start with a well-formed quote line followed by a non-empty reply;
// the text is then an ordinary message.
func ParseQuoteText(text string) (replyTo MessageID, body string, ok bool) {
	rest, found := strings.CutPrefix(text, quotePrefix)
	if !found || len(rest) < 2*MessageIDLen+2 {
		return MessageID{}, "", false
	}
	if _, err := hex.Decode(replyTo[:], []byte(rest[:2*MessageIDLen])); err != nil {
		return MessageID{}, "", false
	}
	body, found = strings.CutPrefix(rest[2*MessageIDLen:], "\n\n")
	if !found || body == "" {
		return MessageID{}, "", false
	}
	return replyTo, body, true
}

// ---- Location (0x10) ----

// Location is the body of a location message: a point and an optional label.
type Location struct {
	Lat, Lon float64
	Label    string
}

// MarshalLocation encodes "lat,lon" and, if there is a label, "\n" ‖ label,
// in UTF-8. Coordinates are written in decimal, as short as round-trips.
func MarshalLocation(l Location) ([]byte, error) {
	if err := l.check(); err != nil {
		return nil, err
	}
	out := strconv.AppendFloat(nil, l.Lat, 'f', -1, 64)
	out = append(out, ',')
	out = strconv.AppendFloat(out, l.Lon, 'f', -1, 64)
	if l.Label != "" {
		out = append(out, '\n')
		out = append(out, l.Label...)
	}
	return out, nil
}

// ParseLocation decodes a location body. For interoperability with Threema a
// third coordinate (accuracy in metres) is accepted and ignored.
func ParseLocation(b []byte) (Location, error) {
	if len(b) > MaxBodyLen {
		return Location{}, fmt.Errorf("location of %d bytes: %w", len(b), ErrTooLarge)
	}
	coords, label, _ := bytes.Cut(b, []byte{'\n'})
	parts := strings.Split(string(coords), ",")
	if len(parts) != 2 && len(parts) != 3 {
		return Location{}, fmt.Errorf("location: want \"lat,lon\": %w", ErrMalformed)
	}
	var l Location
	var err error
	if l.Lat, err = parseCoord(parts[0]); err != nil {
		return Location{}, fmt.Errorf("latitude: %w", err)
	}
	if l.Lon, err = parseCoord(parts[1]); err != nil {
		return Location{}, fmt.Errorf("longitude: %w", err)
	}
	if len(parts) == 3 {
		if _, err := parseCoord(parts[2]); err != nil {
			return Location{}, fmt.Errorf("accuracy: %w", err)
		}
	}
	l.Label = string(label)
	if err := l.check(); err != nil {
		return Location{}, err
	}
	return l, nil
}

func (l Location) check() error {
	if math.IsNaN(l.Lat) || l.Lat < -90 || l.Lat > 90 {
		return fmt.Errorf("latitude %v outside [-90, 90]: %w", l.Lat, ErrMalformed)
	}
	if math.IsNaN(l.Lon) || l.Lon < -180 || l.Lon > 180 {
		return fmt.Errorf("longitude %v outside [-180, 180]: %w", l.Lon, ErrMalformed)
	}
	if len(l.Label) > MaxLocationLabel {
		return fmt.Errorf("location label of %d bytes, limit %d: %w", len(l.Label), MaxLocationLabel, ErrTooLarge)
	}
	if !utf8.ValidString(l.Label) {
		return fmt.Errorf("location label is not UTF-8: %w", ErrMalformed)
	}
	if hasControl(strings.ReplaceAll(l.Label, "\n", " ")) {
		return fmt.Errorf("location label has control characters: %w", ErrMalformed)
	}
	return nil
}

// parseCoord parses a plain decimal number: an optional sign, digits and at
// most one point. Exponents, hex, "Inf" and "NaN" are refused.
func parseCoord(s string) (float64, error) {
	if s == "" || len(s) > maxCoordText {
		return 0, fmt.Errorf("coordinate of %d characters: %w", len(s), ErrMalformed)
	}
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '.':
		case (c == '-' || c == '+') && i == 0:
		default:
			return 0, fmt.Errorf("coordinate %q: %w", truncate(s, 16), ErrMalformed)
		}
	}
	if digits == 0 {
		return 0, fmt.Errorf("coordinate %q: %w", truncate(s, 16), ErrMalformed)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("coordinate %q: %w", truncate(s, 16), ErrMalformed)
	}
	return v, nil
}

// ---- Poll setup (0x15) ----

// PollSetup is the body of a poll setup. ID is the message ID of the poll's
// first setup message; closing a poll sends the setup again with Closed set.
type PollSetup struct {
	ID       MessageID
	Question string
	Choices  []string
	Multi    bool // several choices may be chosen
	Closed   bool
}

type pollChoiceJSON struct {
	I int    `json:"i"`
	N string `json:"n"`
}

type pollSetupJSON struct {
	D string           `json:"d"`
	C []pollChoiceJSON `json:"c"`
	T int              `json:"t"`
	S int              `json:"s"`
}

// MarshalPollSetup encodes the poll ID (8 bytes) ‖ compact JSON
// {"d":question,"c":[{"i":0,"n":choice},…],"t":0|1,"s":0|1}.
func MarshalPollSetup(p PollSetup) ([]byte, error) {
	if err := p.check(); err != nil {
		return nil, err
	}
	j := pollSetupJSON{D: p.Question, C: make([]pollChoiceJSON, len(p.Choices)), T: boolInt(p.Multi), S: boolInt(p.Closed)}
	for i, c := range p.Choices {
		j.C[i] = pollChoiceJSON{I: i, N: c}
	}
	return appendJSON(p.ID[:], j)
}

// ParsePollSetup decodes a poll setup body. Choice i must carry index i.
// Unknown JSON fields are ignored.
func ParsePollSetup(b []byte) (PollSetup, error) {
	if len(b) > MaxBodyLen {
		return PollSetup{}, fmt.Errorf("poll setup of %d bytes: %w", len(b), ErrTooLarge)
	}
	if len(b) < MessageIDLen {
		return PollSetup{}, fmt.Errorf("poll setup of %d bytes: %w", len(b), ErrMalformed)
	}
	var j pollSetupJSON
	if err := json.Unmarshal(b[MessageIDLen:], &j); err != nil {
		return PollSetup{}, fmt.Errorf("poll setup: %w: %w", ErrMalformed, err)
	}
	if (j.T != 0 && j.T != 1) || (j.S != 0 && j.S != 1) {
		return PollSetup{}, fmt.Errorf("poll setup flags t=%d s=%d: %w", j.T, j.S, ErrMalformed)
	}
	p := PollSetup{Question: j.D, Choices: make([]string, len(j.C)), Multi: j.T == 1, Closed: j.S == 1}
	copy(p.ID[:], b)
	for i, c := range j.C {
		if c.I != i {
			return PollSetup{}, fmt.Errorf("poll choice %d has index %d: %w", i, c.I, ErrMalformed)
		}
		p.Choices[i] = c.N
	}
	if err := p.check(); err != nil {
		return PollSetup{}, err
	}
	return p, nil
}

func (p PollSetup) check() error {
	if err := checkText("poll question", p.Question, MaxPollQuestion, true); err != nil {
		return err
	}
	if len(p.Choices) < MinPollChoices || len(p.Choices) > MaxPollChoices {
		return fmt.Errorf("poll with %d choices, want %d–%d: %w", len(p.Choices), MinPollChoices, MaxPollChoices, ErrMalformed)
	}
	for i, c := range p.Choices {
		if err := checkText(fmt.Sprintf("poll choice %d", i+1), c, MaxPollChoice, false); err != nil {
			return err
		}
	}
	return nil
}

// ---- Poll vote (0x16) ----

// PollVote is the body of a poll vote: the poll (its creator and ID) and the
// indexes of the chosen choices, ascending. No choices withdraws the vote.
type PollVote struct {
	Creator ID
	Poll    MessageID
	Choices []int
}

// MarshalPollVote encodes creator ID (8) ‖ poll ID (8) ‖ compact JSON array
// of choice indexes, e.g. [0,2]. Choices are written sorted.
func MarshalPollVote(v PollVote) ([]byte, error) {
	if _, err := IDFromBytes(v.Creator[:]); err != nil {
		return nil, fmt.Errorf("poll creator: %w", err)
	}
	choices := slices.Clone(v.Choices)
	slices.Sort(choices)
	if choices == nil {
		choices = []int{}
	}
	if err := checkVote(choices); err != nil {
		return nil, err
	}
	out := make([]byte, 0, IDLen+MessageIDLen+2+3*len(choices))
	out = append(out, v.Creator[:]...)
	out = append(out, v.Poll[:]...)
	return appendJSON(out, choices)
}

// ParsePollVote decodes a poll vote body. The choices must be distinct
// indexes below MaxPollChoices; whether they exist in the poll is for the
// receiver to check. They are returned sorted, never nil.
func ParsePollVote(b []byte) (PollVote, error) {
	const head = IDLen + MessageIDLen
	if len(b) > MaxBodyLen {
		return PollVote{}, fmt.Errorf("poll vote of %d bytes: %w", len(b), ErrTooLarge)
	}
	if len(b) < head+2 {
		return PollVote{}, fmt.Errorf("poll vote of %d bytes: %w", len(b), ErrMalformed)
	}
	var v PollVote
	var err error
	if v.Creator, err = IDFromBytes(b[:IDLen]); err != nil {
		return PollVote{}, fmt.Errorf("poll creator: %w: %w", ErrMalformed, err)
	}
	copy(v.Poll[:], b[IDLen:head])
	rest := bytes.TrimSpace(b[head:])
	if len(rest) == 0 || rest[0] != '[' {
		return PollVote{}, fmt.Errorf("poll vote choices: want a JSON array: %w", ErrMalformed)
	}
	if err := json.Unmarshal(rest, &v.Choices); err != nil {
		return PollVote{}, fmt.Errorf("poll vote choices: %w: %w", ErrMalformed, err)
	}
	if v.Choices == nil {
		v.Choices = []int{}
	}
	slices.Sort(v.Choices)
	if err := checkVote(v.Choices); err != nil {
		return PollVote{}, err
	}
	return v, nil
}

// checkVote checks sorted choice indexes.
func checkVote(choices []int) error {
	if len(choices) > MaxPollChoices {
		return fmt.Errorf("vote for %d choices: %w", len(choices), ErrMalformed)
	}
	for i, c := range choices {
		if c < 0 || c >= MaxPollChoices {
			return fmt.Errorf("vote for choice index %d: %w", c, ErrMalformed)
		}
		if i > 0 && choices[i-1] == c {
			return fmt.Errorf("vote for choice index %d twice: %w", c, ErrMalformed)
		}
	}
	return nil
}

// ---- File (0x17) ----

// FileMessage is the body of a file message: where the encrypted file is,
// the key to open it, and what it is.
type FileMessage struct {
	Blob    string   // blob ID: 32 lower-case hex characters
	Key     [32]byte // the blob's secretbox key (see EncryptBlob)
	Name    string   // file name, no path
	Mime    string   // media type; empty means DefaultMime
	Size    int64    // plaintext size in bytes
	Caption string   // optional
}

type fileJSON struct {
	B string `json:"b"`
	K string `json:"k"`
	M string `json:"m"`
	N string `json:"n"`
	S int64  `json:"s"`
	D string `json:"d,omitempty"`
	J int    `json:"j"`
}

// MarshalFileMessage encodes the compact JSON of Threema's file message:
// {"b":blob,"k":key,"m":mime,"n":name,"s":size,"d":caption,"j":0}. An empty
// Mime is written as DefaultMime; an empty caption is left out.
func MarshalFileMessage(f FileMessage) ([]byte, error) {
	if f.Mime == "" {
		f.Mime = DefaultMime
	}
	if err := f.check(); err != nil {
		return nil, err
	}
	return appendJSON(nil, fileJSON{B: f.Blob, K: hex.EncodeToString(f.Key[:]), M: f.Mime, N: f.Name, S: f.Size, D: f.Caption})
}

// ParseFileMessage decodes a file message body. It refuses a name with a
// path separator, NUL, control or bidirectional-override characters, "." or
// "..". Unknown JSON fields (Threema's thumbnails, metadata) are ignored.
func ParseFileMessage(b []byte) (FileMessage, error) {
	if len(b) > MaxBodyLen {
		return FileMessage{}, fmt.Errorf("file message of %d bytes: %w", len(b), ErrTooLarge)
	}
	var j fileJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return FileMessage{}, fmt.Errorf("file message: %w: %w", ErrMalformed, err)
	}
	if len(j.K) != 64 || !isLowerHex(j.K) {
		return FileMessage{}, fmt.Errorf("file key: want 64 lower-case hex characters: %w", ErrMalformed)
	}
	if j.J < 0 || j.J > 2 {
		return FileMessage{}, fmt.Errorf("file rendering type %d: %w", j.J, ErrMalformed)
	}
	f := FileMessage{Blob: j.B, Name: j.N, Mime: j.M, Size: j.S, Caption: j.D}
	if _, err := hex.Decode(f.Key[:], []byte(j.K)); err != nil {
		return FileMessage{}, fmt.Errorf("file key: %w", ErrMalformed)
	}
	if f.Mime == "" {
		f.Mime = DefaultMime
	}
	if err := f.check(); err != nil {
		return FileMessage{}, err
	}
	return f, nil
}

func (f FileMessage) check() error {
	if len(f.Blob) != 2*BlobIDLen || !isLowerHex(f.Blob) {
		return fmt.Errorf("blob ID: want %d lower-case hex characters: %w", 2*BlobIDLen, ErrMalformed)
	}
	if err := CheckFileName(f.Name); err != nil {
		return err
	}
	if len(f.Mime) > MaxFileMime || !strings.Contains(f.Mime, "/") {
		return fmt.Errorf("media type %q: %w", truncate(f.Mime, 32), ErrMalformed)
	}
	for i := 0; i < len(f.Mime); i++ {
		if f.Mime[i] < 0x20 || f.Mime[i] > 0x7e {
			return fmt.Errorf("media type is not printable ASCII: %w", ErrMalformed)
		}
	}
	if f.Size < 0 {
		return fmt.Errorf("file size %d: %w", f.Size, ErrMalformed)
	}
	if len(f.Caption) > MaxFileCaption {
		return fmt.Errorf("caption of %d bytes, limit %d: %w", len(f.Caption), MaxFileCaption, ErrTooLarge)
	}
	if !utf8.ValidString(f.Caption) {
		return fmt.Errorf("caption is not UTF-8: %w", ErrMalformed)
	}
	return nil
}

// CheckFileName reports whether name is acceptable as a file name in a file
// message: UTF-8, 1–255 bytes, not "." or "..", and free of "/", "\", NUL,
// control characters and bidirectional overrides.
func CheckFileName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("empty file name: %w", ErrMalformed)
	case len(name) > MaxFileName:
		return fmt.Errorf("file name of %d bytes, limit %d: %w", len(name), MaxFileName, ErrTooLarge)
	case !utf8.ValidString(name):
		return fmt.Errorf("file name is not UTF-8: %w", ErrMalformed)
	case name == "." || name == "..":
		return fmt.Errorf("file name %q: %w", name, ErrMalformed)
	}
	for _, r := range name {
		if badNameRune(r) {
			return fmt.Errorf("file name has %q: %w", r, ErrMalformed)
		}
	}
	return nil
}

// SafeFileName cleans name for display and saving: invalid UTF-8, path
// separators, control characters and bidirectional overrides become "_",
// surrounding spaces go, and the result is cut to 255 bytes on a character
// boundary. An empty result, "." or ".." becomes "file". The result always
// passes CheckFileName.
func SafeFileName(name string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(name, "_") {
		if badNameRune(r) {
			r = '_'
		}
		if b.Len()+utf8.RuneLen(r) > MaxFileName {
			break
		}
		b.WriteRune(r)
	}
	s := strings.TrimSpace(b.String())
	if s == "" || s == "." || s == ".." {
		return "file"
	}
	return s
}

func badNameRune(r rune) bool {
	switch {
	case r == '/' || r == '\\' || r == 0:
		return true
	case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
		return true
	case r == 0x061c || r == 0x200e || r == 0x200f || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
		return true // bidirectional controls: "invoice\u202efdp.exe" would show as "invoiceexe.pdf"
	case r == utf8.RuneError:
		return true
	}
	return false
}

// ---- Reaction (0x82) ----

// Reaction is the body of a reaction: agree or disagree with a message, or
// withdraw that.
type Reaction struct {
	Message  MessageID
	Agree    bool // false: disagree
	Withdraw bool
}

// Reaction codes, the byte after the message ID.
const (
	reactAgree            byte = 0x01
	reactDisagree         byte = 0x02
	reactWithdrawAgree    byte = 0x81
	reactWithdrawDisagree byte = 0x82
)

// MarshalReaction encodes message ID (8) ‖ one byte: 1 agree, 2 disagree,
// 0x81 withdraw agree, 0x82 withdraw disagree.
func MarshalReaction(r Reaction) []byte {
	code := reactDisagree
	if r.Agree {
		code = reactAgree
	}
	if r.Withdraw {
		code |= 0x80
	}
	out := make([]byte, 0, MessageIDLen+1)
	out = append(out, r.Message[:]...)
	return append(out, code)
}

// ParseReaction decodes a reaction body.
func ParseReaction(b []byte) (Reaction, error) {
	if len(b) != MessageIDLen+1 {
		return Reaction{}, fmt.Errorf("reaction of %d bytes, want %d: %w", len(b), MessageIDLen+1, ErrMalformed)
	}
	var r Reaction
	copy(r.Message[:], b)
	switch b[MessageIDLen] {
	case reactAgree:
		r.Agree = true
	case reactDisagree:
	case reactWithdrawAgree:
		r.Agree, r.Withdraw = true, true
	case reactWithdrawDisagree:
		r.Withdraw = true
	default:
		return Reaction{}, fmt.Errorf("reaction code %#x: %w", b[MessageIDLen], ErrMalformed)
	}
	return r, nil
}

// ---- Edit (0x91) and delete (0x92) ----

// MarshalEdit encodes message ID (8) ‖ the new text, which follows the rules
// of a text body (TextBody).
func MarshalEdit(id MessageID, text string) ([]byte, error) {
	body, err := TextBody(text)
	if err != nil {
		return nil, fmt.Errorf("edit: %w", err)
	}
	out := make([]byte, 0, MessageIDLen+len(body))
	out = append(out, id[:]...)
	return append(out, body...), nil
}

// ParseEdit decodes an edit body into the edited message's ID and its new text.
func ParseEdit(b []byte) (MessageID, string, error) {
	if len(b) < MessageIDLen {
		return MessageID{}, "", fmt.Errorf("edit of %d bytes: %w", len(b), ErrMalformed)
	}
	text := string(b[MessageIDLen:])
	if _, err := TextBody(text); err != nil {
		return MessageID{}, "", fmt.Errorf("edit: %w", err)
	}
	var id MessageID
	copy(id[:], b)
	return id, text, nil
}

// MarshalDelete encodes the ID (8 bytes) of the message to delete.
func MarshalDelete(id MessageID) []byte { return slices.Clone(id[:]) }

// ParseDelete decodes a delete body.
func ParseDelete(b []byte) (MessageID, error) {
	var id MessageID
	if len(b) != MessageIDLen {
		return id, fmt.Errorf("delete of %d bytes, want %d: %w", len(b), MessageIDLen, ErrMalformed)
	}
	copy(id[:], b)
	return id, nil
}

// ---- helpers ----

// appendJSON appends the compact JSON of v, without HTML escaping, to out.
func appendJSON(out []byte, v any) ([]byte, error) {
	buf := bytes.NewBuffer(out)
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode JSON: %w", err)
	}
	b := bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
	if len(b) > MaxBodyLen {
		return nil, fmt.Errorf("body of %d bytes: %w", len(b), ErrTooLarge)
	}
	return b, nil
}

// checkText checks a UTF-8 field of 1..limit bytes without control
// characters; newlines are allowed when multiline.
func checkText(what, s string, limit int, multiline bool) error {
	if s == "" {
		return fmt.Errorf("empty %s: %w", what, ErrMalformed)
	}
	if len(s) > limit {
		return fmt.Errorf("%s of %d bytes, limit %d: %w", what, len(s), limit, ErrTooLarge)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%s is not UTF-8: %w", what, ErrMalformed)
	}
	if multiline {
		s = strings.ReplaceAll(s, "\n", " ")
	}
	if hasControl(s) {
		return fmt.Errorf("%s has control characters: %w", what, ErrMalformed)
	}
	return nil
}

func isLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
