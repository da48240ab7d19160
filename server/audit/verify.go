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
	"time"

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
	case !bytes.Equal(prev, headHash):
		r.BadSeq, r.Problem = r.Entries, "the last entry is not the recorded head"
	default:
		r.OK, r.Head = true, prev
	}
	for _, a := range anchors {
		if r.OK && a.Seq > r.Entries {
			r.OK, r.BadSeq, r.Problem = false, r.Entries+1, fmt.Sprintf("the log ends at %d, before the anchored entry %d: entries were removed", r.Entries, a.Seq)
		}
	}
	return r, nil
}

// canonical reports whether raw, a stored record, ends with the entry's
// canonical JSON. JSON decoding forgives some changes — a field name's
// case, the unused low bits of a base64 character — that leave the decoded
// entry, and so its hash, as it was; re-encoding catches them.
func canonical(e store.AuditEntry, raw []byte) bool {
	b, err := json.Marshal(e)
	return err == nil && bytes.HasSuffix(raw, b)
}

// Filter selects entries for List. Zero fields select everything.
type Filter struct {
	TenantID string // required by callers outside instance administration
	// Actor is an SSH key fingerprint or "apikey:<id>" (exactly), or part
	// of the admin's label (any case).
	Actor  string
	Target string // substring of the target
	Action string // prefix of the action, e.g. "user."
	Since  time.Time
	Until  time.Time // exclusive
	// Limit keeps the newest entries: 0 means DefaultLimit, NoLimit all.
	Limit int
}

// List limits.
const (
	DefaultLimit = 100
	NoLimit      = -1
)

// Match reports whether e passes the filter.
func (f Filter) Match(e store.AuditEntry) bool {
	switch {
	case f.TenantID != "" && e.TenantID != f.TenantID:
		return false
	case f.Actor != "" && e.Actor != f.Actor && !strings.Contains(strings.ToLower(e.Label), strings.ToLower(f.Actor)):
		return false
	case f.Target != "" && !strings.Contains(e.Target, f.Target):
		return false
	case f.Action != "" && !strings.HasPrefix(e.Action, f.Action):
		return false
	case !f.Since.IsZero() && e.Time.Before(f.Since):
		return false
	case !f.Until.IsZero() && !e.Time.Before(f.Until):
		return false
	}
	return true
}

// List returns the newest entries matching f, oldest first.
func List(tx store.Tx, f Filter) ([]store.AuditEntry, error) {
	limit := f.Limit
	switch {
	case limit == 0:
		limit = DefaultLimit
	case limit < 0:
		limit = 0
	}
	var out []store.AuditEntry
	err := tx.Audit(1, func(e store.AuditEntry, _, _ []byte) bool {
		if f.Match(e) {
			out = append(out, e)
			if limit > 0 && len(out) > limit {
				out = out[1:]
			}
		}
		return true
	})
	return out, err
}
