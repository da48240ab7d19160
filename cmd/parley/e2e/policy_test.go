package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// policyOut is one element of policy show --json.
type policyOut struct {
	Key    string `json:"key"`
	Value  any    `json:"value"`
	Source string `json:"source"`
}

// policyOf returns one key of policy show --json.
func (f *adminFx) policyOf(key string, args ...string) policyOut {
	f.t.Helper()
	var vs []policyOut
	f.json(&vs, append([]string{"policy", "show"}, args...)...)
	for _, v := range vs {
		if v.Key == key {
			return v
		}
	}
	f.t.Fatalf("policy show lacks %s: %+v", key, vs)
	return policyOut{}
}

// TestPolicyExec sets, shows and unsets policies over exec, refuses bad
// input without changing anything, and round-trips the CSV export through
// import.
func TestPolicyExec(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	f.run("tenant", "create", "globex", "--seats", "10", "--domain", "globex.example")
	ada := f.createUser("acme", "--name", "Ada Lovelace")

	if v := f.policyOf("th_block_unknown", "--tenant", "acme"); v.Value != false || v.Source != "default" {
		t.Fatalf("before: %+v, want the default false as a JSON boolean", v)
	}
	out := f.run("policy", "set", "--tenant", "acme", "th_block_unknown", "true")
	if !strings.Contains(out, "Set th_block_unknown to true for tenant acme.") {
		t.Errorf("policy set printed %q", out)
	}
	f.run("policy", "set", "--tenant", "acme", "th_block_unknown", "false", "--user", ada.ID)
	f.run("policy", "set", "--tenant", "acme", "parley_retention_days", "7")
	f.run("policy", "set", "--tenant", "acme", "th_firstname", "Ada", "Augusta", "--user", ada.ID)
	f.run("policy", "set", "--tenant", "acme", "parley_cross_tenant", "globex")

	for _, c := range []struct {
		key  string
		args []string
		want policyOut
	}{
		{"th_block_unknown", []string{"--tenant", "acme"}, policyOut{"th_block_unknown", true, "global"}},
		{"th_block_unknown", []string{"--tenant", "acme", "--user", ada.ID}, policyOut{"th_block_unknown", false, "individual"}},
		{"parley_retention_days", []string{"--tenant", "acme", "--user", ada.ID}, policyOut{"parley_retention_days", float64(7), "global"}},
		{"th_firstname", []string{"--tenant", "acme", "--user", ada.ID}, policyOut{"th_firstname", "Ada Augusta", "individual"}},
		{"th_block_unknown", []string{"--tenant", "globex"}, policyOut{"th_block_unknown", false, "default"}},
	} {
		if got := f.policyOf(c.key, c.args...); got != c.want {
			t.Errorf("policy show %v: %s = %+v, want %+v", c.args, c.key, got, c.want)
		}
	}

	// Bad input is refused with the expected type, and changes nothing.
	before := f.run("policy", "export", "--tenant", "acme")
	f.fails(`th_block_unknown takes a bool: true or false (got "maybe")`, "policy", "set", "--tenant", "acme", "th_block_unknown", "maybe")
	f.fails(`unknown policy key "th_no_such"`, "policy", "set", "--tenant", "acme", "th_no_such", "true")
	f.fails("parley_retention_days takes an int from 1 to 3650", "policy", "set", "--tenant", "acme", "parley_retention_days", "forever")
	f.fails("applies to the whole tenant", "policy", "set", "--tenant", "acme", "parley_retention_days", "5", "--user", ada.ID)
	f.fails(`no tenant is named "umbrella"`, "policy", "set", "--tenant", "acme", "parley_cross_tenant", "umbrella")
	if after := f.run("policy", "export", "--tenant", "acme"); after != before {
		t.Errorf("refused commands changed the policies:\n%s\nwant:\n%s", after, before)
	}

	// Unset: the next level applies again.
	var unset struct {
		policyOut
		Tenant string `json:"tenant"`
		User   string `json:"user"`
	}
	mustJSON(t, f.run("policy", "unset", "--tenant", "acme", "th_block_unknown", "--user", ada.ID, "--json"), &unset)
	if unset.Value != true || unset.Source != "global" || unset.User != ada.ID || unset.Tenant != "acme" {
		t.Errorf("policy unset --json = %+v, want the global true", unset)
	}

	// CSV: export, unset everything, import: the same values again.
	exported := f.run("policy", "export", "--tenant", "acme")
	wantLines := []string{"user,key,value", ",parley_cross_tenant,globex", ",parley_retention_days,7", ",th_block_unknown,true",
		ada.ID + ",th_firstname,Ada Augusta"}
	if got := strings.Split(strings.TrimSpace(exported), "\n"); strings.Join(got, "\n") != strings.Join(wantLines, "\n") {
		t.Errorf("policy export:\n%s\nwant:\n%s", exported, strings.Join(wantLines, "\n"))
	}
	for _, k := range []string{"parley_cross_tenant", "parley_retention_days", "th_block_unknown"} {
		f.run("policy", "unset", "--tenant", "acme", k)
	}
	f.run("policy", "unset", "--tenant", "acme", "th_firstname", "--user", ada.ID)
	if empty := f.run("policy", "export", "--tenant", "acme"); strings.TrimSpace(empty) != "user,key,value" {
		t.Fatalf("export after unsetting everything: %q", empty)
	}
	var imp struct {
		Tenant  string `json:"tenant"`
		Changed int    `json:"changed"`
	}
	mustJSON(t, f.srv.mustSSH(f.root, exported, "policy", "import", "--tenant", "acme", "--json"), &imp)
	if imp.Changed != 4 || imp.Tenant != "acme" {
		t.Errorf("policy import --json = %+v, want 4 changes in acme", imp)
	}
	if again := f.run("policy", "export", "--tenant", "acme"); again != exported {
		t.Errorf("export after import:\n%s\nwant:\n%s", again, exported)
	}

	// A file with a bad line changes nothing and names the line.
	r := f.srv.ssh(f.root, "user,key,value\n,th_csi,ok\n,th_disable_calls,perhaps\n", "policy", "import", "--tenant", "acme")
	expectFail(t, r, "line 3: th_disable_calls takes a bool")
	if again := f.run("policy", "export", "--tenant", "acme"); again != exported {
		t.Errorf("a refused import changed the policies:\n%s", again)
	}

	// The registry, for scripts.
	var keys []struct {
		Name    string `json:"name"`
		Type    string `json:"type"`
		Default any    `json:"default"`
		PerUser bool   `json:"per_user"`
	}
	mustJSON(t, f.run("policy", "keys", "--json"), &keys)
	found := false
	for _, k := range keys {
		if k.Name == "parley_retention_days" {
			found = k.Type == "int" && k.Default == float64(30) && !k.PerUser
		}
	}
	if len(keys) < 21 || !found {
		t.Errorf("policy keys --json: %d keys, parley_retention_days right: %t", len(keys), found)
	}
}

