package admin_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// policyEnv is the fixture's environment with a service that publishes on
// a bus, and what the bus heard.
type policyEnv struct {
	*env
	svc *admin.Service
	mu  sync.Mutex
	// heard lists the publications, each with the value of
	// th_disable_create_group the publisher's change left in the store.
	heard []heard
}

type heard struct {
	tenant string
	user   crypto.ID
	value  string
}

func newPolicyEnv(t *testing.T) *policyEnv {
	t.Helper()
	e := newEnv(t)
	bus := policy.NewBus()
	pe := &policyEnv{env: e, svc: admin.New(e.db, e.dir, admin.Config{Now: e.clock.Now, Logger: slog.New(slog.DiscardHandler), Policies: bus})}
	cancel := bus.Subscribe(func(tenant string, user crypto.ID) {
		// Read what the store holds now: a publication after the commit
		// sees the change.
		var v string
		_ = e.db.View(context.Background(), func(tx store.Tx) error {
			vs, err := policy.EffectiveTx(tx, tenant, user)
			v = vs.String(policy.DisableCreateGroup)
			return err
		})
		pe.mu.Lock()
		pe.heard = append(pe.heard, heard{tenant, user, v})
		pe.mu.Unlock()
	})
	t.Cleanup(cancel)
	return pe
}

func (pe *policyEnv) takeHeard() []heard {
	pe.mu.Lock()
	defer pe.mu.Unlock()
	h := pe.heard
	pe.heard = nil
	return h
}

// value returns one key of a Policies answer.
func value(t *testing.T, vs []policy.Value, key string) policy.Value {
	t.Helper()
	for _, v := range vs {
		if v.Key == key {
			return v
		}
	}
	t.Fatalf("Policies lacks %s", key)
	return policy.Value{}
}

func TestPolicySetShowUnset(t *testing.T) {
	pe := newPolicyEnv(t)
	ada := pe.user(t, pe.acme, "Ada Acme").User.ID
	owner := pe.admin(t, pe.acme, store.RoleOwner, "SHA256:owner")
	n := pe.auditCount(t)

	got, err := pe.svc.SetPolicy(owner, "acme", nil, policy.DisableCreateGroup, "true")
	if err != nil {
		t.Fatal(err)
	}
	if want := (policy.Value{Key: policy.DisableCreateGroup, Raw: "true", Source: policy.SourceGlobal}); got != want {
		t.Errorf("SetPolicy = %+v, want %+v", got, want)
	}
	if _, err := pe.svc.SetPolicy(owner, "acme", &ada, policy.DisableCreateGroup, "no"); err != nil {
		t.Fatal(err)
	}
	if h := pe.takeHeard(); len(h) != 2 || h[0] != (heard{pe.acme.ID, crypto.ID{}, "true"}) || h[1] != (heard{pe.acme.ID, ada, "false"}) {
		t.Errorf("bus heard %+v, want the tenant then Ada, each after the commit", h)
	}
	if c := pe.auditCount(t); c != n+2 {
		t.Errorf("audit entries: %d, want %d", c, n+2)
	}

	tenantVs, err := pe.svc.Policies(owner, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(tenantVs) != len(policy.Registry()) {
		t.Errorf("Policies returned %d keys, want %d", len(tenantVs), len(policy.Registry()))
	}
	userVs, err := pe.svc.Policies(owner, "acme", &ada)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		vs   []policy.Value
		key  string
		want policy.Value
	}{
		{tenantVs, policy.DisableCreateGroup, policy.Value{Key: policy.DisableCreateGroup, Raw: "true", Source: policy.SourceGlobal}},
		{userVs, policy.DisableCreateGroup, policy.Value{Key: policy.DisableCreateGroup, Raw: "false", Source: policy.SourceIndividual}},
		{userVs, policy.RetentionDays, policy.Value{Key: policy.RetentionDays, Raw: "30", Source: policy.SourceDefault}},
	} {
		if got := value(t, c.vs, c.key); got != c.want {
			t.Errorf("%s = %+v, want %+v", c.key, got, c.want)
		}
	}

	// Setting the same value again changes nothing: no audit, no news.
	n = pe.auditCount(t)
	if _, err := pe.svc.SetPolicy(owner, "acme", nil, policy.DisableCreateGroup, "yes"); err != nil {
		t.Fatal(err)
	}
	if c, h := pe.auditCount(t), pe.takeHeard(); c != n || len(h) != 0 {
		t.Errorf("no-op set: %d audit entries (want %d), bus heard %v", c, n, h)
	}

	if err := pe.svc.UnsetPolicy(owner, "acme", &ada, policy.DisableCreateGroup); err != nil {
		t.Fatal(err)
	}
	userVs, _ = pe.svc.Policies(owner, "acme", &ada)
	if got := value(t, userVs, policy.DisableCreateGroup); got.Source != policy.SourceGlobal || got.Raw != "true" {
		t.Errorf("after unset: %+v, want the global true", got)
	}
	if c, h := pe.auditCount(t), pe.takeHeard(); c != n+1 || len(h) != 1 || h[0] != (heard{pe.acme.ID, ada, "true"}) {
		t.Errorf("unset: %d audit entries (want %d), bus heard %+v", c, n+1, h)
	}
	var last store.AuditEntry
	_ = pe.db.View(t.Context(), func(tx store.Tx) error {
		return tx.Audit(1, func(e store.AuditEntry, _, _ []byte) bool { last = e; return true })
	})
	if last.Action != "policy.unset" || last.Target != ada.String()+" "+policy.DisableCreateGroup ||
		!strings.Contains(string(last.Before), `"source":"individual"`) || !strings.Contains(string(last.After), `"source":"global"`) {
		t.Errorf("audit entry %s %q: %s → %s", last.Action, last.Target, last.Before, last.After)
	}
	// Unsetting what is not set is no error, and no change.
	if err := pe.svc.UnsetPolicy(owner, "acme", &ada, policy.DisableCreateGroup); err != nil {
		t.Errorf("unset of an unset value: %v", err)
	}
	if c, h := pe.auditCount(t), pe.takeHeard(); c != n+1 || len(h) != 0 {
		t.Errorf("no-op unset: %d audit entries (want %d), bus heard %v", c, n+1, h)
	}
}

