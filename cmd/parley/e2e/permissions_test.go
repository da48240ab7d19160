package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPermissionsAPIKeyOutlivesCreator is the regression test for finding
// 6 of issue 10: an API key outlived its creator's power. An owner makes a
// users:write key over real OpenSSH; once the owner is demoted to auditor
// the key no longer creates users over real HTTP (403), but still reads
// what an auditor may; once the owner is removed the key refuses
// everything; the audit log records each refusal and why.
func TestPermissionsAPIKeyOutlivesCreator(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root, owner, other := newKey(t, keys, "root"), newKey(t, keys, "owner"), newKey(t, keys, "other")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub")
	if srv.http == "" {
		t.Fatalf("the server did not report its HTTP address; log:\n%s", srv.logText())
	}
	api := httpClient{t: t, base: "http://" + srv.http, c: &http.Client{Timeout: 30 * time.Second}}
	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	srv.mustSSH(root, owner.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "owner", "--label", "Olga Owner")
	srv.mustSSH(root, other.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "owner") // the tenant keeps an owner

	var k apiKeyOut
	mustJSON(t, srv.mustSSH(owner, "", "apikey", "create", "--scope", "users:read,users:write", "--label", "HR sync", "--json"), &k)
	api.must(201, nil, "POST", "/api/v1/users", k.Key, map[string]any{"name": "Ada Lovelace"})

	// Demoted: users:write is gone from the key, users:read stays.
	srv.mustSSH(root, owner.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "auditor")
	api.refused(403, "no longer holds scope users:write", "POST", "/api/v1/users", k.Key, map[string]any{"name": "Bo"})
	var users []map[string]any
	api.must(200, &users, "GET", "/api/v1/users", k.Key, nil)
	if len(users) != 1 {
		t.Fatalf("users after the refused create = %d, want 1", len(users))
	}

	// Removed: nothing works any more.
	srv.mustSSH(root, "", "admin", "remove", "--tenant", "acme", owner.fingerprint())
	api.refused(403, "no longer holds a role", "POST", "/api/v1/users", k.Key, map[string]any{"name": "Cy"})
	api.refused(403, "no longer holds a role", "GET", "/api/v1/users", k.Key, nil)

	// The log says what was refused and why.
	var es []struct {
		Actor  string          `json:"actor"`
		Action string          `json:"action"`
		Target string          `json:"target"`
		After  json.RawMessage `json:"after"`
	}
	mustJSON(t, srv.mustSSH(root, "", "audit", "list", "--tenant", "acme", "--action", "apikey.refuse", "--json"), &es)
	var reasons []string
	for _, e := range es {
		var doc struct{ Result, Scope, Reason string }
		if err := json.Unmarshal(e.After, &doc); err != nil {
			t.Fatal(err)
		}
		if e.Actor != "apikey:"+k.ID || e.Target != k.ID || doc.Result != "refused" {
			t.Errorf("refusal entry = %+v %+v", e, doc)
		}
		reasons = append(reasons, doc.Scope+" "+doc.Reason)
	}
	want := "users:write creator_lost_scope,users:write creator_gone,users:read creator_gone"
	if got := strings.Join(reasons, ","); got != want {
		t.Errorf("refusals in the audit log = %s, want %s", got, want)
	}
	if strings.Contains(srv.logText(), k.Key) {
		t.Error("the API key's secret is in the server log")
	}
}
