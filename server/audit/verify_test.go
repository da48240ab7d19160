package audit_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	// The test edits the database file as someone holding it could, below
	// the store's rules; nothing but a test may do that.
	bolt "go.etcd.io/bbolt" //nolint:depguard // see above

	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/store"
)

// The store's layout, from store/doc.go: entries under audit/<seq>, the
// head in meta/audit_head.
var (
	auditBucket = []byte("audit")
	metaBucket  = []byte("meta")
	headKey     = []byte("audit_head")
)

// chain is a log of a few entries in a real store, closed, with the raw
// records as they were written.
type chain struct {
	dir     string
	records []record // key order
	head    []byte
}

type record struct{ key, value []byte }

func openStore(t testing.TB, dir string) *store.Bolt {
	t.Helper()
	db, err := store.Open(dir, store.Options{NoSync: true, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// testEntries are entries meant to exercise the encoding: nanosecond
// times, HTML characters and non-ASCII text (escaped in JSON), before and
// after documents whose base64 ends in padding, an empty previous hash.
func testEntries() []store.AuditEntry {
	return []store.AuditEntry{
		{Time: time.Date(2030, 3, 4, 5, 6, 7, 123456789, time.UTC), Actor: "SHA256:root", Label: "bootstrap key",
			TenantID: "t0123456789abcdef", Action: "tenant.create", Target: "acme", After: []byte(`{"name":"acme","seats":10}`)},
		{Time: time.Date(2030, 3, 4, 5, 7, 0, 0, time.UTC), Actor: "SHA256:owner", Label: "Zoë <owner> & co",
			TenantID: "t0123456789abcdef", Action: "user.edit", Target: "ABCD2345",
			Before: []byte(`{"nickname":"a"}`), After: []byte(`{"nickname":"ab"}`)},
		{Time: time.Date(2030, 3, 5, 0, 0, 0, 1, time.UTC), Actor: "apikey:k1", Label: "hr sync",
			TenantID: "t0123456789abcdef", Action: "user.create", Target: "WXYZ6789", After: []byte(`{"id":"WXYZ6789"}`)},
		{Time: time.Date(2030, 3, 6, 0, 0, 0, 0, time.UTC), Actor: "SHA256:root", Action: "tenant.suspend", Target: "globex"},
	}
}

// newChain stores testEntries.
func newChain(t testing.TB) *chain { t.Helper(); return buildChain(t, testEntries()) }

// buildChain appends entries to the log of a new store and reads back the
// raw records.
func buildChain(t testing.TB, entries []store.AuditEntry) *chain {
	t.Helper()
	dir := t.TempDir()
	db := openStore(t, dir)
	err := db.Update(t.Context(), func(tx store.Tx) error {
		for _, e := range entries {
			if _, err := audit.Append(tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	c := &chain{dir: dir}
	c.raw(t, func(tx *bolt.Tx) error {
		if err := tx.Bucket(auditBucket).ForEach(func(k, v []byte) error {
			c.records = append(c.records, record{bytes.Clone(k), bytes.Clone(v)})
			return nil
		}); err != nil {
			return err
		}
		c.head = bytes.Clone(tx.Bucket(metaBucket).Get(headKey))
		return nil
	})
	if len(c.records) != len(entries) {
		t.Fatalf("stored %d records, want %d", len(c.records), len(entries))
	}
	if r := c.verify(t); !r.OK || r.Entries != uint64(len(entries)) {
		t.Fatalf("the untouched chain does not verify: %+v", r)
	}
	return c
}

// raw runs fn on the closed database file.
func (c *chain) raw(t testing.TB, fn func(tx *bolt.Tx) error) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(c.dir, store.FileName), 0o600, &bolt.Options{Timeout: time.Second, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

// tamper restores the records and the head as written, then lets fn
// change them.
func (c *chain) tamper(t testing.TB, fn func(b *bolt.Bucket, meta *bolt.Bucket) error) {
	t.Helper()
	c.raw(t, func(tx *bolt.Tx) error {
		if err := tx.DeleteBucket(auditBucket); err != nil {
			return err
		}
		b, err := tx.CreateBucket(auditBucket)
		if err != nil {
			return err
		}
		for _, r := range c.records {
			if err := b.Put(r.key, r.value); err != nil {
				return err
			}
		}
		meta := tx.Bucket(metaBucket)
		if err := meta.Put(headKey, c.head); err != nil {
			return err
		}
		return fn(b, meta)
	})
}

// verify opens the store and verifies the log.
func (c *chain) verify(t testing.TB, anchors ...audit.Anchor) audit.Report {
	t.Helper()
	db := openStore(t, c.dir)
	defer func() {
		if err := db.Close(); err != nil {
			t.Error(err)
		}
	}()
	var r audit.Report
	err := db.View(t.Context(), func(tx store.Tx) error {
		var err error
		r, err = audit.Verify(tx, anchors...)
		return err
	})
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return r
}

func (c *chain) mustBreak(t testing.TB, what string, fn func(b, meta *bolt.Bucket) error) {
	t.Helper()
	c.tamper(t, fn)
	r := c.verify(t)
	if r.OK || r.Problem == "" {
		t.Errorf("%s: Verify = %+v, want the chain broken", what, r)
	}
}

func seqKey(n uint64) []byte { return binary.BigEndian.AppendUint64(nil, n) }

// TestVerifyDetectsAnySingleByteChange changes every byte of every stored
// key and value — to a random other value, to the other letter case, and
// by its lowest bit (which JSON's base64 may ignore) — and requires the
// chain to be reported broken each time.
func TestVerifyDetectsAnySingleByteChange(t *testing.T) {
	c := newChain(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0))
	stride := 1
	if testing.Short() {
		stride = 7
	}
	n := 0
	for i, r := range c.records {
		full := append(bytes.Clone(r.key), r.value...)
		for pos := 0; pos < len(full); pos += stride {
			orig := full[pos]
			random := byte(rng.IntN(255))
			if random >= orig {
				random++ // any value but the original
			}
			for _, b := range []byte{random, orig ^ 0x20, orig ^ 0x01} {
				mutated := bytes.Clone(full)
				mutated[pos] = b
				k, v := mutated[:len(r.key)], mutated[len(r.key):]
				c.mustBreak(t, fmt.Sprintf("record %d byte %d %#02x→%#02x", i+1, pos, orig, b), func(bk, _ *bolt.Bucket) error {
					if err := bk.Delete(r.key); err != nil {
						return err
					}
					return bk.Put(k, v)
				})
				n++
			}
		}
	}
	t.Logf("%d single-byte changes, all detected", n)
}

// TestVerifyDetectsDeletionInsertionAndSwaps removes, adds and reorders
// whole records, each below the store's rules.
func TestVerifyDetectsDeletionInsertionAndSwaps(t *testing.T) {
	c := newChain(t)
	last := uint64(len(c.records))
	for i := range c.records {
		seq := uint64(i + 1)
		c.mustBreak(t, fmt.Sprintf("delete entry %d", seq), func(b, _ *bolt.Bucket) error { return b.Delete(seqKey(seq)) })
	}
	c.mustBreak(t, "delete the head", func(_, meta *bolt.Bucket) error { return meta.Delete(headKey) })
	c.mustBreak(t, "truncate the head", func(_, meta *bolt.Bucket) error { return meta.Put(headKey, []byte{0, 1}) })
	c.mustBreak(t, "delete the last entry and the head's hash", func(b, meta *bolt.Bucket) error {
		if err := b.Delete(seqKey(last)); err != nil {
			return err
		}
		return meta.Put(headKey, seqKey(last-1))
	})
	for i := range c.records {
		for j := i + 1; j < len(c.records); j++ {
			c.mustBreak(t, fmt.Sprintf("swap entries %d and %d", i+1, j+1), func(b, _ *bolt.Bucket) error {
				if err := b.Put(c.records[i].key, c.records[j].value); err != nil {
					return err
				}
				return b.Put(c.records[j].key, c.records[i].value)
			})
		}
	}

	// A well-formed next entry, chained to the last, but the head not moved:
	// the same entries and one more, written by a store of their own.
	longer := buildChain(t, append(testEntries(), store.AuditEntry{Time: time.Date(2030, 3, 7, 0, 0, 0, 0, time.UTC),
		Actor: "SHA256:mallory", Action: "user.delete", Target: "ABCD2345"}))
	if !bytes.Equal(longer.records[last-1].value, c.records[last-1].value) {
		t.Fatal("the same entries were stored differently")
	}
	next := longer.records[last].value
	c.mustBreak(t, "append a chained entry without moving the head", func(b, _ *bolt.Bucket) error {
		return b.Put(seqKey(last+1), next)
	})
	c.mustBreak(t, "insert an entry in the middle, renumbering the rest", func(b, _ *bolt.Bucket) error {
		for i := len(c.records) - 1; i >= 1; i-- {
			if err := b.Put(seqKey(uint64(i+2)), c.records[i].value); err != nil {
				return err
			}
		}
		return b.Put(seqKey(2), next)
	})
	c.mustBreak(t, "insert a record at sequence 0", func(b, _ *bolt.Bucket) error {
		return b.Put(seqKey(0), c.records[0].value)
	})
	c.mustBreak(t, "insert a record under a nine-byte key", func(b, _ *bolt.Bucket) error {
		return b.Put(append(seqKey(2), 0), c.records[1].value)
	})
	c.mustBreak(t, "insert a record after the last", func(b, _ *bolt.Bucket) error {
		return b.Put(seqKey(last+7), c.records[0].value)
	})
}

// TestAnchorsDetectARewrittenLog: a log rewritten from some entry on, with
// its hashes and head recomputed, chains again; only an anchor kept from
// before shows it.
func TestAnchorsDetectARewrittenLog(t *testing.T) {
	entries := testEntries()
	original := buildChain(t, entries)
	r := original.verify(t)
	if !r.OK || len(r.Head) == 0 {
		t.Fatalf("original: %+v, want ok with a head", r)
	}
	kept := audit.Anchor{Seq: r.Entries, Hash: r.Head}
	parsed, err := audit.ParseAnchor(kept.String())
	if err != nil || parsed.Seq != kept.Seq || !bytes.Equal(parsed.Hash, kept.Hash) {
		t.Fatalf("ParseAnchor(%q) = %+v, %v", kept.String(), parsed, err)
	}
	if r := original.verify(t, kept); !r.OK {
		t.Fatalf("original with its own anchor: %+v", r)
	}

	// Entry 2 rewritten, and everything after it re-chained.
	entries[1].Label = "someone else"
	rewritten := buildChain(t, entries)
	if r := rewritten.verify(t); !r.OK {
		t.Fatalf("the rewritten log should chain without an anchor: %+v", r)
	}
	if r := rewritten.verify(t, kept); r.OK || r.BadSeq != kept.Seq {
		t.Fatalf("rewritten log with the kept anchor: %+v, want broken at %d", r, kept.Seq)
	}

	// Entries removed from the end, the head moved back.
	shorter := buildChain(t, testEntries()[:2])
	if r := shorter.verify(t, kept); r.OK {
		t.Fatalf("shortened log with the kept anchor: %+v, want broken", r)
	}

	for _, bad := range []string{"", "3", "0:" + strings.Repeat("ab", 32), "3:zz", "3:abcd", "x:" + strings.Repeat("ab", 32)} {
		if _, err := audit.ParseAnchor(bad); err == nil {
			t.Errorf("ParseAnchor(%q) accepted", bad)
		}
	}
}
