package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// apiKeyOut is `apikey create --json` and one entry of `apikey list --json`.
type apiKeyOut struct {
	Key       string   `json:"key"`
	ID        string   `json:"id"`
	Tenant    string   `json:"tenant"`
	Label     string   `json:"label"`
	Scopes    []string `json:"scopes"`
	Status    string   `json:"status"`
	LastUsed  string   `json:"last_used"`
	RevokedAt string   `json:"revoked_at"`
}

// httpClient sends admin API requests to the server's HTTP listener.
type httpClient struct {
	t    *testing.T
	base string
	c    *http.Client
}

type httpResult struct {
	code   int
	header http.Header
	body   string
}

// do sends a request with an API key ("" for none) and a JSON body (nil
// for none).
func (h httpClient) do(method, path, key string, body any) httpResult {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(h.t.Context(), method, h.base+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := h.c.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return httpResult{code: resp.StatusCode, header: resp.Header, body: string(b)}
}

// must sends a request that must get want, and decodes the answer into v.
func (h httpClient) must(want int, v any, method, path, key string, body any) {
	h.t.Helper()
	r := h.do(method, path, key, body)
	if r.code != want {
		h.t.Fatalf("%s %s = %d %s, want %d", method, path, r.code, r.body, want)
	}
	if v != nil {
		mustJSON(h.t, r.body, v)
	}
}

// refused sends a request that must fail with status want and a JSON
// error containing message.
func (h httpClient) refused(want int, message, method, path, key string, body any) httpResult {
	h.t.Helper()
	r := h.do(method, path, key, body)
	var e struct {
		Error string `json:"error"`
	}
	if r.code != want || json.Unmarshal([]byte(r.body), &e) != nil || !strings.Contains(e.Error, message) {
		h.t.Fatalf("%s %s = %d %s, want %d with an error saying %q", method, path, r.code, r.body, want, message)
	}
	return r
}

// TestAdminAPIKeys: an instance admin creates API keys over real OpenSSH,
// scripts use them against the real HTTP listener, and a key revoked over
// ssh stops working at once.
func TestAdminAPIKeys(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	adminKey, stranger := newKey(t, keys, "admin"), newKey(t, keys, "stranger")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", adminKey.path+".pub")
	if srv.http == "" {
		t.Fatalf("the server did not report its HTTP address; log:\n%s", srv.logText())
	}
	api := httpClient{t: t, base: "http://" + srv.http, c: &http.Client{Timeout: 30 * time.Second}}
	srv.mustSSH(adminKey, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	srv.mustSSH(adminKey, "", "tenant", "create", "globex", "--seats", "5", "--domain", "globex.example")

	// Keys are created over ssh and shown once.
	r := srv.ssh(adminKey, "", "apikey", "create", "--tenant", "acme", "--scope", "users:read,users:write",
		"--scope", "license:read", "--scope", "audit:read", "--label", "HR sync", "--json")
	if r.code != 0 {
		t.Fatalf("apikey create --json: exit %d: %s", r.code, r.stderr)
	}
	var hr apiKeyOut
	mustJSON(t, r.stdout, &hr)
	if !strings.HasPrefix(hr.Key, "parley_"+hr.ID+"_") || hr.Tenant != "acme" || hr.Label != "HR sync" || hr.Status != "active" ||
		strings.Join(hr.Scopes, ",") != "license:read,users:read,users:write,audit:read" {
		t.Fatalf("apikey create --json = %+v", hr)
	}
	if !strings.Contains(r.stderr, "only time the key is shown") {
		t.Errorf("apikey create --json gave no warning on stderr: %q", r.stderr)
	}
	human := srv.mustSSH(adminKey, "", "apikey", "create", "--tenant", "acme", "--scope", "users:read", "--label", "Directory reader")
	if !strings.Contains(human, "only time the key is shown") || !strings.Contains(human, "Authorization: Bearer") {
		t.Errorf("apikey create prints no warning or usage:\n%s", human)
	}
	readOnly := field(t, human, "    ")
	if !strings.HasPrefix(readOnly, "parley_") {
		t.Fatalf("no key in the output of apikey create:\n%s", human)
	}
	var gx apiKeyOut
	mustJSON(t, srv.mustSSH(adminKey, "", "apikey", "create", "--tenant", "globex", "--scope", "users:read,users:write", "--json"), &gx)

	expectFail(t, srv.ssh(adminKey, "", "apikey", "create", "--tenant", "acme", "--scope", "users:everything"),
		`unknown scope "users:everything"; valid scopes: tenant:read, license:read`)
	expectFail(t, srv.ssh(adminKey, "", "apikey", "create", "--tenant", "acme", "--scope", "admins:write"), "cannot be given to an API key")
	expectFail(t, srv.ssh(adminKey, "", "apikey", "create", "--tenant", "acme"), `"scope" not set`)
	expectFail(t, srv.ssh(stranger, "", "apikey", "create", "--tenant", "acme", "--scope", "users:read"), "permission denied")
	expectFail(t, srv.ssh(stranger, "", "apikey", "list", "--tenant", "acme"), "permission denied")

	list := srv.mustSSH(adminKey, "", "apikey", "list", "--tenant", "acme", "--json")
	var listed []apiKeyOut
	mustJSON(t, list, &listed)
	if len(listed) != 2 || listed[0].ID != hr.ID || listed[0].Key != "" || strings.Contains(list, "parley_") || strings.Contains(list, "hash") {
		t.Fatalf("apikey list --json shows secrets or the wrong keys:\n%s", list)
	}
	table := srv.mustSSH(adminKey, "", "apikey", "list", "--tenant", "acme")
	for _, want := range []string{"ID", "LAST USED", hr.ID, "HR sync", "Directory reader", "never"} {
		if !strings.Contains(table, want) {
			t.Errorf("apikey list lacks %q:\n%s", want, table)
		}
	}

	// Scripts use the keys over HTTP.
	var users []map[string]any
	api.must(200, &users, "GET", "/api/v1/users", hr.Key, nil)
	if len(users) != 0 {
		t.Fatalf("users of a new tenant: %v", users)
	}
	var ada struct {
		ID             string `json:"id"`
		Tenant         string `json:"tenant"`
		Name           string `json:"name"`
		Nickname       string `json:"nickname"`
		Status         string `json:"status"`
		ActivationCode string `json:"activation_code"`
	}
	api.must(201, &ada, "POST", "/api/v1/users", hr.Key, map[string]any{"name": "Ada Lovelace", "email": "ada@acme.example", "tags": []string{"math"}})
	if len(ada.ID) != 8 || ada.Tenant != "acme" || ada.Status != "pending" || len(ada.ActivationCode) != 19 {
		t.Fatalf("POST /api/v1/users = %+v", ada)
	}
	api.must(200, &users, "GET", "/api/v1/users?tag=math", readOnly, nil)
	if len(users) != 1 || users[0]["id"] != ada.ID {
		t.Fatalf("GET /api/v1/users?tag=math = %v", users)
	}
	api.must(200, &ada, "GET", "/api/v1/users/"+ada.ID, readOnly, nil)
	api.must(200, &ada, "PATCH", "/api/v1/users/"+ada.ID, hr.Key, map[string]any{"nickname": "countess"})
	if ada.Nickname != "countess" {
		t.Fatalf("PATCH: %+v", ada)
	}
	// Both fronts see the same user, in the same shape.
	var shown struct {
		ID       string `json:"id"`
		Nickname string `json:"nickname"`
		Tenant   string `json:"tenant"`
	}
	mustJSON(t, srv.mustSSH(adminKey, "", "user", "show", ada.ID, "--tenant", "acme", "--json"), &shown)
	if shown.Nickname != "countess" || shown.Tenant != "acme" {
		t.Fatalf("user show after the HTTP edit = %+v", shown)
	}
	var lic struct {
		Tenant   string   `json:"tenant"`
		Seats    int      `json:"seats"`
		Warnings []string `json:"warnings"`
	}
	api.must(200, &lic, "GET", "/api/v1/license", hr.Key, nil)
	if lic.Tenant != "acme" || lic.Seats != 10 || lic.Warnings == nil {
		t.Fatalf("GET /api/v1/license = %+v", lic)
	}
	var entries []struct {
		Actor  string `json:"actor"`
		Label  string `json:"label"`
		Action string `json:"action"`
		Target string `json:"target"`
	}
	api.must(200, &entries, "GET", "/api/v1/audit?actor=apikey:"+hr.ID, hr.Key, nil)
	if len(entries) != 2 || entries[0].Action != "user.create" || entries[1].Action != "user.edit" || entries[1].Label != "HR sync" ||
		entries[1].Target != ada.ID {
		t.Fatalf("GET /api/v1/audit = %+v, want the key's create and edit", entries)
	}
	var verify struct {
		OK bool `json:"ok"`
	}
	api.must(200, &verify, "GET", "/api/v1/audit/verify", hr.Key, nil)
	if !verify.OK {
		t.Fatalf("GET /api/v1/audit/verify: not ok")
	}

	// Refusals: scope, tenant, key, input.
	api.refused(403, "permission denied", "POST", "/api/v1/users", readOnly, map[string]any{"name": "Mallory"})
	api.refused(403, "permission denied", "GET", "/api/v1/license", readOnly, nil)
	api.refused(404, "no such user", "GET", "/api/v1/users/"+ada.ID, gx.Key, nil)
	api.refused(404, "no such user", "DELETE", "/api/v1/users/"+ada.ID+"?keep_id=false&keep_app=false", gx.Key, nil)
	r401 := api.refused(401, "missing API key", "GET", "/api/v1/users", "", nil)
	if !strings.HasPrefix(r401.header.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: Bearer: %v", r401.header)
	}
	api.refused(401, "invalid API key", "GET", "/api/v1/users", "parley_k00000000_"+strings.Repeat("A", 43), nil)
	api.refused(422, "e-mail", "POST", "/api/v1/users", hr.Key, map[string]any{"name": "Bob", "email": "bob@globex.example"})
	api.refused(400, `unknown field "role"`, "POST", "/api/v1/users", hr.Key, map[string]any{"name": "Bob", "role": "owner"})
	api.refused(405, "not allowed", "PUT", "/api/v1/users/"+ada.ID, hr.Key, map[string]any{"name": "Bob"})

	// Managed groups and statistics.
	var ops apiKeyOut
	mustJSON(t, srv.mustSSH(adminKey, "", "apikey", "create", "--tenant", "acme", "--scope",
		"groups:read,groups:write,groups:members,stats:read,users:read", "--label", "Org chart sync", "--json"), &ops)
	var grp struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Members    int    `json:"members"`
		MemberList []struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"member_list"`
	}
	api.must(201, &grp, "POST", "/api/v1/groups", ops.Key, map[string]any{"name": "Research"})
	api.must(200, &grp, "POST", "/api/v1/groups/Research/members", ops.Key, map[string]any{"members": []string{ada.ID}})
	if grp.Members != 1 || grp.MemberList[0].Name != "Ada Lovelace" {
		t.Fatalf("POST /api/v1/groups/Research/members = %+v", grp)
	}
	if out := srv.mustSSH(adminKey, "", "group", "show", "--tenant", "acme", grp.ID); !strings.Contains(out, ada.ID) {
		t.Fatalf("group show over ssh does not list the member added over HTTP:\n%s", out)
	}
	var stats struct {
		PendingUsers int `json:"pending_users"`
		Days         int `json:"days"`
	}
	api.must(200, &stats, "GET", "/api/v1/stats?days=7", ops.Key, nil)
	if stats.PendingUsers != 1 || stats.Days != 7 {
		t.Fatalf("GET /api/v1/stats = %+v", stats)
	}
	api.refused(403, "permission denied", "GET", "/api/v1/groups", hr.Key, nil)

	var deleted struct {
		Status string `json:"status"`
	}
	api.must(200, &deleted, "DELETE", "/api/v1/users/"+ada.ID+"?keep_id=false&keep_app=false", hr.Key, nil)
	if deleted.Status != "revoked" {
		t.Fatalf("DELETE with keep_id=false: status %q, want revoked", deleted.Status)
	}
	if out := srv.mustSSH(adminKey, "", "user", "list", "--tenant", "acme", "--status", "revoked", "--json"); !strings.Contains(out, ada.ID) {
		t.Fatalf("user list over ssh does not show the user deleted over HTTP as revoked:\n%s", out)
	}

	// A key revoked over ssh stops working at once.
	var revoked apiKeyOut
	mustJSON(t, srv.mustSSH(adminKey, "", "apikey", "revoke", "--tenant", "acme", hr.ID, "--json"), &revoked)
	if revoked.Status != "revoked" || revoked.RevokedAt == "" || revoked.LastUsed == "" {
		t.Fatalf("apikey revoke --json = %+v", revoked)
	}
	api.refused(401, "revoked", "GET", "/api/v1/users", hr.Key, nil)
	expectFail(t, srv.ssh(adminKey, "", "apikey", "revoke", "--tenant", "acme", hr.ID), "already revoked")
	expectFail(t, srv.ssh(adminKey, "", "apikey", "revoke", "--tenant", "globex", readOnly[len("parley_"):len("parley_")+9]), "no such API key")
	api.must(200, nil, "GET", "/api/v1/users", readOnly, nil)

	if logs := srv.logText(); strings.Contains(logs, hr.Key[len(hr.Key)-43:]) || strings.Contains(logs, readOnly[len(readOnly)-43:]) {
		t.Errorf("the server log holds an API key")
	}
}
