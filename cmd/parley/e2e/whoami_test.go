package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// whoamiOut is `whoami --json`.
type whoamiOut struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	FirstName   string   `json:"first_name"`
	LastName    string   `json:"last_name"`
	Tags        []string `json:"tags"`
	Email       string   `json:"email"`
	EmailSHA256 []string `json:"email_sha256"`
	PublicKey   string   `json:"public_key"`
	Fingerprint string   `json:"fingerprint"`
	SealedKey   bool     `json:"sealed_key"`
	Tenant      string   `json:"tenant"`
	Status      string   `json:"status"`
	CreatedAt   time.Time
	Devices     []struct {
		Fingerprint string    `json:"fingerprint"`
		Label       string    `json:"label"`
		AddedAt     time.Time `json:"added_at"`
		LastSeen    time.Time `json:"last_seen"`
	} `json:"devices"`
	Groups []struct {
		Key     string `json:"key"`
		Name    string `json:"name"`
		Managed bool   `json:"managed"`
		Members int    `json:"members"`
	} `json:"groups"`
	Policies []struct {
		Key    string `json:"key"`
		Value  string `json:"value"`
		Source string `json:"source"`
	} `json:"policies"`
}

// entryOut is one entry of `directory find --json`.
type entryOut struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Tags         []string `json:"tags"`
	Internal     bool     `json:"internal"`
	Organisation string   `json:"organisation"`
}

