package audit

import (
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/store"
)

// JSONEntry is an audit entry as exports and the fronts show it: the
// before and after documents as JSON, the hashes in hex. Fields are only
// ever added.
type JSONEntry struct {
	Seq      uint64          `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Label    string          `json:"label,omitempty"`
	TenantID string          `json:"tenant_id,omitempty"`
	Action   string          `json:"action"`
	Target   string          `json:"target,omitempty"`
	Before   json.RawMessage `json:"before,omitempty"`
	After    json.RawMessage `json:"after,omitempty"`
	PrevHash string          `json:"prev_hash"`
	Hash     string          `json:"hash"`
}

// ToJSON converts an entry for display or export.
func ToJSON(e store.AuditEntry) JSONEntry {
	return JSONEntry{Seq: e.Seq, Time: e.Time, Actor: e.Actor, Label: e.Label, TenantID: e.TenantID, Action: e.Action,
		Target: e.Target, Before: document(e.Before), After: document(e.After),
		PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}
}

// document returns stored JSON as it is; bytes that are not JSON (a
// damaged entry) become a JSON string, so that the output stays valid.
func document(b []byte) json.RawMessage {
	if len(b) == 0 {
		return nil
	}
	if json.Valid(b) {
		return b
	}
	s, _ := json.Marshal(string(b))
	return s
}
