package audit

import (
	"crypto/sha256"
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/store"
)

// Hash computes an entry's hash from every field but Hash itself.
func Hash(e store.AuditEntry) ([]byte, error) {
	e.Hash = nil
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("encode audit entry: %w", err)
	}
	h := sha256.New()
	h.Write([]byte("parley audit v1\x00"))
	h.Write(b)
	return h.Sum(nil), nil
}

// Append chains e after the log's head and writes it in tx. The caller
// fills Time, Actor, Label, TenantID, Action, Target, Before and After.
func Append(tx store.Tx, e store.AuditEntry) (store.AuditEntry, error) {
	seq, prev, err := tx.AuditHead()
	if err != nil {
		return store.AuditEntry{}, err
	}
	e.Seq, e.PrevHash = seq+1, prev
	if e.PrevHash == nil {
		e.PrevHash = []byte{}
	}
	if e.Hash, err = Hash(e); err != nil {
		return store.AuditEntry{}, err
	}
	if err := tx.PutAudit(e); err != nil {
		return store.AuditEntry{}, fmt.Errorf("append audit entry: %w", err)
	}
	return e, nil
}
