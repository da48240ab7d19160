package store

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// Delivery cursors (schema 5). A user may read their mailbox from several
// devices: the server's hosted core (one device store per user, whichever
// SSH key opened it) and each SSH key that speaks the client protocol. Each
// device has a cursor; an envelope leaves the mailbox when every device
// that existed when it arrived acknowledged it (or at retention).
//
//	cursors:   user ‖ device          → version ‖ from seq (8) ‖ added, Unix ns (8)
//	mail_acks: seq ‖ device           → 1 (the device acknowledged seq)

// HostedCursor is the delivery cursor of a user's hosted sessions.
const HostedCursor = "hosted"

// KeyCursor is the delivery cursor of a client that authenticates with the
// SSH key of that fingerprint.
func KeyCursor(fingerprint string) string { return "key:" + fingerprint }

// MaxCursorName bounds a cursor's name.
const MaxCursorName = 128

// Cursor is one device's place in a user's mailbox.
type Cursor struct {
	Device string
	// From is the mailbox sequence the device was registered at: it receives
	// the envelopes after it.
	From  uint64
	Added time.Time
}

const cursorVersion = 1

func cursorKey(user crypto.ID, device string) []byte {
	return append(append(make([]byte, 0, crypto.IDLen+len(device)), user[:]...), device...)
}

func ackKey(seq uint64, device string) []byte {
	return append(seqKey(seq), device...)
}

func decodeCursor(k, v []byte) (Cursor, error) {
	if len(k) <= crypto.IDLen || len(v) != 17 || v[0] != cursorVersion {
		return Cursor{}, fmt.Errorf("cursor entry: %w", ErrCorrupt)
	}
	return Cursor{
		Device: string(k[crypto.IDLen:]),
		From:   binary.BigEndian.Uint64(v[1:9]),
		Added:  unixNano(binary.BigEndian.Uint64(v[9:17])),
	}, nil
}

func (t *boltTx) Cursors(user crypto.ID) ([]Cursor, error) {
	c := t.bucket(bCursors).Cursor()
	var out []Cursor
	for k, v := c.Seek(user[:]); k != nil && bytes.HasPrefix(k, user[:]); k, v = c.Next() {
		cur, err := decodeCursor(k, v)
		if err != nil {
			return nil, err
		}
		out = append(out, cur)
	}
	return out, nil
}

func (t *boltTx) RegisterCursor(user crypto.ID, device string, now time.Time) (Cursor, error) {
	if !t.tx.Writable() {
		return Cursor{}, errReadOnly
	}
	if device == "" || len(device) > MaxCursorName {
		return Cursor{}, fmt.Errorf("cursor name of %d bytes: %w", len(device), ErrCorrupt)
	}
	b := t.bucket(bCursors)
	k := cursorKey(user, device)
	if v := b.Get(k); v != nil {
		return decodeCursor(k, v)
	}
	existing, err := t.Cursors(user)
	if err != nil {
		return Cursor{}, err
	}
	// A user's first device takes everything waiting; a later one receives
	// from its registration on.
	cur := Cursor{Device: device, Added: now}
	if len(existing) > 0 {
		cur.From = t.bucket(bMailbox).Sequence()
	}
	v := make([]byte, 17)
	v[0] = cursorVersion
	binary.BigEndian.PutUint64(v[1:9], cur.From)
	binary.BigEndian.PutUint64(v[9:17], uint64(now.UnixNano()))
	if err := b.Put(k, v); err != nil {
		return Cursor{}, err
	}
	return cur, nil
}