// TestWhoami: a user's data-access request over real OpenSSH shows their
// ID, key, devices, e-mail hash and policies, and nothing of anyone else.
func TestWhoami(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	f.run("tenant", "create", "globex", "--seats", "10")
	alice, alice2, bob, gina := f.key("alice"), f.key("alice2"), f.key("bob"), f.key("gina")
	a := f.activeUser("acme", []key{alice, alice2}, "--first", "Alice", "--last", "Müller", "--email", "alice@acme.example",
		"--tag", "sales")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Builder", "--email", "bob@acme.example", "--tag", "support")
	g := f.activeUser("globex", []key{gina}, "--name", "Gina Müller", "--tag", "sales")
	f.run("policy", "set", "--tenant", "acme", "th_disable_create_group", "true")
	f.run("policy", "set", "--tenant", "acme", "--user", a.ID, "th_disable_calls", "true")
	f.run("group", "create", "--tenant", "acme", "Salesteam")
	f.run("group", "add", "--tenant", "acme", "Salesteam", a.ID)
	f.run("group", "create", "--tenant", "acme", "Workshop")
	f.run("group", "add", "--tenant", "acme", "Workshop", b.ID)

	raw := f.srv.mustSSH(alice, "", "whoami", "--json")
	var w whoamiOut
	mustJSON(t, raw, &w)
	if w.ID != a.ID || w.Name != "Alice Müller" || w.FirstName != "Alice" || w.LastName != "Müller" ||
		w.Tenant != "acme" || w.Status != "active" || !slices.Equal(w.Tags, []string{"sales"}) || !w.SealedKey {
		t.Errorf("whoami profile: %+v", w)
	}
	sum := sha256.Sum256([]byte("alice@acme.example"))
	if !slices.Equal(w.EmailSHA256, []string{hex.EncodeToString(sum[:])}) {
		t.Errorf("email_sha256 = %q, want the SHA-256 of alice@acme.example", w.EmailSHA256)
	}
	pk, err := crypto.ParsePublicKey(w.PublicKey)
	if err != nil {
		t.Fatalf("public_key %q: %v", w.PublicKey, err)
	}
	if want := crypto.FingerprintOf(pk).String(); w.Fingerprint != want {
		t.Errorf("fingerprint = %q, want %q (of the public key shown)", w.Fingerprint, want)
	}
	var devices []string
	for _, d := range w.Devices {
		devices = append(devices, d.Fingerprint)
		if d.AddedAt.IsZero() || !strings.HasPrefix(d.Label, "ssh-ed25519") {
			t.Errorf("device %+v: want a label and an added time", d)
		}
	}
	slices.Sort(devices)
	want := []string{alice.fingerprint(), alice2.fingerprint()}
	slices.Sort(want)
	if !slices.Equal(devices, want) {
		t.Errorf("devices = %q, want Alice's two keys %q", devices, want)
	}
	policies := map[string]string{}
	for _, p := range w.Policies {
		policies[p.Key] = p.Value + " " + p.Source
	}
	for key, want := range map[string]string{
		"th_disable_create_group": "true global", "th_disable_calls": "true individual", "th_disable_backups": "false default",
	} {
		if got := policies[key]; got != want {
			t.Errorf("policy %s = %q, want %q", key, got, want)
		}
	}
	if len(w.Groups) != 1 || w.Groups[0].Name != "Salesteam" || !w.Groups[0].Managed || w.Groups[0].Members != 1 ||
		len(w.Groups[0].Key) != 16 {
		t.Errorf("groups = %+v, want only Salesteam", w.Groups)
	}
	// Nothing about Bob or Gina: not their IDs, names, addresses or keys.
	for _, leak := range []string{b.ID, "Bob", "bob@", bob.fingerprint(), g.ID, "Gina", gina.fingerprint(), "globex", "Workshop"} {
		if strings.Contains(raw, leak) {
			t.Errorf("whoami --json of Alice shows %q", leak)
		}
	}
	// Either key of Alice's gets the same answer; Bob gets his own.
	var w2 whoamiOut
	mustJSON(t, f.srv.mustSSH(alice2, "", "whoami", "--json"), &w2)
	if w2.ID != a.ID {
		t.Errorf("whoami with Alice's second key: ID %s, want %s", w2.ID, a.ID)
	}
	mustJSON(t, f.srv.mustSSH(bob, "", "whoami", "--json"), &w2)
	if w2.ID != b.ID || w2.PublicKey == w.PublicKey || len(w2.Devices) != 1 || w2.Devices[0].Fingerprint != bob.fingerprint() {
		t.Errorf("whoami of Bob: %+v", w2)
	}

	// The human form.
	human := f.srv.mustSSH(alice, "", "whoami")
	for _, want := range []string{"Parley ID:", a.ID, w.Fingerprint, alice.fingerprint(), "th_disable_calls", "Salesteam"} {
		if !strings.Contains(human, want) {
			t.Errorf("whoami lacks %q:\n%s", want, human)
		}
	}
	// An admin key that is no user's is told where to look.
	expectFail(t, f.srv.ssh(f.root, "", "whoami"), "admin whoami")
	stranger := f.key("stranger")
	expectFail(t, f.srv.ssh(stranger, "", "whoami"), "enrolled user")
}