// TestPolicyRefusals: unknown keys, ill-typed values and individual values
// for tenant-wide keys are refused with ErrInvalid naming the expected
// type, and change nothing.
func TestPolicyRefusals(t *testing.T) {
	pe := newPolicyEnv(t)
	ada := pe.user(t, pe.acme, "Ada Acme").User.ID
	gus := pe.user(t, pe.globex, "Gus Globex").User.ID
	owner := pe.admin(t, pe.acme, store.RoleOwner, "SHA256:owner")
	n := pe.auditCount(t)
	for _, c := range []struct {
		name       string
		user       *crypto.ID
		key, value string
		target     error
		msg        string
	}{
		{"unknown key", nil, "th_no_such", "true", admin.ErrInvalid, `unknown policy key "th_no_such"`},
		{"wrong type", nil, policy.BlockUnknown, "maybe", admin.ErrInvalid, "th_block_unknown takes a bool: true or false"},
		{"int out of range", nil, policy.RetentionDays, "0", admin.ErrInvalid, "takes an int from 1 to 3650"},
		{"tenant-wide key per user", &ada, policy.CrossTenant, "globex", admin.ErrInvalid, "applies to the whole tenant"},
		{"itself", nil, policy.CrossTenant, "acme", admin.ErrInvalid, "cannot list itself"},
		{"another tenant's user", &gus, policy.BlockUnknown, "true", directory.ErrUserNotFound, "no such user"},
	} {
		_, err := pe.svc.SetPolicy(owner, "acme", c.user, c.key, c.value)
		if !errors.Is(err, c.target) || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: SetPolicy: %v, want %v with %q", c.name, err, c.target, c.msg)
		}
		if c.key != "th_no_such" {
			err = pe.svc.UnsetPolicy(owner, "acme", c.user, c.key)
			if c.user != nil && err == nil {
				t.Errorf("%s: UnsetPolicy succeeded", c.name)
			}
		}
	}
	if c, h := pe.auditCount(t), pe.takeHeard(); c != n || len(h) != 0 {
		t.Errorf("refusals wrote %d audit entries, bus heard %v", c-n, h)
	}
	vs, err := pe.svc.Policies(owner, "acme", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		if v.Source != policy.SourceDefault {
			t.Errorf("after refusals %s = %+v, want its default", v.Key, v)
		}
	}
}

