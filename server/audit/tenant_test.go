package audit_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt" //nolint:depguard // the test edits the file as someone holding it could

	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/store"
)

// interleaved is a log of two tenants taking turns, written as every log
// was before tenant numbers existed: instance numbers only.
func interleaved() []store.AuditEntry {
	t0 := time.Date(2030, 3, 4, 5, 6, 7, 0, time.UTC)
	var es []store.AuditEntry
	for i, tenant := range []string{"acme", "globex", "globex", "acme", "globex", "acme"} {
		es = append(es, store.AuditEntry{Time: t0.Add(time.Duration(i) * time.Minute), Actor: "SHA256:" + tenant,
			TenantID: "t-" + tenant, Action: "user.create", Target: tenant})
	}
	return es
}

// list reads a page as List does, on the closed chain's file.
func (c *chain) list(t *testing.T, f audit.Filter) []store.AuditEntry {
	t.Helper()
	db := openStore(t, c.dir)
	defer func() { _ = db.Close() }()
	var out []store.AuditEntry
	err := db.View(t.Context(), func(tx store.Tx) error {
		var err error
		out, err = audit.List(tx, f)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (c *chain) verifyTenant(t *testing.T, tenantID string, anchors ...audit.Anchor) audit.Report {
	t.Helper()
	db := openStore(t, c.dir)
	defer func() { _ = db.Close() }()
	var r audit.Report
	err := db.View(t.Context(), func(tx store.Tx) error {
		var err error
		r, err = audit.VerifyTenant(tx, tenantID, anchors...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func seqs(es []store.AuditEntry) []uint64 {
	var out []uint64
	for _, e := range es {
		out = append(out, e.Seq)
	}
	return out
}

// Finding 9 of issue 10: audit sequence numbers were instance-wide, so a
// tenant saw by their gaps how much other tenants did. A tenant's view
// numbers its own entries 1, 2, 3, counted as the log is read (old logs
// need no migration), and the instance's chain still verifies.
func TestAuditSequenceIsPerTenant(t *testing.T) {
	c := buildChain(t, interleaved())
	acme := c.list(t, audit.Filter{TenantID: "t-acme"})
	if got := seqs(acme); len(got) != 3 || got[0] != 1 || got[1] != 2 || got[2] != 3 {
		t.Fatalf("acme's numbers = %v, want 1 2 3", got)
	}
	for _, e := range acme {
		if e.PrevHash != nil || e.TenantID != "t-acme" {
			t.Errorf("acme's entry %d: prev hash %x, tenant %s; want no prev hash, acme", e.Seq, e.PrevHash, e.TenantID)
		}
	}
	if got := seqs(c.list(t, audit.Filter{})); len(got) != 6 || got[5] != 6 {
		t.Errorf("instance numbers = %v, want 1 to 6", got)
	}
	// Pages forwards and backwards, in tenant numbers.
	if got := seqs(c.list(t, audit.Filter{TenantID: "t-acme", After: 1, Limit: 1})); len(got) != 1 || got[0] != 2 {
		t.Errorf("page after 1 = %v, want 2", got)
	}
	if got := seqs(c.list(t, audit.Filter{TenantID: "t-acme", Before: 3, Limit: 1})); len(got) != 1 || got[0] != 2 {
		t.Errorf("page before 3 = %v, want 2", got)
	}
	if got := seqs(c.list(t, audit.Filter{TenantID: "t-acme", Before: 3})); len(got) != 2 || got[0] != 1 {
		t.Errorf("page before 3 = %v, want 1 2", got)
	}

	r := c.verifyTenant(t, "t-acme")
	if !r.OK || r.Entries != 3 || !bytes.Equal(r.Head, acme[2].Hash) {
		t.Fatalf("VerifyTenant = %+v, want OK over 3 entries with acme's last hash", r)
	}
	if r := c.verifyTenant(t, "t-acme", audit.Anchor{Seq: 2, Hash: acme[1].Hash}); !r.OK {
		t.Errorf("VerifyTenant with a good anchor = %+v", r)
	}
	if r := c.verifyTenant(t, "t-acme", audit.Anchor{Seq: 2, Hash: acme[0].Hash}); r.OK || r.BadSeq != 2 {
		t.Errorf("VerifyTenant with a wrong anchor = %+v, want broken at 2", r)
	}
	if r := c.verifyTenant(t, "t-acme", audit.Anchor{Seq: 4, Hash: acme[0].Hash}); r.OK || !strings.Contains(r.Problem, "removed") {
		t.Errorf("VerifyTenant with an anchor past the end = %+v, want entries removed", r)
	}

	// A changed globex entry (instance 5) is placed between acme's 2 and
	// 3, and never by its instance number.
	change := func(seq uint64) func(b, _ *bolt.Bucket) error {
		return func(b, _ *bolt.Bucket) error {
			v := bytes.Clone(b.Get(seqKey(seq)))
			v[bytes.Index(v, []byte(`"action":"`))+len(`"action":"`)] ^= 0x20
			return b.Put(seqKey(seq), v)
		}
	}
	c.tamper(t, change(5))
	r = c.verifyTenant(t, "t-acme")
	if r.OK || r.BadSeq != 3 || r.Entries != 2 || !strings.Contains(r.Problem, "after entry 2, before entry 3") || strings.Contains(r.Problem, "5") {
		t.Errorf("globex entry changed: VerifyTenant = %+v", r)
	}
	// acme's own second entry (instance 4) is named by its tenant number.
	c.tamper(t, change(4))
	if r := c.verifyTenant(t, "t-acme"); r.OK || r.BadSeq != 2 || r.Problem != "entry 2 was changed" {
		t.Errorf("acme entry changed: VerifyTenant = %+v", r)
	}
	if r := c.verify(t); r.OK || r.BadSeq != 4 {
		t.Errorf("instance Verify after the change = %+v, want broken at 4", r)
	}
}