func (t *boltTx) DropCursor(user crypto.ID, device string) error {
	if !t.tx.Writable() {
		return errReadOnly
	}
	b := t.bucket(bCursors)
	k := cursorKey(user, device)
	if b.Get(k) == nil {
		return nil
	}
	if err := b.Delete(k); err != nil {
		return err
	}
	acks := t.bucket(bMailAcks)
	seqs := t.userSeqs(user)
	for _, seq := range seqs {
		if err := acks.Delete(ackKey(seq, device)); err != nil {
			return err
		}
	}
	// What only the dropped device still owed leaves the mailbox now.
	rest, err := t.Cursors(user)
	if err != nil || len(rest) == 0 {
		return err // no device left: keep everything until retention
	}
	for _, seq := range seqs {
		if t.ackedByAll(seq, rest, "") {
			if _, err := t.DeleteMailbox(user, seq); err != nil {
				return err
			}
		}
	}
	return nil
}

// userSeqs lists the sequence numbers waiting for user, this transaction's
// appends included.
func (t *boltTx) userSeqs(user crypto.ID) []uint64 {
	seqs := t.idx.after(user, 0, 0)
	for _, a := range t.adds {
		if a.rcpt == user {
			seqs = append(seqs, a.seq)
		}
	}
	return seqs
}

// ackedByAll reports whether every cursor that expects seq acknowledged it,
// counting device as having done so.
func (t *boltTx) ackedByAll(seq uint64, cursors []Cursor, device string) bool {
	acks := t.bucket(bMailAcks)
	for _, c := range cursors {
		if c.From >= seq || c.Device == device {
			continue
		}
		if acks.Get(ackKey(seq, c.Device)) == nil {
			return false
		}
	}
	return true
}

func (t *boltTx) DeviceMailbox(recipient crypto.ID, device string, after uint64, limit int) ([]Delivery, error) {
	cur, err := t.cursor(recipient, device)
	if err != nil {
		return nil, err
	}
	acks := t.bucket(bMailAcks)
	after = max(after, cur.From)
	var out []Delivery
	for limit <= 0 || len(out) < limit {
		page, err := t.Mailbox(recipient, after, 256)
		if err != nil {
			return nil, err
		}
		for _, d := range page {
			after = d.Seq
			if acks.Get(ackKey(d.Seq, device)) != nil {
				continue
			}
			out = append(out, d)
			if limit > 0 && len(out) >= limit {
				break
			}
		}
		if len(page) < 256 {
			break
		}
	}
	return out, nil
}

func (t *boltTx) cursor(user crypto.ID, device string) (Cursor, error) {
	k := cursorKey(user, device)
	v := t.bucket(bCursors).Get(k)
	if v == nil {
		return Cursor{}, fmt.Errorf("cursor %q: %w", device, ErrNotFound)
	}
	return decodeCursor(k, v)
}

func (t *boltTx) AckMailbox(recipient crypto.ID, device string, seq uint64) (bool, error) {
	if !t.tx.Writable() {
		return false, errReadOnly
	}
	cur, err := t.cursor(recipient, device)
	if err != nil {
		return false, err
	}
	if seq <= cur.From {
		return false, nil // arrived before the device: not its to acknowledge
	}
	k := seqKey(seq)
	v := t.bucket(bMailbox).Get(k)
	if v == nil {
		return false, nil
	}
	e, err := decodeLogEntry(k, v)
	if err != nil {
		return false, err
	}
	if e.rcpt != recipient {
		return false, nil // not this recipient's
	}
	acks := t.bucket(bMailAcks)
	if acks.Get(ackKey(seq, device)) != nil {
		return false, nil
	}
	all, err := t.Cursors(recipient)
	if err != nil {
		return false, err
	}
	if t.ackedByAll(seq, all, device) {
		_, err := t.DeleteMailbox(recipient, seq)
		return err == nil, err
	}
	return true, acks.Put(ackKey(seq, device), []byte{1})
}

// deleteAcks removes every acknowledgement of seq.
func deleteAcks(acks *bolt.Bucket, seq uint64) error {
	prefix := seqKey(seq)
	c := acks.Cursor()
	var doomed [][]byte
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		doomed = append(doomed, append([]byte(nil), k...))
	}
	for _, k := range doomed {
		if err := acks.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