// TestPolicyPermissions runs every policy call as every kind of caller.
func TestPolicyPermissions(t *testing.T) {
	pe := newPolicyEnv(t)
	ada := pe.user(t, pe.acme, "Ada Acme").User.ID
	callers := map[string]context.Context{
		"instance":      pe.root,
		"owner":         pe.admin(t, pe.acme, store.RoleOwner, "SHA256:owner"),
		"admin":         pe.admin(t, pe.acme, store.RoleAdmin, "SHA256:admin"),
		"auditor":       pe.admin(t, pe.acme, store.RoleAuditor, "SHA256:auditor"),
		"group-admin":   pe.admin(t, pe.acme, store.RoleGroupAdmin, "SHA256:groupadmin"),
		"other-owner":   pe.admin(t, pe.globex, store.RoleOwner, "SHA256:globex-owner"),
		"stranger":      pe.as(t, "SHA256:stranger"),
		"key-rw":        pe.apiKey(t, pe.acme, admin.PermPoliciesRead, admin.PermPoliciesWrite),
		"key-r":         pe.apiKey(t, pe.acme, admin.PermPoliciesRead),
		"key-users":     pe.apiKey(t, pe.acme, admin.PermUsersRead, admin.PermUsersWrite),
		"key-other-rw":  pe.apiKey(t, pe.globex, admin.PermPoliciesRead, admin.PermPoliciesWrite),
		"key-no-scopes": pe.apiKey(t, pe.acme),
	}
	readers := []string{"instance", "owner", "admin", "auditor", "key-rw", "key-r"}
	writers := []string{"instance", "owner", "admin", "key-rw"}
	calls := []struct {
		name    string
		writes  bool
		allowed []string
		call    func(ctx context.Context) error
	}{
		{"show tenant", false, readers, func(ctx context.Context) error { _, err := pe.svc.Policies(ctx, "acme", nil); return err }},
		{"show user", false, readers, func(ctx context.Context) error { _, err := pe.svc.Policies(ctx, "acme", &ada); return err }},
		{"export", false, readers, func(ctx context.Context) error { return pe.svc.ExportPoliciesCSV(ctx, "acme", &bytes.Buffer{}) }},
		{"set", true, writers, func(ctx context.Context) error {
			_, err := pe.svc.SetPolicy(ctx, "acme", nil, policy.RetentionDays, "9")
			return err
		}},
		{"set user", true, writers, func(ctx context.Context) error {
			_, err := pe.svc.SetPolicy(ctx, "acme", &ada, policy.Nickname, "ada")
			return err
		}},
		{"unset", true, writers, func(ctx context.Context) error {
			return pe.svc.UnsetPolicy(ctx, "acme", nil, policy.RetentionDays)
		}},
		{"import", true, writers, func(ctx context.Context) error {
			_, err := pe.svc.ImportPoliciesCSV(ctx, "acme", strings.NewReader("user,key,value\n,th_csi,x\n"))
			return err
		}},
	}
	for _, c := range calls {
		for name, ctx := range callers {
			n := pe.auditCount(t)
			err := c.call(ctx)
			allowed := false
			for _, a := range c.allowed {
				allowed = allowed || a == name
			}
			switch {
			case allowed && err != nil:
				t.Errorf("%s as %s: %v", c.name, name, err)
			case !allowed && !errors.Is(err, admin.ErrForbidden):
				t.Errorf("%s as %s: err = %v, want ErrForbidden", c.name, name, err)
			case !allowed && pe.auditCount(t) != n:
				t.Errorf("%s as %s: refused call wrote to the audit log", c.name, name)
			}
			if c.writes && allowed {
				// Leave the next caller something to change.
				_ = pe.svc.UnsetPolicy(pe.root, "acme", nil, policy.RetentionDays)
				_ = pe.svc.UnsetPolicy(pe.root, "acme", &ada, policy.Nickname)
				_ = pe.svc.UnsetPolicy(pe.root, "acme", nil, policy.CSI)
			}
		}
	}
}

