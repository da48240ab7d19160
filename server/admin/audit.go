package admin

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/store"
)

// Audit lists a tenant's audit entries matching the filter (tenant ""
// with an instance admin: every entry of the instance).
func (s *Service) Audit(ctx context.Context, tenant string, f audit.Filter) ([]store.AuditEntry, error) {
	tid := ""
	if tenant != "" || !s.principal(ctx).IsInstanceAdmin() {
		id, err := s.principalTenant(ctx, tenant, PermAuditRead)
		if err != nil {
			return nil, err
		}
		tid = id
	} else if _, err := s.authorize(ctx, "", PermAuditRead); err != nil {
		return nil, err
	}
	f.TenantID = tid
	var out []store.AuditEntry
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = audit.List(tx, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return out, nil
}

// VerifyAudit checks the whole hash chain. The log is one chain for the
// instance, so the report names only sequence numbers, never another
// tenant's entries.
func (s *Service) VerifyAudit(ctx context.Context, tenant string, anchors ...audit.Anchor) (audit.Report, error) {
	if tenant != "" || !s.principal(ctx).IsInstanceAdmin() {
		if _, err := s.principalTenant(ctx, tenant, PermAuditRead); err != nil {
			return audit.Report{}, err
		}
	} else if _, err := s.authorize(ctx, "", PermAuditRead); err != nil {
		return audit.Report{}, err
	}
	var r audit.Report
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		r, err = audit.Verify(tx, anchors...)
		return err
	})
	return r, err
}
