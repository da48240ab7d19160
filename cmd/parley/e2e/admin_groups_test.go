package e2e

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// groupOut is a managed group as group show and the changes print it.
type groupOut struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Tenant     string `json:"tenant"`
	Members    int    `json:"members"`
	MemberList []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"member_list"`
}

func (g groupOut) memberNames() []string {
	var out []string
	for _, m := range g.MemberList {
		out = append(out, m.Name)
	}
	return out
}

// statsOut is what stats --json prints.
type statsOut struct {
	Tenant        string `json:"tenant"`
	ActiveUsers   int    `json:"active_users"`
	PendingUsers  int    `json:"pending_users"`
	Devices       int    `json:"devices"`
	Days          int    `json:"days"`
	MessagesTotal uint64 `json:"messages_total"`
	Messages      []struct {
		Day      string `json:"day"`
		Messages uint64 `json:"messages"`
	} `json:"messages"`
}

// today returns the messages of the last day (today, UTC).
func (s statsOut) today(t *testing.T) uint64 {
	t.Helper()
	if len(s.Messages) == 0 {
		t.Fatalf("stats without days: %+v", s)
	}
	last := s.Messages[len(s.Messages)-1]
	if now := time.Now().UTC().Format(time.DateOnly); last.Day != now {
		t.Fatalf("the last day is %s, want today %s", last.Day, now)
	}
	return last.Messages
}

// TestAdminGroups: through the real OpenSSH client, an admin creates
// managed groups, adds, shows, removes, renames and deletes; unknown or
// foreign members are refused and change nothing; a group admin changes
// its own group's members and no other's; stats counts users, devices and
// the messages two users exchange in the chat, across a restart.
func TestAdminGroups(t *testing.T) {
	need(t, "ssh", "tmux")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root, gaKey := newKey(t, keys, "root"), newKey(t, keys, "groupadmin")
	adaKey, bobKey := newKey(t, keys, "ada"), newKey(t, keys, "bob")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub")
	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	srv.mustSSH(root, "", "tenant", "create", "globex", "--seats", "10")
	var ada, bob, cy, gil createdUser
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "acme", "--name", "Ada Lovelace", "--json"), &ada)
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "acme", "--name", "Bob Builder", "--json"), &bob)
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "acme", "--name", "Cy Pending", "--json"), &cy)
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "globex", "--name", "Gil Globex", "--json"), &gil)

	// Create: the words after the flags are the name.
	var sales, ops groupOut
	mustJSON(t, srv.mustSSH(root, "", "group", "create", "--tenant", "acme", "Sales", "Team", "--json"), &sales)
	if sales.Name != "Sales Team" || sales.Tenant != "acme" || sales.Members != 0 || len(sales.ID) != 9 {
		t.Fatalf("group create --json: %+v", sales)
	}
	if out := srv.mustSSH(root, "", "group", "create", "--tenant", "acme", "Ops"); !strings.Contains(out, "Created group Ops (g") {
		t.Fatalf("group create: %q", out)
	}
	expectFail(t, srv.ssh(root, "", "group", "create", "--tenant", "acme", "ops"), `already has a group named "Ops"`)
	expectFail(t, srv.ssh(root, "", "group", "create", "--tenant", "acme", "Bad\x1b[31m"), "control characters")

	// Members: add, show (with names), refusals that change nothing.
	mustJSON(t, srv.mustSSH(root, "", "group", "add", "--tenant", "acme", sales.ID, ada.ID, bob.ID, "--json"), &sales)
	if sales.Members != 2 || !slices.Equal(sales.memberNames(), []string{"Ada Lovelace", "Bob Builder"}) {
		t.Fatalf("group add --json: %+v", sales)
	}
	mustJSON(t, srv.mustSSH(root, "", "group", "show", "--tenant", "acme", "sales", "team", "--json"), &sales)
	if sales.Members != 2 || sales.MemberList[0].ID != ada.ID || sales.MemberList[0].Status != "pending" {
		t.Fatalf("group show --json: %+v", sales)
	}
	if out := srv.mustSSH(root, "", "group", "show", "--tenant", "acme", "Sales", "Team"); !strings.Contains(out, "Sales Team ("+sales.ID+") in acme: 2 members") ||
		!strings.Contains(out, "Bob Builder") {
		t.Fatalf("group show: %q", out)
	}
	expectFail(t, srv.ssh(root, "", "group", "add", "--tenant", "acme", "Ops", ada.ID, "NOBODY00"), "NOBODY00 is not a user of this tenant")
	expectFail(t, srv.ssh(root, "", "group", "add", "--tenant", "acme", "Ops", gil.ID), gil.ID+" is not a user of this tenant")
	expectFail(t, srv.ssh(root, "", "group", "add", "--tenant", "acme", "Ops", "not-an-id"), `"not-an-id" is not a Parley ID`)
	expectFail(t, srv.ssh(root, "", "group", "remove", "--tenant", "acme", sales.ID, ada.ID, cy.ID), cy.ID+" is not a member of Sales Team")
	expectFail(t, srv.ssh(root, "", "group", "show", "--tenant", "acme", "Nope"), "no such managed group")
	var list []groupOut
	mustJSON(t, srv.mustSSH(root, "", "group", "list", "--tenant", "acme", "--json"), &list)
	if len(list) != 2 || list[0].Name != "Ops" || list[0].Members != 0 || list[1].Name != "Sales Team" || list[1].Members != 2 {
		t.Fatalf("group list --json after refusals: %+v", list)
	}
	mustJSON(t, srv.mustSSH(root, "", "group", "remove", "--tenant", "acme", sales.ID, bob.ID, "--json"), &sales)
	if sales.Members != 1 || sales.MemberList[0].ID != ada.ID {
		t.Fatalf("group remove --json: %+v", sales)
	}
	// A user may be in many groups.
	srv.mustSSH(root, "", "group", "add", "--tenant", "acme", "Ops", ada.ID)

	// A group admin of Ops: its own group's members, nothing else.
	srv.mustSSH(root, gaKey.pub+" groupadmin\n", "admin", "add", "--tenant", "acme", "--role", "group-admin", "--group", "Ops")
	mustJSON(t, srv.mustSSH(gaKey, "", "group", "list", "--json"), &list)
	if len(list) != 1 || list[0].Name != "Ops" {
		t.Fatalf("a group admin's group list: %+v", list)
	}
	mustJSON(t, srv.mustSSH(gaKey, "", "group", "add", "Ops", bob.ID, cy.ID, "--json"), &ops)
	if ops.Members != 3 {
		t.Fatalf("group admin adds to its group: %+v", ops)
	}
	if out := srv.mustSSH(gaKey, "", "group", "remove", "Ops", cy.ID); !strings.Contains(out, "Ops ("+ops.ID+") now has 2 members.") {
		t.Fatalf("group remove: %q", out)
	}
	expectFail(t, srv.ssh(gaKey, "", "group", "add", "--tenant", "acme", sales.ID, bob.ID), "permission denied")
	expectFail(t, srv.ssh(gaKey, "", "group", "show", sales.ID), "permission denied")
	expectFail(t, srv.ssh(gaKey, "", "group", "create", "Mine"), "permission denied")
	expectFail(t, srv.ssh(gaKey, "", "group", "rename", "Ops", "Mine"), "permission denied")
	expectFail(t, srv.ssh(gaKey, "", "group", "delete", "Ops"), "permission denied")
	expectFail(t, srv.ssh(gaKey, "", "stats"), "permission denied")
	mustJSON(t, srv.mustSSH(root, "", "group", "show", "--tenant", "acme", sales.ID, "--json"), &sales)
	if sales.Members != 1 {
		t.Fatalf("the group admin changed another group: %+v", sales)
	}

	// Rename and delete.
	if out := srv.mustSSH(root, "", "group", "rename", "--tenant", "acme", "Ops", "Operations"); !strings.Contains(out, "Renamed group Ops to Operations ("+ops.ID+").") {
		t.Fatalf("group rename: %q", out)
	}
	expectFail(t, srv.ssh(root, "", "group", "rename", "--tenant", "acme", "Sales", "Team", "Sales"), "quote names with spaces")
	mustJSON(t, srv.mustSSH(gaKey, "", "group", "list", "--json"), &list)
	if len(list) != 1 || list[0].Name != "Operations" || list[0].ID != ops.ID {
		t.Fatalf("the group admin's group after the rename: %+v", list)
	}
	if out := srv.mustSSH(root, "", "group", "delete", "--tenant", "acme", "Sales", "Team"); !strings.Contains(out, "Deleted group Sales Team") {
		t.Fatalf("group delete: %q", out)
	}
	expectFail(t, srv.ssh(root, "", "group", "show", "--tenant", "acme", sales.ID), "no such managed group")
	var deleted groupOut
	mustJSON(t, srv.mustSSH(root, "", "group", "delete", "--tenant", "acme", "operations", "--json"), &deleted)
	if deleted.ID != ops.ID || deleted.Members != 2 {
		t.Fatalf("group delete --json: %+v", deleted)
	}
	var admins []struct {
		Fingerprint string   `json:"fingerprint"`
		Groups      []string `json:"groups"`
	}
	mustJSON(t, srv.mustSSH(root, "", "admin", "list", "--tenant", "acme", "--json"), &admins)
	for _, a := range admins {
		if a.Fingerprint == gaKey.fingerprint() && len(a.Groups) != 0 {
			t.Errorf("the deleted group is still the group admin's: %v", a.Groups)
		}
	}
	mustJSON(t, srv.mustSSH(gaKey, "", "group", "list", "--json"), &list)
	if len(list) != 0 {
		t.Fatalf("the group admin still lists %+v", list)
	}

	// Statistics: users and devices, then messages of a chat.
	var st statsOut
	mustJSON(t, srv.mustSSH(root, "", "stats", "--tenant", "acme", "--json"), &st)
	if st.Tenant != "acme" || st.ActiveUsers != 0 || st.PendingUsers != 3 || st.Devices != 0 || st.Days != 30 || len(st.Messages) != 30 || st.MessagesTotal != 0 {
		t.Fatalf("stats --json before activation: %+v", st)
	}
	srv.mustSSH(adaKey, "ada's passphrase\n", "activate", ada.ActivationCode)
	srv.mustSSH(bobKey, "bob's passphrase\n", "activate", bob.ActivationCode)
	mustJSON(t, srv.mustSSH(root, "", "stats", "--tenant", "acme", "--days", "7", "--json"), &st)
	if st.ActiveUsers != 2 || st.PendingUsers != 1 || st.Devices != 2 || st.Days != 7 || st.today(t) != 0 {
		t.Fatalf("stats --json after two activations: %+v", st)
	}
	expectFail(t, srv.ssh(root, "", "stats", "--tenant", "acme", "--days", "400"), "give 1 to 366")

	x := newTmux(t)
	for name, k := range map[string]key{"ada": adaKey, "bob": bobKey} {
		x.start(name, 100, 30, append([]string{"ssh", "-t"}, srv.sshArgs(k)...)...)
		x.waitFor(name, "Passphrase")
		x.line(name, name+"'s passphrase")
		x.waitFor(name, "Welcome to Parley")
	}
	x.line("ada", "/msg "+bob.ID+" counted but never read")
	x.waitFor("bob", "Ada Lovelace")
	x.waitFor("ada", "delivered")
	x.line("bob", "/open "+ada.ID)
	x.waitFor("bob", "counted but never read")
	x.line("bob", "and a reply")
	x.waitFor("ada", "and a reply")
	mustJSON(t, srv.mustSSH(root, "", "stats", "--tenant", "acme", "--json"), &st)
	if st.today(t) < 2 || st.MessagesTotal != st.today(t) {
		t.Fatalf("stats after a chat: today %d, total %d; want at least 2, all today", st.today(t), st.MessagesTotal)
	}
	counted := st.MessagesTotal
	human := srv.mustSSH(root, "", "stats", "--tenant", "acme", "--days", "2")
	for _, want := range []string{"Statistics of acme (counts only)", "active users", "DAY (UTC)", time.Now().UTC().Format(time.DateOnly)} {
		if !strings.Contains(human, want) {
			t.Errorf("stats lacks %q:\n%s", want, human)
		}
	}
	var other statsOut
	mustJSON(t, srv.mustSSH(root, "", "stats", "--tenant", "globex", "--json"), &other)
	if other.MessagesTotal != 0 || other.PendingUsers != 1 {
		t.Errorf("globex's stats: %+v", other)
	}

	// The counts survive a restart: the server writes them when it stops.
	x.key("ada", "C-c")
	x.key("bob", "C-c")
	x.waitDead("ada")
	x.waitDead("bob")
	srv.restart()
	mustJSON(t, srv.mustSSH(root, "", "stats", "--tenant", "acme", "--json"), &st)
	if st.MessagesTotal < counted {
		t.Fatalf("after a restart: %d messages, want at least %d", st.MessagesTotal, counted)
	}
	log := srv.logText()
	for _, secret := range []string{"counted but never read", "and a reply", "ada's passphrase"} {
		if strings.Contains(log, secret) {
			t.Errorf("the server log contains %q", secret)
		}
	}
}