// TestDirectoryFind: the company directory over exec: wildcards and tags,
// another tenant hidden until both share a directory group, and the
// policy that switches the directory off.
func TestDirectoryFind(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	f.run("tenant", "create", "globex", "--seats", "10")
	alice, bob, gina := f.key("alice"), f.key("bob"), f.key("gina")
	a := f.activeUser("acme", []key{alice}, "--first", "Alice", "--last", "Müller", "--tag", "sales")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Builder", "--tag", "support")
	f.createUser("acme", "--name", "Paul Müllerhaus", "--tag", "sales") // pending: not listed
	g := f.activeUser("globex", []key{gina}, "--name", "Gina Müller", "--tag", "sales")

	find := func(k key, args ...string) []entryOut {
		t.Helper()
		var es []entryOut
		mustJSON(t, f.srv.mustSSH(k, "", append(append([]string{"directory", "find"}, args...), "--json")...), &es)
		return es
	}
	names := func(es []entryOut) []string {
		out := []string{}
		for _, e := range es {
			out = append(out, e.Name)
		}
		return out
	}
	check := func(step string, got []entryOut, want ...string) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		if n := names(got); !slices.Equal(n, want) {
			t.Errorf("%s: found %q, want %q", step, n, want)
		}
	}

	es := find(bob, "*mül*")
	check("*mül*", es, "Alice Müller")
	if len(es) == 1 && (es[0].ID != a.ID || !es[0].Internal) {
		t.Errorf("entry %+v: want Alice's ID, internal", es[0])
	}
	check("*MUL* (case and accents)", find(bob, "*MUL*"), "Alice Müller")
	check("#sales", find(bob, "#sales"), "Alice Müller")
	check("--tag support", find(alice, "--tag", "support"), "Bob Builder")
	check("two words", find(alice, "bob", "#support"), "Bob Builder")
	check("gina from acme", find(alice, "gina"))
	// A user created with --name only is found by any word of it, with
	// wildcards too (issue 17, item 6), and by e-mail.
	check("build* (a word of --name)", find(alice, "build*"), "Bob Builder")
	check("b?b", find(alice, "b?b"), "Bob Builder")
	f.run("user", "edit", b.ID, "--tenant", "acme", "--email", "bob.builder@acme.example")
	check("by e-mail", find(alice, "*@acme.example"), "Bob Builder")

	// Both tenants in one directory group: Gina appears, as another organisation.
	f.run("tenant", "edit", "acme", "--directory-group", "Holding")
	check("one tenant in the group", find(alice, "gina"))
	var tn tenantOut
	f.json(&tn, "tenant", "edit", "globex", "--directory-group", "holding")
	var shown struct {
		DirectoryGroup string `json:"directory_group"`
	}
	mustJSON(t, f.run("tenant", "show", "acme", "--json"), &shown)
	if shown.DirectoryGroup != "holding" {
		t.Errorf("tenant show: directory_group %q, want holding", shown.DirectoryGroup)
	}
	es = find(alice, "*müller*")
	check("in one group", es, "Alice Müller", "Gina Müller")
	if len(es) == 2 && (es[1].ID != g.ID || es[1].Internal || es[1].Organisation != "globex") {
		t.Errorf("Gina's entry %+v: want not internal, organisation globex", es[1])
	}
	check("gina searches acme", find(gina, "#support"), "Bob Builder")
	human := f.srv.mustSSH(gina, "", "directory", "find", "bob")
	if !strings.Contains(human, b.ID) || !strings.Contains(human, "acme") {
		t.Errorf("directory find (human) lacks Bob's ID or organisation:\n%s", human)
	}
	f.fails("directory group", "tenant", "edit", "acme", "--directory-group", "no_underscores")
	f.run("tenant", "edit", "acme", "--directory-group=")
	check("acme left the group", find(alice, "gina"))

	// The limit, and a note on stderr when there were more.
	r := f.srv.ssh(alice, "", "directory", "find", "*", "--limit", "1", "--json")
	var limited []entryOut
	mustJSON(t, r.stdout, &limited)
	if r.code != 0 || len(limited) != 1 || !strings.Contains(r.stderr, "more than 1") {
		t.Errorf("--limit 1: exit %d, %d entries, stderr %q", r.code, len(limited), r.stderr)
	}

	// Bad input: a clear one-line error.
	expectFail(t, f.srv.ssh(alice, "", "directory", "find"), "search for a name or a #tag")
	expectFail(t, f.srv.ssh(alice, "", "directory", "find", "#"), "give a tag after #")
	expectFail(t, f.srv.ssh(alice, "", "directory", "find", "a", "--limit", "0"), "--limit")
	// The policy switches it off for one user, with the reason.
	f.run("policy", "set", "--tenant", "acme", "--user", b.ID, "th_disable_work_directory", "true")
	expectFail(t, f.srv.ssh(bob, "", "directory", "find", "alice"), "th_disable_work_directory")
	check("others still search", find(alice, "bob"), "Bob Builder")
	// Keys that are no user's may not search.
	expectFail(t, f.srv.ssh(f.root, "", "directory", "find", "alice"), "enrolled user")
}
