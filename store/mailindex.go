package store

import (
	"encoding/binary"
	"fmt"
	"slices"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/parley-chat/parley/crypto"
)

// mailIndex maps each recipient to the sequence numbers of its waiting
// deliveries. The mailbox bucket itself is a log keyed by the global sequence
// (appends stay at the right edge of the B+tree, one fsync covers a batch for
// any number of recipients); this index is rebuilt from the log at open and
// updated after each commit.
type mailIndex struct {
	mu   sync.RWMutex
	seqs map[crypto.ID][]uint64 // ascending
}

type mailRef struct {
	rcpt crypto.ID
	seq  uint64
}

func newMailIndex() *mailIndex { return &mailIndex{seqs: make(map[crypto.ID][]uint64)} }

// load rebuilds the index from the mailbox log.
func (ix *mailIndex) load(db *bolt.DB) error {
	return db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte(bMailbox))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			d, err := decodeLogEntry(k, v)
			if err != nil {
				return err
			}
			ix.seqs[d.rcpt] = append(ix.seqs[d.rcpt], d.seq)
			return nil
		})
	})
}

// apply records what a committed transaction appended and deleted.
func (ix *mailIndex) apply(adds, dels []mailRef) {
	if len(adds) == 0 && len(dels) == 0 {
		return
	}
	ix.mu.Lock()
	defer ix.mu.Unlock()
	for _, a := range adds {
		s := ix.seqs[a.rcpt]
		if n := len(s); n == 0 || s[n-1] < a.seq {
			ix.seqs[a.rcpt] = append(s, a.seq)
			continue
		}
		if i, found := slices.BinarySearch(s, a.seq); !found {
			ix.seqs[a.rcpt] = slices.Insert(s, i, a.seq)
		}
	}
	for _, d := range dels {
		s := ix.seqs[d.rcpt]
		if i, found := slices.BinarySearch(s, d.seq); found {
			s = slices.Delete(s, i, i+1)
			if len(s) == 0 {
				delete(ix.seqs, d.rcpt)
			} else {
				ix.seqs[d.rcpt] = s
			}
		}
	}
}

// after returns up to limit sequence numbers of rcpt greater than after.
func (ix *mailIndex) after(rcpt crypto.ID, after uint64, limit int) []uint64 {
	ix.mu.RLock()
	defer ix.mu.RUnlock()
	s := ix.seqs[rcpt]
	i, _ := slices.BinarySearch(s, after+1)
	s = s[i:]
	if limit > 0 && len(s) > limit {
		s = s[:limit]
	}
	return slices.Clone(s)
}

func seqKey(seq uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], seq)
	return k[:]
}

// Log entry value: version ‖ recipient (8) ‖ received, Unix ns (8) ‖ envelope.
const logHeader = 1 + crypto.IDLen + 8

type logEntry struct {
	mailRef
	received uint64
	envelope []byte // aliases the bbolt page
}

func decodeLogEntry(k, v []byte) (logEntry, error) {
	if len(k) != 8 || len(v) < logHeader || (v[0] != deliveryVersion && v[0] != deliveryV1) {
		return logEntry{}, fmt.Errorf("mailbox entry: %w", ErrCorrupt)
	}
	received := binary.BigEndian.Uint64(v[1+crypto.IDLen : logHeader])
	if v[0] == deliveryV1 {
		received *= uint64(time.Millisecond)
	}
	rcpt, err := crypto.IDFromBytes(v[1 : 1+crypto.IDLen])
	if err != nil {
		return logEntry{}, fmt.Errorf("mailbox entry recipient: %w", ErrCorrupt)
	}
	return logEntry{
		mailRef:  mailRef{rcpt: rcpt, seq: binary.BigEndian.Uint64(k)},
		received: received,
		envelope: v[logHeader:],
	}, nil
}
