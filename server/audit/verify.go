package audit

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/store"
)

// Report is the outcome of verifying the chain.
type Report struct {
	Entries uint64 // entries checked
	OK      bool
	// BadSeq is the first entry that does not fit, and Problem says how.
	BadSeq  uint64
	Problem string
	// Head is the hash of the last entry: kept outside the server, it is
	// an anchor a later Verify can check the log against.
	Head []byte
	// Kind says what is wrong without naming any entry, e.g. "was
	// changed"; VerifyTenant builds its Problem from it.
	Kind string
}

// Anchor is an entry's hash recorded outside the server. A log rewritten
// from that entry on — hashes recomputed, head included — still chains,
// but no longer matches the anchor.
type Anchor struct {
	Seq  uint64
	Hash []byte
}

// ParseAnchor reads an anchor written as "SEQ:HEX", as audit verify prints it.
func ParseAnchor(s string) (Anchor, error) {
	seq, h, ok := strings.Cut(strings.TrimSpace(s), ":")
	var a Anchor
	if _, err := fmt.Sscan(seq, &a.Seq); !ok || err != nil || a.Seq == 0 {
		return Anchor{}, fmt.Errorf("%q is not an anchor: write SEQ:HASH as audit verify prints it", s)
	}
	hash, err := hex.DecodeString(h)
	if err != nil || len(hash) != sha256.Size {
		return Anchor{}, fmt.Errorf("%q is not an anchor: the hash must be 64 hex digits", s)
	}
	a.Hash = hash
	return a, nil
}

// String formats an anchor as ParseAnchor reads it.
func (a Anchor) String() string { return fmt.Sprintf("%d:%x", a.Seq, a.Hash) }

// Verify walks the whole log and checks that every record sits under an
// eight-byte sequence key, that the keys run from 1 without a gap, that
// every record decodes, says it is the entry its key names, is stored
// exactly as it was written (its canonical JSON: no other spelling of the
// same values), links to the hash of the one before and hashes to what it
// says; and that the last one is the recorded head. Any edit, insertion or
// deletion of a record, down to a single byte of a key or a value, fails
// one of these. Problems name sequence numbers only, never an entry's
// contents. Each anchor must match the entry it names.
func Verify(tx store.Tx, anchors ...Anchor) (Report, error) {
	headSeq, headHash, err := tx.AuditHead()
	if errors.Is(err, store.ErrCorrupt) {
		return Report{Problem: "the recorded head of the log is corrupt"}, nil
	} else if err != nil {
		return Report{}, err
	}
	var r Report
	var prev []byte
	var want uint64 = 1
	fail := func(seq uint64, format string, args ...any) bool {
		r.BadSeq, r.Problem = seq, fmt.Sprintf(format, args...)
		r.Kind = kindOf(r.Problem)
		return false
	}
	err = tx.Audit(0, func(e store.AuditEntry, key, raw []byte) bool {
		if len(key) != 8 {
			return fail(want, "a record with a malformed key sits where entry %d should be", want)
		}
		seq := binary.BigEndian.Uint64(key)
		switch {
		case seq < want:
			return fail(want, "an extra record %d sits before entry %d", seq, want)
		case seq > want:
			return fail(want, "entry %d is missing (found %d next)", want, seq)
		case e.Seq == 0 && e.Hash == nil:
			return fail(seq, "entry %d does not decode", seq)
		case e.Seq != seq:
			return fail(seq, "entry %d says it is %d", seq, e.Seq)
		case !canonical(e, raw):
			return fail(seq, "entry %d was changed: it is not stored as it was written", seq)
		case !bytes.Equal(e.PrevHash, prev):
			return fail(seq, "entry %d does not link to the one before", seq)
		}
		h, err := Hash(e)
		if err != nil || !bytes.Equal(h, e.Hash) {
			return fail(seq, "entry %d was changed: its hash does not match", seq)
		}
		for _, a := range anchors {
			if a.Seq == seq && !bytes.Equal(a.Hash, e.Hash) {
				return fail(seq, "entry %d does not match the anchor kept outside the server: the log was rewritten", seq)
			}
		}
		prev = e.Hash
		r.Entries++
		want++
		return true
	})
	if err != nil {
		return Report{}, err
	}
	if r.Problem != "" {
		return r, nil
	}
	switch {
	case r.Entries != headSeq:
		r.BadSeq, r.Problem = min(r.Entries, headSeq)+1, fmt.Sprintf("the log ends at %d but its head says %d", r.Entries, headSeq)
		r.Kind = kindEnds
	case !bytes.Equal(prev, headHash):
		r.BadSeq, r.Problem, r.Kind = r.Entries, "the last entry is not the recorded head", kindHead
	default:
		r.OK, r.Head = true, prev
	}
	for _, a := range anchors {
		if r.OK && a.Seq > r.Entries {
			r.OK, r.BadSeq, r.Problem = false, r.Entries+1, fmt.Sprintf("the log ends at %d, before the anchored entry %d: entries were removed", r.Entries, a.Seq)
			r.Kind = kindRemoved
		}
	}
	return r, nil
}

// Kinds of problem, in words that name no entry.
const (
	kindEnds     = "the log ends before its recorded head: entries were removed"
	kindHead     = "the last entry is not the recorded head"
	kindRemoved  = "the log ends before an anchored entry: entries were removed"
	kindRewrite  = "does not match the anchor kept outside the server: the log was rewritten"
	kindChanged  = "was changed"
	kindLink     = "does not link to the one before: entries were inserted or removed"
	kindMissing  = "follows a gap: entries were removed"
	kindInserted = "follows a record that was inserted"
)

// kindOf classifies a problem Verify found.
func kindOf(problem string) string {
	switch {
	case strings.Contains(problem, "anchor"):
		return kindRewrite
	case strings.Contains(problem, "missing"):
		return kindMissing
	case strings.Contains(problem, "extra record"), strings.Contains(problem, "malformed key"):
		return kindInserted
	case strings.Contains(problem, "link"):
		return kindLink
	}
	return kindChanged
}

// canonical reports whether raw, a stored record, ends with the entry's
// canonical JSON. JSON decoding forgives some changes — a field name's
// case, the unused low bits of a base64 character — that leave the decoded
// entry, and so its hash, as it was; re-encoding catches them.
func canonical(e store.AuditEntry, raw []byte) bool {
	b, err := json.Marshal(e)
	return err == nil && bytes.HasSuffix(raw, b)
}
