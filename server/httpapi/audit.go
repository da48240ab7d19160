package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/server/audit"
)

// MaxAuditLimit is the most audit entries one request returns (the admin
// service's page). The whole log leaves the server through an approved
// export, not through listing.
const MaxAuditLimit = audit.MaxLimit

// GET /api/v1/audit?actor=A&target=T&action=PREFIX&since=TIME&until=TIME&limit=N&before=SEQ&after=SEQ
//
// One page, oldest first: the newest limit entries, or with before=SEQ
// the newest below that number (the next page back), or with after=SEQ
// the oldest above it (the next page forward). Numbers are the tenant's
// own sequence.
func (a *api) listAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "actor", "target", "action", "since", "until", "limit", "before", "after")
	if err != nil {
		return err
	}
	f := audit.Filter{Actor: q.Get("actor"), Target: q.Get("target"), Action: q.Get("action")}
	if f.Since, err = timeParam(q.Get("since"), "since", false); err != nil {
		return err
	}
	if f.Until, err = timeParam(q.Get("until"), "until", true); err != nil {
		return err
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxAuditLimit {
			return invalid(fmt.Sprintf("limit=%q: give a number from 1 to %d", clip(v), MaxAuditLimit))
		}
		f.Limit = n
	}
	for name, dst := range map[string]*uint64{"before": &f.Before, "after": &f.After} {
		if v := q.Get(name); v != "" {
			n, err := strconv.ParseUint(v, 10, 64)
			if err != nil || n < 1 {
				return invalid(fmt.Sprintf("%s=%q: give an entry's sequence number", name, clip(v)))
			}
			*dst = n
		}
	}
	if f.Before != 0 && f.After != 0 {
		return invalid("give before or after, not both")
	}
	es, err := a.admin.Audit(r.Context(), keyTenant, f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apijson.AuditEntries(es))
	return nil
}

// timeParam reads an instant as RFC 3339 or a day as YYYY-MM-DD (UTC). A
// day given as an end includes the whole day.
func timeParam(v, name string, end bool) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t.UTC(), nil
	}
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, invalid(fmt.Sprintf("%s=%q: use YYYY-MM-DD or an RFC 3339 time such as 2030-03-04T05:06:07Z", name, clip(v)))
	}
	if end {
		d = d.AddDate(0, 0, 1)
	}
	return d, nil
}

// GET /api/v1/audit/verify
func (a *api) verifyAudit(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	rep, err := a.admin.VerifyAudit(r.Context(), keyTenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apijson.ToAuditReport(rep, ""))
	return nil
}
