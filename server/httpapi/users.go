package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/apijson"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// The tenant of every call is the API key's: the service resolves the
// empty tenant name to it.
const keyTenant = ""

// userSpecJSON is the body of POST /api/v1/users.
type userSpecJSON struct {
	Name      string   `json:"name"`
	FirstName string   `json:"first_name"`
	LastName  string   `json:"last_name"`
	Nickname  string   `json:"nickname"`
	Category  string   `json:"category"`
	Tags      []string `json:"tags"`
	Email     string   `json:"email"`
}

// userChangeJSON is the body of PATCH /api/v1/users/{id}: fields left out
// (or null) stay as they are.
type userChangeJSON struct {
	Name      *string   `json:"name"`
	FirstName *string   `json:"first_name"`
	LastName  *string   `json:"last_name"`
	Nickname  *string   `json:"nickname"`
	Category  *string   `json:"category"`
	Tags      *[]string `json:"tags"`
	Email     *string   `json:"email"`
}

// tenantName is the name of the key's tenant, for the "tenant" field.
func (a *api) tenantName(ctx context.Context) string {
	t, err := a.admin.APIKeyTenant(ctx)
	if err != nil {
		return ""
	}
	return t.Name
}

// userID reads the {id} of the path. A malformed ID names no user.
func userID(r *http.Request) (crypto.ID, error) {
	id, err := crypto.ParseID(r.PathValue("id"))
	if err != nil {
		return crypto.ID{}, notFound(fmt.Sprintf("no such user: %q is not a Parley ID (8 characters A-Z, 0-9)", clip(r.PathValue("id"))))
	}
	return id, nil
}

// userJSON is a changed user with its devices counted after the change.
func (a *api) userJSON(ctx context.Context, u store.User) apijson.User {
	devices := 0
	if d, err := a.admin.User(ctx, keyTenant, u.ID); err == nil {
		devices = len(d.Devices)
	}
	return apijson.ToUser(u, a.tenantName(ctx), devices)
}

// GET /api/v1/users?tag=T&name=PATTERN&status=S&limit=N&after=ID
//
// One page of users by name, at most admin.MaxUserPage;
// when there are more, a Link header names the next page (rel="next",
// after=the page's last ID).
func (a *api) listUsers(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "tag", "name", "status", "limit", "after")
	if err != nil {
		return err
	}
	f := directory.UserFilter{Tag: q.Get("tag"), Name: q.Get("name"), Status: store.UserStatus(q.Get("status"))}
	var page admin.UserPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > admin.MaxUserPage {
			return invalid(fmt.Sprintf("limit=%q: give a number from 1 to %d", clip(v), admin.MaxUserPage))
		}
		page.Limit = n
	}
	if v := q.Get("after"); v != "" {
		if page.After, err = crypto.ParseID(v); err != nil {
			return invalid(fmt.Sprintf("after=%q: give a Parley ID, the last of the page before", clip(v)))
		}
	}
	us, next, err := a.admin.UsersPage(r.Context(), keyTenant, f, page)
	if err != nil {
		return err
	}
	tenant := a.tenantName(r.Context())
	out := make([]apijson.User, 0, len(us))
	for _, u := range us {
		out = append(out, apijson.ToUser(u.User, tenant, len(u.Devices)))
	}
	if !next.IsZero() {
		nq := r.URL.Query()
		nq.Set("after", next.String())
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, nq.Encode()))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// POST /api/v1/users
func (a *api) createUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	var in userSpecJSON
	if err := decode(r, &in); err != nil {
		return err
	}
	nu, err := a.admin.CreateUser(r.Context(), keyTenant, directory.UserSpec{Name: in.Name, FirstName: in.FirstName,
		LastName: in.LastName, Nickname: in.Nickname, Category: in.Category, Tags: in.Tags, Email: in.Email})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+nu.User.ID.String())
	writeJSON(w, http.StatusCreated, apijson.NewUser{User: apijson.ToUser(nu.User, nu.Tenant.Name, 0),
		ActivationCode: nu.Code.Code, ExpiresAt: nu.Code.ExpiresAt})
	return nil
}

// GET /api/v1/users/{id}
func (a *api) getUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	d, err := a.admin.User(r.Context(), keyTenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apijson.ToUserDetail(d, a.tenantName(r.Context())))
	return nil
}

// PATCH /api/v1/users/{id}
func (a *api) editUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	var in userChangeJSON
	if err := decode(r, &in); err != nil {
		return err
	}
	c := directory.ProfileChange{Name: in.Name, FirstName: in.FirstName, LastName: in.LastName, Nickname: in.Nickname,
		Category: in.Category, Tags: in.Tags, Email: in.Email}
	if c == (directory.ProfileChange{}) {
		return invalid("nothing to change: give at least one of name, first_name, last_name, nickname, category, tags, email")
	}
	u, err := a.admin.EditUser(r.Context(), keyTenant, id, c)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.userJSON(r.Context(), u))
	return nil
}

// DELETE /api/v1/users/{id}?keep_id=BOOL&keep_app=BOOL
func (a *api) deleteUser(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "keep_id", "keep_app")
	if err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	keepID, err := boolParam(q.Get("keep_id"), "keep_id", "may the user keep the Parley ID? false revokes it, irreversibly")
	if err != nil {
		return err
	}
	keepApp, err := boolParam(q.Get("keep_app"), "keep_app", "may the user keep using the app? false removes every device")
	if err != nil {
		return err
	}
	u, err := a.admin.DeleteUser(r.Context(), keyTenant, id, keepID, keepApp)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.userJSON(r.Context(), u))
	return nil
}

// boolParam reads a required true/false query parameter.
func boolParam(v, name, question string) (bool, error) {
	if v == "" {
		return false, invalid(fmt.Sprintf("give %s=true or %s=false: %s", name, name, question))
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, invalid(fmt.Sprintf("%s=%q: use true or false", name, clip(v)))
	}
	return b, nil
}

// POST /api/v1/users/{id}/revoke
func (a *api) revokeUser(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, err := a.admin.RevokeUser(r.Context(), keyTenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, a.userJSON(r.Context(), u))
	return nil
}

// POST /api/v1/users/{id}/activation-code
func (a *api) reissueCode(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	u, c, err := a.admin.ReissueCode(r.Context(), keyTenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apijson.NewUser{User: a.userJSON(r.Context(), u), ActivationCode: c.Code, ExpiresAt: c.ExpiresAt})
	return nil
}

// GET /api/v1/users/{id}/devices
func (a *api) listDevices(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	ds, err := a.admin.Devices(r.Context(), keyTenant, id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, apijson.ToDevices(ds))
	return nil
}

// DELETE /api/v1/users/{id}/devices/{fingerprint}. The fingerprint
// ("SHA256:..." as listed) may contain '/', sent as is or as %2F.
func (a *api) removeDevice(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	fp := r.PathValue("fingerprint")
	if err := a.admin.RemoveDevice(r.Context(), keyTenant, id, fp); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, removedDeviceJSON{User: id.String(), Removed: fp})
	return nil
}

// clip shortens input quoted back in an error message.
func clip(s string) string {
	const most = 40
	if r := []rune(s); len(r) > most {
		return string(r[:most]) + "…"
	}
	return s
}