// TestPolicyAboveOperatorCeilingRefused (finding 5): a tenant admin cannot
// set a value above the operator's ceiling, by command or by import; what
// was set stays; values up to the ceiling are taken.
func TestPolicyAboveOperatorCeilingRefused(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	root := newKey(t, dir, "root")
	f := &adminFx{t: t, root: root, keys: dir,
		srv: startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub",
			"--max-attachment-mib", "50", "--max-retention-days", "90")}
	f.run("tenant", "create", "acme", "--seats", "10")
	ada := f.createUser("acme", "--name", "Ada")

	f.run("policy", "set", "--tenant", "acme", "parley_max_attachment_mib", "50")
	f.fails("parley_max_attachment_mib 51: this server allows at most 50 (the operator's limit)",
		"policy", "set", "--tenant", "acme", "parley_max_attachment_mib", "51")
	f.fails("parley_retention_days 365: this server allows at most 90",
		"policy", "set", "--tenant", "acme", "parley_retention_days", "365")
	// The default --max-quota-mib is 10240.
	f.fails("parley_storage_quota_mib 20000: this server allows at most 10240",
		"policy", "set", "--tenant", "acme", "parley_storage_quota_mib", "20000", "--user", ada.ID)
	if got := f.policyOf("parley_max_attachment_mib", "--tenant", "acme"); fmt.Sprint(got.Value) != "50" {
		t.Fatalf("after refusals parley_max_attachment_mib = %+v, want the 50 set before", got)
	}
	r := f.srv.ssh(f.root, "user,key,value\n,parley_retention_days,60\n,parley_max_attachment_mib,4096\n", "policy", "import", "--tenant", "acme")
	expectFail(t, r, "line 3: parley_max_attachment_mib 4096: this server allows at most 50")
	if got := f.policyOf("parley_retention_days", "--tenant", "acme"); fmt.Sprint(got.Value) == "60" {
		t.Fatalf("a refused import changed parley_retention_days: %+v", got)
	}
}
