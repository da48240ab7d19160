package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/apijson"
)

// policySetJSON is the body of PUT /api/v1/policies/{key}.
type policySetJSON struct {
	// Value is a JSON boolean, number or string.
	Value json.RawMessage `json:"value"`
	// User is a Parley ID for an individual value; empty for the tenant's.
	User string `json:"user"`
}

// policyUser parses an optional Parley ID: nil for the tenant.
func policyUser(s string) (*crypto.ID, error) {
	if s == "" {
		return nil, nil
	}
	id, err := crypto.ParseID(s)
	if err != nil {
		return nil, notFound(fmt.Sprintf("no such user: %q is not a Parley ID (8 characters A-Z, 0-9)", clip(s)))
	}
	return &id, nil
}

// policyValue turns the body's value into the text the service checks.
func policyValue(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return "", badRequest(`field "value" is required (to remove a value, DELETE it)`)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return "", badRequest(`field "value": malformed JSON`)
	}
	switch x := v.(type) {
	case bool:
		return strconv.FormatBool(x), nil
	case json.Number:
		return x.String(), nil
	case string:
		return x, nil
	}
	return "", badRequest(`field "value" must be a boolean, a number or a string`)
}

// change answers a set or unset with the value in effect now.
func (a *api) policyChange(w http.ResponseWriter, r *http.Request, uid *crypto.ID, key string) error {
	vs, err := a.admin.Policies(r.Context(), keyTenant, uid)
	if err != nil {
		return err
	}
	for _, v := range vs {
		if v.Key == key {
			out := apijson.PolicyChange{Tenant: a.tenantName(r.Context()), Policy: apijson.ToPolicy(v)}
			if uid != nil {
				out.User = uid.String()
			}
			writeJSON(w, http.StatusOK, out)
			return nil
		}
	}
	return notFound(fmt.Sprintf("no policy key %q", clip(key)))
}

// GET /api/v1/policies?user=ID
func (a *api) listPolicies(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "user")
	if err != nil {
		return err
	}
	uid, err := policyUser(q.Get("user"))
	if err != nil {
		return err
	}
	vs, err := a.admin.Policies(r.Context(), keyTenant, uid)
	if err != nil {
		return err
	}
	out := make([]apijson.Policy, 0, len(vs))
	for _, v := range vs {
		out = append(out, apijson.ToPolicy(v))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// PUT /api/v1/policies/{key}  {"value": ..., "user": "ID"}
func (a *api) setPolicy(w http.ResponseWriter, r *http.Request) error {
	if _, err := query(r); err != nil {
		return err
	}
	var body policySetJSON
	if err := decode(r, &body); err != nil {
		return err
	}
	value, err := policyValue(body.Value)
	if err != nil {
		return err
	}
	uid, err := policyUser(body.User)
	if err != nil {
		return err
	}
	v, err := a.admin.SetPolicy(r.Context(), keyTenant, uid, r.PathValue("key"), value)
	if err != nil {
		return err
	}
	return a.policyChange(w, r, uid, v.Key)
}

// DELETE /api/v1/policies/{key}?user=ID
func (a *api) unsetPolicy(w http.ResponseWriter, r *http.Request) error {
	q, err := query(r, "user")
	if err != nil {
		return err
	}
	uid, err := policyUser(q.Get("user"))
	if err != nil {
		return err
	}
	key := r.PathValue("key")
	if err := a.admin.UnsetPolicy(r.Context(), keyTenant, uid, key); err != nil {
		return err
	}
	return a.policyChange(w, r, uid, key)
}
