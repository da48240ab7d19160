package httpapi

import (
	"net/http"

	"github.com/parley-chat/parley/server/apijson"
)

// GET /api/v1/license
func (a *api) license(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	rep, err := a.admin.License(r.Context(), keyTenant)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apijson.ToLicenseReport(rep))
	return nil
}
