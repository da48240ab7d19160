package audit

import (
	"bytes"
	"encoding/binary"
	"fmt"
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
}

// Verify walks the whole log and checks that every entry decodes, sits at
// its own sequence number, follows the one before without a gap, links to
// its hash, and hashes to what it says; and that the last one is the head.
// Any edit, insertion or deletion of an entry fails one of these.
func Verify(tx store.Tx) (Report, error) {
	headSeq, headHash, err := tx.AuditHead()
	if err != nil {
		return Report{}, err
	}
	var r Report
	var prev []byte
	var want uint64 = 1
	fail := func(seq uint64, format string, args ...any) bool {
		r.BadSeq, r.Problem = seq, fmt.Sprintf(format, args...)
		return false
	}
	err = tx.Audit(1, func(e store.AuditEntry, key, raw []byte) bool {
		seq := binary.BigEndian.Uint64(key)
		switch {
		case len(key) != 8:
			return fail(want, "an entry has a malformed key")
		case e.Seq == 0 && e.Hash == nil:
			return fail(seq, "entry %d does not decode", seq)
		case seq != want:
			return fail(want, "entry %d is missing (found %d next)", want, seq)
		case e.Seq != seq:
			return fail(seq, "entry %d says it is %d", seq, e.Seq)
		case !bytes.Equal(e.PrevHash, prev) && !(len(e.PrevHash) == 0 && len(prev) == 0):
			return fail(seq, "entry %d does not link to the one before", seq)
		}
		h, err := Hash(e)
		if err != nil || !bytes.Equal(h, e.Hash) {
			return fail(seq, "entry %d was changed: its hash does not match", seq)
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
		r.BadSeq, r.Problem = r.Entries+1, fmt.Sprintf("the log ends at %d but its head says %d", r.Entries, headSeq)
	case !bytes.Equal(prev, headHash) && !(len(prev) == 0 && len(headHash) == 0):
		r.BadSeq, r.Problem = r.Entries, "the last entry is not the recorded head"
	default:
		r.OK = true
	}
	return r, nil
}

// Filter selects entries for List. Zero fields select everything.
type Filter struct {
	TenantID string // required by callers outside instance administration
	Actor    string // fingerprint, "apikey:<id>", or part of the label
	Target   string // substring of the target
	Action   string // prefix of the action, e.g. "user."
	Since    time.Time
	Until    time.Time
	Limit    int // newest entries kept; default 100
}

// Match reports whether e passes the filter.
func (f Filter) Match(e store.AuditEntry) bool {
	switch {
	case f.TenantID != "" && e.TenantID != f.TenantID:
		return false
	case f.Actor != "" && e.Actor != f.Actor && !bytes.Contains([]byte(e.Label), []byte(f.Actor)):
		return false
	case f.Target != "" && !bytes.Contains([]byte(e.Target), []byte(f.Target)):
		return false
	case f.Action != "" && !bytes.HasPrefix([]byte(e.Action), []byte(f.Action)):
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
	if limit <= 0 {
		limit = 100
	}
	var out []store.AuditEntry
	err := tx.Audit(1, func(e store.AuditEntry, _, _ []byte) bool {
		if f.Match(e) {
			out = append(out, e)
			if len(out) > limit {
				out = out[1:]
			}
		}
		return true
	})
	return out, err
}
