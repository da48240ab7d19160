package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	// The test edits the stopped server's database file as someone holding
	// it could; nothing but a test may do that.
	bolt "go.etcd.io/bbolt" //nolint:depguard // see above
)

// auditEntryOut is an audit entry as audit list --json and audit export
// print it.
type auditEntryOut struct {
	Seq      uint64          `json:"seq"`
	Time     time.Time       `json:"time"`
	Actor    string          `json:"actor"`
	Label    string          `json:"label"`
	TenantID string          `json:"tenant_id"`
	Action   string          `json:"action"`
	Target   string          `json:"target"`
	Before   json.RawMessage `json:"before"`
	After    json.RawMessage `json:"after"`
	Hash     string          `json:"hash"`
}

type exportOut struct {
	ID          string `json:"id"`
	Tenant      string `json:"tenant"`
	Kind        string `json:"kind"`
	State       string `json:"state"`
	RequestedBy string `json:"requested_by"`
	ApprovedBy  string `json:"approved_by"`
}

// TestAdminAuditExportsAndCSV: two admins of a tenant act; the audit log
// lists what each did, filtered, and verifies; an export needs both of
// them; the exported users import back without a change, and a bad file
// changes nothing and says what is wrong, by line. Finally a single byte
// changed in the database file breaks the chain.
func TestAdminAuditExportsAndCSV(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys")
	if err := os.Mkdir(keys, 0o700); err != nil {
		t.Fatal(err)
	}
	root, alice, bob, gina := newKey(t, keys, "root"), newKey(t, keys, "alice"), newKey(t, keys, "bob"), newKey(t, keys, "gina")
	data := filepath.Join(dir, "data")
	srv := startServer(t, data, "--bootstrap-admin-key", root.path+".pub")
	jsonOf := func(k key, v any, args ...string) {
		t.Helper()
		reflect.ValueOf(v).Elem().SetZero()
		mustJSON(t, srv.mustSSH(k, "", append(args, "--json")...), v)
	}

	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "10", "--domain", "acme.example")
	srv.mustSSH(root, "", "tenant", "create", "globex", "--seats", "10", "--domain", "globex.example")
	var tenants []struct{ ID, Name string }
	jsonOf(root, &tenants, "tenant", "list")
	acmeID := ""
	for _, tn := range tenants {
		if tn.Name == "acme" {
			acmeID = tn.ID
		}
	}
	srv.mustSSH(root, alice.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "owner", "--label", "Alice Owner")
	srv.mustSSH(root, bob.pub+"\n", "admin", "add", "--tenant", "acme", "--role", "admin", "--label", "Bob Admin")
	srv.mustSSH(root, gina.pub+"\n", "admin", "add", "--tenant", "globex", "--role", "owner", "--label", "Gina Globex")

	// Some work in both tenants.
	var ada, carl, gil userOut
	jsonOf(alice, &ada, "user", "create", "--tenant", "acme", "--first", "Ada", "--last", "Lovelace", "--email", "ada@acme.example",
		"--tag", "maths", "--tag", "r-and-d", "--category", "Research")
	jsonOf(bob, &carl, "user", "create", "--tenant", "acme", "--name", "Carl Cook", "--nickname", "cc")
	srv.mustSSH(alice, "", "user", "edit", ada.ID, "--tenant", "acme", "--nickname", "countess")
	jsonOf(gina, &gil, "user", "create", "--name", "Gil Globex")

	// audit list filters by actor (fingerprint or label) and target; an
	// acme admin never sees globex's entries.
	actions := func(k key, args ...string) []string {
		t.Helper()
		var es []auditEntryOut
		jsonOf(k, &es, append([]string{"audit", "list"}, args...)...)
		var out []string
		for _, e := range es {
			if e.TenantID != acmeID {
				t.Errorf("audit list %v shows another tenant's entry: %+v", args, e)
			}
			out = append(out, e.Action)
		}
		return out
	}
	if got, want := strings.Join(actions(bob, "--actor", alice.fingerprint()), " "), "user.create user.edit"; got != want {
		t.Errorf("entries of alice's key: %q, want %q", got, want)
	}
	if got, want := strings.Join(actions(alice, "--actor", "bob"), " "), "user.create"; got != want {
		t.Errorf("entries by the label bob: %q, want %q", got, want)
	}
	if got, want := strings.Join(actions(alice, "--target", ada.ID), " "), "user.create user.edit"; got != want {
		t.Errorf("entries about ada: %q, want %q", got, want)
	}
	if got := actions(alice, "--target", gil.ID); len(got) != 0 {
		t.Errorf("acme's owner sees entries about globex's user: %v", got)
	}
	if got := actions(alice, "--actor", gina.fingerprint(), "--limit", "0"); len(got) != 0 {
		t.Errorf("acme's owner sees globex's owner's entries: %v", got)
	}
	var edit []auditEntryOut
	jsonOf(alice, &edit, "audit", "list", "--action", "user.edit")
	var after struct{ Nickname string }
	if len(edit) != 1 || json.Unmarshal(edit[0].After, &after) != nil || after.Nickname != "countess" || edit[0].Label != "Alice Owner" {
		t.Fatalf("user.edit entry: %+v", edit)
	}
	human := srv.mustSSH(alice, "", "audit", "list", "--since", time.Now().UTC().Format(time.DateOnly))
	for _, want := range []string{"SEQ", "ACTOR/LABEL", "Alice Owner", "Bob Admin", "user.edit", ada.ID} {
		if !strings.Contains(human, want) {
			t.Errorf("audit list lacks %q:\n%s", want, human)
		}
	}
	expectFail(t, srv.ssh(alice, "", "audit", "list", "--tenant", "globex"), "permission denied")
	expectFail(t, srv.ssh(alice, "", "audit", "list", "--since", "yesterday"), "use YYYY-MM-DD")
	if out := srv.mustSSH(bob, "", "audit", "verify"); !strings.Contains(out, "The audit log is intact") {
		t.Errorf("audit verify: %q", out)
	}

	// Four eyes: alice asks, alice may not approve nor use it yet, bob
	// approves, only alice carries it out, once.
	var x exportOut
	jsonOf(alice, &x, "export", "request", "--tenant", "acme", "users")
	if x.State != "pending" || x.Kind != "users" || x.RequestedBy != alice.fingerprint() {
		t.Fatalf("export request: %+v", x)
	}
	expectFail(t, srv.ssh(alice, "", "export", "approve", "--tenant", "acme", x.ID), "another admin must approve it")
	expectFail(t, srv.ssh(alice, "", "user", "export", "--tenant", "acme", "--request", x.ID), "waiting for another admin's approval")
	expectFail(t, srv.ssh(gina, "", "export", "approve", "--tenant", "acme", x.ID), "permission denied")
	expectFail(t, srv.ssh(gina, "", "export", "approve", x.ID), "no export request")
	out := srv.mustSSH(bob, "", "export", "approve", "--tenant", "acme", x.ID)
	if !strings.Contains(out, "Approved export "+x.ID) {
		t.Errorf("export approve: %q", out)
	}
	expectFail(t, srv.ssh(bob, "", "user", "export", "--tenant", "acme", "--request", x.ID), "only the admin who requested")
	csvFile := srv.mustSSH(alice, "", "user", "export", "--tenant", "acme", "--request", x.ID)
	if !strings.HasPrefix(csvFile, "id,name,first_name,last_name,nickname,email,category,tags,status\n") ||
		!strings.Contains(csvFile, ada.ID+",Ada Lovelace,Ada,Lovelace,countess,ada@acme.example,Research,maths;r-and-d,pending\n") {
		t.Fatalf("user export:\n%s", csvFile)
	}
	expectFail(t, srv.ssh(alice, "", "user", "export", "--tenant", "acme", "--request", x.ID), "already carried out")
	var xs []exportOut
	jsonOf(bob, &xs, "export", "list", "--tenant", "acme")
	if len(xs) != 1 || xs[0].State != "used" || xs[0].ApprovedBy != bob.fingerprint() {
		t.Errorf("export list: %+v", xs)
	}

	// The export imports back without a change.
	var before, after2 []userOut
	jsonOf(alice, &before, "user", "list", "--tenant", "acme")
	out = srv.mustSSH(alice, csvFile, "user", "import", "--tenant", "acme")
	if !strings.Contains(out, "0 users created, 0 updated, 2 unchanged") {
		t.Errorf("import of the export: %q", out)
	}
	jsonOf(alice, &after2, "user", "list", "--tenant", "acme")
	if !reflect.DeepEqual(before, after2) {
		t.Errorf("the round trip changed users:\n%+v\n%+v", before, after2)
	}

	// A bad file: every problem by line, and nothing changes.
	bad := "name,email,tags\n" +
		"Good Person,good@acme.example,\n" +
		"Spy,spy@globex.example,\n" +
		"Tagged,,bad tag\n"
	r := srv.ssh(alice, bad, "user", "import", "--tenant", "acme")
	if r.code != 1 || !strings.Contains(r.stderr, "nothing was changed: 2 problems") ||
		!strings.Contains(r.stderr, "line 3: e-mail spy@globex.example: that e-mail domain belongs to another tenant") ||
		!strings.Contains(r.stderr, `line 4: tag "bad tag"`) {
		t.Errorf("bad import: %+v", r)
	}
	var problems struct {
		Problems []struct {
			Line  int
			Error string
		}
	}
	r = srv.ssh(alice, bad, "user", "import", "--tenant", "acme", "--json")
	mustJSON(t, r.stdout, &problems)
	if r.code != 1 || len(problems.Problems) != 2 || problems.Problems[0].Line != 3 {
		t.Errorf("bad import --json: %+v", r)
	}
	jsonOf(alice, &after2, "user", "list", "--tenant", "acme")
	if !reflect.DeepEqual(before, after2) {
		t.Errorf("a refused import changed users:\n%+v\n%+v", before, after2)
	}

	// A good file: a dry run first, then the import creates and updates.
	good := "name,email\nGrace Hopper,grace@acme.example\n"
	out = srv.mustSSH(alice, good, "user", "import", "--tenant", "acme", "--dry-run")
	if !strings.Contains(out, "would create 1 user,") {
		t.Errorf("dry run: %q", out)
	}
	jsonOf(alice, &after2, "user", "list", "--tenant", "acme")
	if len(after2) != 2 {
		t.Errorf("a dry run created users: %+v", after2)
	}
	var res struct {
		Created []struct {
			Line           int    `json:"line"`
			ID             string `json:"id"`
			Name           string `json:"name"`
			ActivationCode string `json:"activation_code"`
		} `json:"created"`
		Unchanged int `json:"unchanged"`
	}
	mustJSON(t, srv.mustSSH(alice, good, "user", "import", "--tenant", "acme", "--json"), &res)
	if len(res.Created) != 1 || res.Created[0].Line != 2 || res.Created[0].Name != "Grace Hopper" || len(res.Created[0].ActivationCode) != 19 {
		t.Fatalf("import --json: %+v", res)
	}
	out = srv.mustSSH(alice, "id,nickname\n"+carl.ID+",chef\n", "user", "import", "--tenant", "acme")
	if !strings.Contains(out, "0 users created, 1 updated, 0 unchanged") || !strings.Contains(out, carl.ID) {
		t.Errorf("update by import: %q", out)
	}

	// The audit log leaves through an approved export, as JSON lines with
	// the tenant's entries only.
	jsonOf(bob, &x, "export", "request", "audit")
	srv.mustSSH(alice, "", "export", "approve", x.ID)
	lines := srv.mustSSH(bob, "", "audit", "export", "--request", x.ID)
	sc := bufio.NewScanner(strings.NewReader(lines))
	var exported []auditEntryOut
	for sc.Scan() {
		var e auditEntryOut
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("audit export line %q: %v", sc.Text(), err)
		}
		if e.TenantID != acmeID {
			t.Errorf("audit export holds another tenant's entry: %+v", e)
		}
		exported = append(exported, e)
	}
	if n := len(exported); n < 10 || exported[n-1].Action != "export.use" || exported[n-1].Actor != bob.fingerprint() {
		t.Fatalf("audit export: %d entries: %+v", n, exported)
	}

	// One byte changed in the stopped server's file breaks the chain.
	if out := srv.mustSSH(root, "", "audit", "verify"); !strings.Contains(out, "intact") {
		t.Fatalf("audit verify before tampering: %q", out)
	}
	srv.stop()
	target := exported[2].Seq
	db, err := bolt.Open(filepath.Join(data, "parley.db"), 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		// Entries are numbered per tenant, in the order of the
		// instance-wide chain the store keys them by: the tenant's
		// target-th entry is the one to change.
		b := tx.Bucket([]byte("audit"))
		var k []byte
		var n uint64
		_ = b.ForEach(func(key, v []byte) error {
			var e struct {
				TenantID string `json:"tenant_id"`
			}
			if k == nil && len(v) > 1 && json.Unmarshal(v[1:], &e) == nil && e.TenantID == acmeID { // after the record version byte
				if n++; n == target {
					k = bytes.Clone(key)
				}
			}
			return nil
		})
		if k == nil {
			t.Fatalf("no stored entry is the tenant's entry %d", target)
		}
		v := bytes.Clone(b.Get(k))
		i := bytes.Index(v, []byte(`"action":"`))
		if i < 0 {
			t.Fatalf("entry %d: %q", target, v)
		}
		v[i+len(`"action":"`)] ^= 0x20 // one letter's case
		return b.Put(k, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	srv.start()
	r = srv.ssh(alice, "", "audit", "verify")
	if r.code != 1 || !strings.Contains(r.stderr, fmt.Sprintf("broken at entry %d:", target)) {
		t.Errorf("audit verify after tampering: %+v", r)
	}
	var rep struct {
		OK     bool   `json:"ok"`
		BadSeq uint64 `json:"bad_seq"`
	}
	r = srv.ssh(alice, "", "audit", "verify", "--json")
	mustJSON(t, r.stdout, &rep)
	if r.code != 1 || rep.OK || rep.BadSeq != target {
		t.Errorf("audit verify --json after tampering: %+v", r)
	}
}

// be64 is a sequence number as the store keys it: big-endian.
func be64(n uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i], n = byte(n), n>>8
	}
	return b
}
