package admin

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/store"
)

// Audit lists one page of a tenant's audit entries matching the filter
// (tenant "" with an instance admin: every entry of the instance). A page
// holds at most audit.MaxLimit entries, whatever the filter asks: a limit
// of 0 or NoLimit is the default page, and the next page is asked for with
// f.Before (older) or f.After (newer). The whole log leaves the server
// only through an approved export (ExportAudit). In a tenant's view the
// entries carry the tenant's own sequence numbers (see package audit).
func (s *Service) Audit(ctx context.Context, tenant string, f audit.Filter) ([]store.AuditEntry, error) {
	tid := ""
	if tenant != "" || !s.isInstanceAdmin(ctx) {
		id, err := s.principalTenant(ctx, tenant, PermAuditRead)
		if err != nil {
			return nil, err
		}
		tid = id
	} else if _, err := s.authorize(ctx, "", PermAuditRead); err != nil {
		return nil, err
	}
	f.TenantID = tid
	if f.Limit <= 0 || f.Limit > audit.MaxLimit {
		f.Limit = min(audit.DefaultLimit, audit.MaxLimit)
	}
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
// instance; a tenant's report counts and names only the tenant's entries,
// by their tenant numbers, and anchors are tenant numbers too (see
// audit.VerifyTenant). An instance admin asking without a tenant gets the
// instance's report.
func (s *Service) VerifyAudit(ctx context.Context, tenant string, anchors ...audit.Anchor) (audit.Report, error) {
	tid := ""
	if tenant != "" || !s.isInstanceAdmin(ctx) {
		id, err := s.principalTenant(ctx, tenant, PermAuditRead)
		if err != nil {
			return audit.Report{}, err
		}
		tid = id
	} else if _, err := s.authorize(ctx, "", PermAuditRead); err != nil {
		return audit.Report{}, err
	}
	var r audit.Report
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		if tid == "" {
			r, err = audit.Verify(tx, anchors...)
		} else {
			r, err = audit.VerifyTenant(tx, tid, anchors...)
		}
		return err
	})
	if err != nil {
		return audit.Report{}, fmt.Errorf("verify audit log: %w", err)
	}
	return r, nil
}
