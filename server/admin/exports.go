package admin

import (
	"bufio"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/store"
)

// Four-eyes exports. Taking a tenant's audit log or user list out of
// Parley needs two admins: one requests the export, another approves it,
// and then the first one — only that key — carries it out, once. Every step
// is written to the audit log. API keys take no part: exports stay with
// people.

// Export kinds.
const (
	ExportKindAudit = "audit" // the tenant's audit log, as JSON lines
	ExportKindUsers = "users" // the tenant's users, as CSV
)

// ExportTTL is how long a request waits for its approval, and how long an
// approved export may then be carried out.
const ExportTTL = 24 * time.Hour

// Export states, as ExportState reports them.
const (
	ExportPending  = "pending"  // waiting for another admin's approval
	ExportApproved = "approved" // its requester may carry it out, once
	ExportUsed     = "used"     // carried out
	ExportExpired  = "expired"  // not approved, or not used, in time
)

// ExportState says where a request stands at now.
func ExportState(e store.Export, now time.Time) string {
	switch {
	case !e.UsedAt.IsZero():
		return ExportUsed
	case !now.Before(e.ExpiresAt):
		return ExportExpired
	case !e.ApprovedAt.IsZero():
		return ExportApproved
	}
	return ExportPending
}

// exportCaller authorizes a step of an export for a person's key.
func (s *Service) exportCaller(ctx context.Context, tenant string, perm Perm) (*auth.Principal, string, error) {
	id, err := s.TenantID(ctx, tenant)
	if err != nil {
		return nil, "", err
	}
	p, err := s.authorize(ctx, id, perm)
	if err != nil {
		return nil, "", err
	}
	if p.APIKey != nil || p.KeyFingerprint == "" {
		return nil, "", fmt.Errorf("%w: exports are requested and approved by admins' SSH keys, not API keys", ErrForbidden)
	}
	return p, id, nil
}

// RequestExport asks for an export of the tenant's audit log ("audit") or
// users ("users"). Another admin must approve it within ExportTTL.
func (s *Service) RequestExport(ctx context.Context, tenant, kind string) (store.Export, error) {
	p, tid, err := s.exportCaller(ctx, tenant, PermExportRequest)
	if err != nil {
		return store.Export{}, err
	}
	if kind != ExportKindAudit && kind != ExportKindUsers {
		return store.Export{}, fmt.Errorf("%w: export %q: export either %s or %s", ErrInvalid, clipField(kind), ExportKindAudit, ExportKindUsers)
	}
	xid, err := s.randomID("x", 4)
	if err != nil {
		return store.Export{}, err
	}
	now := s.now()
	e := store.Export{ID: xid, TenantID: tid, Kind: kind, RequestedBy: p.Actor(), RequestedAt: now, ExpiresAt: now.Add(ExportTTL)}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		if _, err := tx.Export(xid); err == nil {
			return errors.New("export id collision, try again")
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err := tx.PutExport(e); err != nil {
			return err
		}
		return s.record(tx, p, tid, "export.request", xid, nil, e)
	})
	if err != nil {
		return store.Export{}, fmt.Errorf("request export: %w", err)
	}
	return e, nil
}

// ApproveExport approves another admin's pending request; its requester
// may then carry it out within ExportTTL.
func (s *Service) ApproveExport(ctx context.Context, tenant, id string) (store.Export, error) {
	p, tid, err := s.exportCaller(ctx, tenant, PermExportApprove)
	if err != nil {
		return store.Export{}, err
	}
	now := s.now()
	var out store.Export
	err = s.db.Update(ctx, func(tx store.Tx) error {
		e, err := exportOf(tx, tid, id)
		if err != nil {
			return err
		}
		if e.RequestedBy == p.Actor() {
			return fmt.Errorf("%w: you requested export %s: another admin must approve it", ErrForbidden, e.ID)
		}
		switch ExportState(e, now) {
		case ExportApproved:
			return fmt.Errorf("%w: export %s is already approved", ErrConflict, e.ID)
		case ExportUsed:
			return fmt.Errorf("%w: export %s was already carried out", ErrConflict, e.ID)
		case ExportExpired:
			return fmt.Errorf("%w: export %s has expired: its requester must ask again", ErrConflict, e.ID)
		}
		before := e
		e.ApprovedBy, e.ApprovedAt, e.ExpiresAt = p.Actor(), now, now.Add(ExportTTL)
		if err := tx.PutExport(e); err != nil {
			return err
		}
		out = e
		return s.record(tx, p, tid, "export.approve", e.ID, before, e)
	})
	if err != nil {
		return store.Export{}, fmt.Errorf("approve export: %w", err)
	}
	return out, nil
}