// TestPolicyTenantIsolation: an acme admin can neither read nor change
// globex's policies, nor reach a globex user through acme.
func TestPolicyTenantIsolation(t *testing.T) {
	pe := newPolicyEnv(t)
	gus := pe.user(t, pe.globex, "Gus Globex").User.ID
	owner := pe.admin(t, pe.acme, store.RoleOwner, "SHA256:owner")
	key := pe.apiKey(t, pe.acme, admin.PermPoliciesRead, admin.PermPoliciesWrite)
	if _, err := pe.svc.SetPolicy(pe.root, "globex", nil, policy.BlockUnknown, "true"); err != nil {
		t.Fatal(err)
	}
	pe.takeHeard()
	n := pe.auditCount(t)
	for name, ctx := range map[string]context.Context{"acme owner": owner, "acme API key": key} {
		if _, err := pe.svc.Policies(ctx, "globex", nil); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s reads globex's policies: %v", name, err)
		}
		if _, err := pe.svc.SetPolicy(ctx, "globex", nil, policy.BlockUnknown, "false"); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s sets globex's policy: %v", name, err)
		}
		if err := pe.svc.UnsetPolicy(ctx, "globex", nil, policy.BlockUnknown); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s unsets globex's policy: %v", name, err)
		}
		if err := pe.svc.ExportPoliciesCSV(ctx, "globex", &bytes.Buffer{}); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s exports globex's policies: %v", name, err)
		}
		if _, err := pe.svc.ImportPoliciesCSV(ctx, "globex", strings.NewReader("user,key,value\n,th_csi,x\n")); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s imports into globex: %v", name, err)
		}
		tenant := "acme"
		if name == "acme API key" {
			tenant = "" // the key's own tenant
		}
		if _, err := pe.svc.SetPolicy(ctx, tenant, &gus, policy.BlockUnknown, "false"); !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("%s sets a policy for a globex user: %v", name, err)
		}
		if _, err := pe.svc.Policies(ctx, tenant, &gus); !errors.Is(err, directory.ErrUserNotFound) {
			t.Errorf("%s reads a globex user's policies: %v", name, err)
		}
		_, err := pe.svc.ImportPoliciesCSV(ctx, tenant, strings.NewReader("user,key,value\n"+gus.String()+",th_csi,x\n"))
		var be *directory.BatchError
		if !errors.As(err, &be) || len(be.Problems) != 1 || be.Problems[0].Line != 2 {
			t.Errorf("%s imports a value for a globex user: %v", name, err)
		}
	}
	if c, h := pe.auditCount(t), pe.takeHeard(); c != n || len(h) != 0 {
		t.Errorf("refused calls wrote %d audit entries, bus heard %v", c-n, h)
	}
	vs, _ := pe.svc.Policies(pe.root, "globex", &gus)
	if got := value(t, vs, policy.BlockUnknown); got.Raw != "true" || got.Source != policy.SourceGlobal {
		t.Errorf("globex's policy after the refusals: %+v", got)
	}
}

