package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestConsolePolicies drives the console's policies screen through the
// real OpenSSH client in tmux: the instance admin toggles
// th_block_unknown, and `policy show` agrees.
func TestConsolePolicies(t *testing.T) {
	need(t, "ssh", "tmux")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root := newKey(t, keys, "root")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub")
	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")

	x := newTmux(t)
	x.start("root", 80, 24, append([]string{"ssh", "-t"}, append(srv.sshArgs(root), "admin")...)...)
	x.waitFor("root", "Valid until") // one tenant: its dashboard at once

	// Policies: find the key, toggle it after the confirmation.
	x.typeText("root", "7")
	x.waitFor("root", "Policies · the tenant")
	x.waitFor("root", "th_block_unknown")
	x.typeText("root", "/")
	x.waitFor("root", "Filter:")
	x.line("root", "block_unknown")
	x.waitFor("root", "1 key")
	x.typeText("root", "e")
	x.waitFor("root", "Set th_block_unknown to true for the tenant?")
	x.typeText("root", "y")
	x.waitFor("root", "th_block_unknown is true for the tenant.")
	scr := x.waitFor("root", "global")
	if !strings.Contains(scr, "true") {
		t.Fatalf("the policies screen after the toggle:\n%s", scr)
	}

	var policies []struct {
		Key    string `json:"key"`
		Value  any    `json:"value"`
		Source string `json:"source"`
	}
	mustJSON(t, srv.mustSSH(root, "", "policy", "show", "--tenant", "acme", "--json"), &policies)
	found := false
	for _, p := range policies {
		if p.Key == "th_block_unknown" {
			found = true
			if p.Value != true || p.Source != "global" {
				t.Errorf("policy show: th_block_unknown = %v (%s), want true (global)", p.Value, p.Source)
			}
		}
	}
	if !found {
		t.Fatalf("policy show lacks th_block_unknown: %+v", policies)
	}
	x.typeText("root", "q")
	x.waitDead("root")
}

// TestConsoleQuietHours sets the tenant's quiet hours in the console: a
// refused zone keeps the form, the preview follows the typing, and
// `quiet-hours show` agrees on what was saved.
func TestConsoleQuietHours(t *testing.T) {
	need(t, "ssh", "tmux")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root := newKey(t, keys, "root")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub")
	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")

	x := newTmux(t)
	x.start("root", 80, 24, append([]string{"ssh", "-t"}, append(srv.sshArgs(root), "admin")...)...)
	x.waitFor("root", "Valid until")

	// Quiet hours: a schedule with a preview, saved, then shown.
	const spec, zone = "Mon-Fri 18:00-08:00; Sat,Sun all-day", "Europe/Zurich"
	x.typeText("root", "8")
	x.waitFor("root", "No quiet hours")
	x.typeText("root", "e")
	x.waitFor("root", "Time zone:")
	x.typeText("root", spec)
	x.waitFor("root", "Preview: the next changes")
	x.key("root", "Tab", "C-u")
	x.typeText("root", "Mars/Olympus")
	x.waitFor("root", "Mars/Olympus")
	x.key("root", "Enter")
	x.waitFor("root", "✗") // refused by the service: the form stays
	x.key("root", "C-u")
	x.typeText("root", zone)
	x.waitFor("root", "Preview: the next changes")
	x.key("root", "Enter")
	x.waitFor("root", "Quiet hours of the tenant: "+spec)
	scr := x.waitFor("root", "Next changes")
	if !strings.Contains(scr, zone) || !strings.Contains(scr, "the tenant (global)") {
		t.Fatalf("the quiet hours screen after saving:\n%s", scr)
	}

	var q struct {
		Schedule string `json:"schedule"`
		Zone     string `json:"zone"`
		QuietNow *bool  `json:"quiet_now"`
	}
	mustJSON(t, srv.mustSSH(root, "", "quiet-hours", "show", "--tenant", "acme", "--json"), &q)
	if q.Schedule != spec || q.Zone != zone || q.QuietNow == nil {
		t.Fatalf("quiet-hours show: %+v, want %q in %q with quiet_now", q, spec, zone)
	}
	x.typeText("root", "q")
	x.waitDead("root")
}