// Exports lists the tenant's export requests, oldest first.
func (s *Service) Exports(ctx context.Context, tenant string) ([]store.Export, error) {
	_, tid, err := s.exportCaller(ctx, tenant, PermExportRequest)
	if errors.Is(err, ErrForbidden) {
		_, tid, err = s.exportCaller(ctx, tenant, PermExportApprove)
	}
	if err != nil {
		return nil, err
	}
	var out []store.Export
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		out, err = tx.ExportsOfTenant(tid)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list exports: %w", err)
	}
	slices.SortFunc(out, func(a, b store.Export) int {
		return cmp.Or(a.RequestedAt.Compare(b.RequestedAt), cmp.Compare(a.ID, b.ID))
	})
	return out, nil
}

// ExportUsersCSV carries out an approved export of the tenant's users: it
// writes them as CSV (the columns of ImportUsersCSV) to w. The request is
// used up before anything is written: a transfer that fails needs a new
// request.
func (s *Service) ExportUsersCSV(ctx context.Context, tenant, requestID string, w io.Writer) error {
	tid, err := s.useExport(ctx, tenant, requestID, ExportKindUsers)
	if err != nil {
		return err
	}
	users, err := s.dir.Users(ctx, tid)
	if err != nil {
		return err
	}
	return writeUsersCSV(w, users)
}

// ExportAudit carries out an approved export of the tenant's audit log: it
// writes every entry of the tenant, oldest first, as one JSON object per
// line (audit.JSONEntry) to w. The request is used up before anything is
// written, and the export's own use is its last entry.
func (s *Service) ExportAudit(ctx context.Context, tenant, requestID string, w io.Writer) error {
	tid, err := s.useExport(ctx, tenant, requestID, ExportKindAudit)
	if err != nil {
		return err
	}
	var entries []store.AuditEntry
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		entries, err = audit.List(tx, audit.Filter{TenantID: tid, Limit: audit.NoLimit})
		return err
	})
	if err != nil {
		return fmt.Errorf("export audit log: %w", err)
	}
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	for _, e := range entries {
		if err := enc.Encode(audit.ToJSON(e)); err != nil {
			return fmt.Errorf("export audit log: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("export audit log: %w", err)
	}
	return nil
}

// useExport checks that the caller may carry out an export of this kind
// now and marks it used, with an audit entry; it returns the tenant.
func (s *Service) useExport(ctx context.Context, tenant, id, kind string) (string, error) {
	p, tid, err := s.exportCaller(ctx, tenant, PermExportRequest)
	if err != nil {
		return "", err
	}
	now := s.now()
	err = s.db.Update(ctx, func(tx store.Tx) error {
		e, err := exportOf(tx, tid, id)
		if err != nil {
			return err
		}
		if e.Kind != kind {
			return fmt.Errorf("%w: export %s is of the %s, not the %s", ErrInvalid, e.ID, kindName(e.Kind), kindName(kind))
		}
		if e.RequestedBy != p.Actor() {
			return fmt.Errorf("%w: only the admin who requested export %s may carry it out", ErrForbidden, e.ID)
		}
		switch ExportState(e, now) {
		case ExportPending:
			return fmt.Errorf("%w: export %s is waiting for another admin's approval", ErrConflict, e.ID)
		case ExportUsed:
			return fmt.Errorf("%w: export %s was already carried out: request a new one", ErrConflict, e.ID)
		case ExportExpired:
			return fmt.Errorf("%w: export %s has expired: request a new one", ErrConflict, e.ID)
		}
		before := e
		e.UsedAt = now
		if err := tx.PutExport(e); err != nil {
			return err
		}
		return s.record(tx, p, tid, "export.use", e.ID, before, e)
	})
	if err != nil {
		return "", fmt.Errorf("carry out export: %w", err)
	}
	return tid, nil
}

// exportOf reads an export request of the tenant; another tenant's reads
// as not found.
func exportOf(tx store.Tx, tenantID, id string) (store.Export, error) {
	e, err := tx.Export(id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && e.TenantID != tenantID) {
		return store.Export{}, fmt.Errorf("%w: no export request %q in this tenant (export list shows them)", ErrNotFound, clipField(id))
	}
	return e, err
}

func kindName(kind string) string {
	if kind == ExportKindAudit {
		return "audit log"
	}
	return kind
}