// TestPolicyCSV exports, imports into another tenant and back, and refuses
// a bad file as a whole.
func TestPolicyCSV(t *testing.T) {
	pe := newPolicyEnv(t)
	ada := pe.user(t, pe.acme, "Ada Acme").User.ID
	bob := pe.user(t, pe.acme, "Bob Acme").User.ID
	for _, s := range []struct {
		user       *crypto.ID
		key, value string
	}{
		{nil, policy.BlockUnknown, "true"},
		{nil, policy.CrossTenant, "globex"},
		{&ada, policy.Nickname, "=Ada, \"the first\""},
		{&bob, policy.DisableCreateGroup, "true"},
	} {
		if _, err := pe.svc.SetPolicy(pe.root, "acme", s.user, s.key, s.value); err != nil {
			t.Fatal(err)
		}
	}
	var out bytes.Buffer
	if err := pe.svc.ExportPoliciesCSV(pe.root, "acme", &out); err != nil {
		t.Fatal(err)
	}
	first := ada
	if cmpIDs(bob, ada) < 0 {
		first = bob
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || lines[0] != "user,key,value" || lines[1] != ",parley_cross_tenant,globex" ||
		lines[2] != ",th_block_unknown,true" || !strings.HasPrefix(lines[3], first.String()+",") {
		t.Errorf("export:\n%s", out.String())
	}
	exported := out.String()

	// Unset everything, import the file: everything is back.
	for _, u := range []*crypto.ID{nil, &ada, &bob} {
		for _, k := range policy.Registry() {
			if u == nil || k.PerUser {
				if err := pe.svc.UnsetPolicy(pe.root, "acme", u, k.Name); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	pe.takeHeard()
	n := pe.auditCount(t)
	changed, err := pe.svc.ImportPoliciesCSV(pe.root, "acme", strings.NewReader(exported))
	if err != nil || changed != 4 {
		t.Fatalf("import: %d, %v; want 4 changes", changed, err)
	}
	if c := pe.auditCount(t); c != n+4 {
		t.Errorf("import wrote %d audit entries, want 4", c-n)
	}
	if h := pe.takeHeard(); len(h) != 1 || h[0].user != (crypto.ID{}) {
		t.Errorf("import published %+v, want one tenant-wide publication", h)
	}
	out.Reset()
	if err := pe.svc.ExportPoliciesCSV(pe.root, "acme", &out); err != nil {
		t.Fatal(err)
	}
	if out.String() != exported {
		t.Errorf("export after import:\n%s\nwant:\n%s", out.String(), exported)
	}
	// The same file again changes nothing.
	if changed, err := pe.svc.ImportPoliciesCSV(pe.root, "acme", strings.NewReader(exported)); err != nil || changed != 0 {
		t.Errorf("second import: %d, %v; want no change", changed, err)
	}

	// A file with one bad line changes nothing, and names the lines.
	n = pe.auditCount(t)
	bad := "user,key,value\n,th_block_unknown,false\n,th_disable_calls,perhaps\n" + ada.String() + ",parley_retention_days,5\n,parley_cross_tenant,umbrella\n"
	_, err = pe.svc.ImportPoliciesCSV(pe.root, "acme", strings.NewReader(bad))
	var be *directory.BatchError
	if !errors.As(err, &be) || !errors.Is(err, admin.ErrInvalid) {
		t.Fatalf("bad import: %v, want a BatchError", err)
	}
	if len(be.Problems) != 2 || be.Problems[0].Line != 3 || be.Problems[1].Line != 4 ||
		!strings.Contains(be.Problems[0].Err.Error(), "takes a bool") {
		t.Errorf("problems: %v", err)
	}
	// A file whose lines parse, but one names no tenant: found in the
	// transaction, still nothing changes.
	bad = "user,key,value\n,th_block_unknown,false\n,parley_cross_tenant,umbrella\n"
	_, err = pe.svc.ImportPoliciesCSV(pe.root, "acme", strings.NewReader(bad))
	if !errors.As(err, &be) || len(be.Problems) != 1 || be.Problems[0].Line != 3 || !strings.Contains(err.Error(), "umbrella") {
		t.Errorf("import naming an unknown tenant: %v", err)
	}
	if c, h := pe.auditCount(t), pe.takeHeard(); c != n || len(h) != 0 {
		t.Errorf("refused imports wrote %d audit entries, bus heard %v", c-n, h)
	}
	out.Reset()
	_ = pe.svc.ExportPoliciesCSV(pe.root, "acme", &out)
	if out.String() != exported {
		t.Errorf("a refused import changed the policies:\n%s", out.String())
	}
}

func cmpIDs(a, b crypto.ID) int { return strings.Compare(a.String(), b.String()) }

// FuzzImportPoliciesCSV: whatever the file, an import either applies every
// line or changes nothing, and never fails with anything but bad input.
func FuzzImportPoliciesCSV(f *testing.F) {
	for _, s := range []string{
		"user,key,value\n,th_block_unknown,true\n",
		"user,key,value\nADA00001,th_nickname,Ada\n,parley_retention_days,7\n",
		"value,key,user\n\"a,b\",th_csi,\n",
		"user,key,value\n,parley_cross_tenant,\"globex, acme\"\n",
		"user,key,value\n,th_disable_calls,perhaps\n",
		"user,key\n",
		"\uFEFFuser,key,value\r\n,th_safe_enable,TRUE\r\n",
		"user,key,value\n,th_csi,\"unterminated\n",
		"",
	} {
		f.Add(s)
	}
	e := newEnv(f)
	f.Fuzz(func(t *testing.T, file string) {
		var before, after bytes.Buffer
		if err := e.svc.ExportPoliciesCSV(e.root, "acme", &before); err != nil {
			t.Fatal(err)
		}
		_, err := e.svc.ImportPoliciesCSV(e.root, "acme", strings.NewReader(file))
		if err := e.svc.ExportPoliciesCSV(e.root, "acme", &after); err != nil {
			t.Fatal(err)
		}
		if err != nil {
			if !errors.Is(err, admin.ErrInvalid) {
				t.Fatalf("import failed with %v, not bad input", err)
			}
			if before.String() != after.String() {
				t.Fatalf("a refused import changed the policies:\n%s\n→\n%s", before.String(), after.String())
			}
			return
		}
		rows, perr := policy.ParseCSV(strings.NewReader(file))
		if perr != nil {
			t.Fatalf("import accepted what ParseCSV refuses: %v", perr)
		}
		for _, r := range rows {
			var user *crypto.ID
			if !r.User.IsZero() {
				user = &r.User
			}
			vs, err := e.svc.Policies(e.root, "acme", user)
			if err != nil {
				t.Fatal(err)
			}
			if got := value(t, vs, r.Key); got.Raw != r.Value {
				t.Fatalf("after import %s = %q, want %q", r.Key, got.Raw, r.Value)
			}
		}
	})
}
