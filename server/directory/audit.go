package directory

import (
	"encoding/json"
	"fmt"

	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/store"
)

// Enrolment changes a user makes themselves — activating, adding a
// device, moving to local mode — go into the tenant's audit log like an
// admin's changes, in the same transaction, with the SSH key as actor.
const (
	AuditActivate      = "user.activate"
	AuditAddDevice     = "device.add"
	AuditMoveLocalMode = "user.local_mode"
	// AuditKeyExport records that the user's secret key was opened and
	// handed to their client (parley chat --migrate or --link).
	AuditKeyExport = "user.key_export"
)

// deviceAudit is what an enrolment entry records: never a key or a code.
type deviceAudit struct {
	Fingerprint string `json:"fingerprint,omitempty"`
	LocalMode   bool   `json:"local_mode"`
}

func (s *Service) auditTx(tx store.Tx, actor string, u store.User, action string, after deviceAudit) error {
	b, err := json.Marshal(after)
	if err != nil {
		return err
	}
	if _, err := audit.Append(tx, store.AuditEntry{Time: s.now(), Actor: actor, Label: u.Name, TenantID: u.TenantID,
		Action: action, Target: u.ID.String(), After: b}); err != nil {
		return fmt.Errorf("audit %s: %w", action, err)
	}
	return nil
}
