package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/httpapi"
	"github.com/parley-chat/parley/store"
)

// clock is the injected clock: it stands still until the test moves it.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// env is the HTTP front over real services and a real store, with two
// tenants, acme and globex, and API keys of both.
type env struct {
	db      *store.Bolt
	svc     *admin.Service
	clock   *clock
	handler http.Handler
	srv     *httptest.Server
	root    context.Context
	logs    *bytes.Buffer

	all, readOnly, revoked, globex string // API keys
	allID                          string
	ada, bo, cy, gil               crypto.ID
	adaDevice                      string // a fingerprint with '/' and '+' in it
	globexGroup                    string // a managed group of globex
}

func newEnv(t *testing.T) *env {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	e := &env{db: db, clock: &clock{now: time.Date(2030, time.March, 4, 5, 6, 7, 0, time.UTC)}, logs: &bytes.Buffer{}}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	dir := directory.New(db, directory.Config{KDF: crypto.KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}, Now: e.clock.Now, Logger: log})
	e.svc = admin.New(db, dir, admin.Config{Now: e.clock.Now, Logger: log})
	ctx := t.Context()
	if err := dir.EnsureInstanceAdmin(ctx, "SHA256:root", "ssh-ed25519 AAAA root"); err != nil {
		t.Fatal(err)
	}
	_, roles, err := dir.Resolve(ctx, "SHA256:root")
	if err != nil {
		t.Fatal(err)
	}
	e.root = auth.With(ctx, &auth.Principal{KeyFingerprint: "SHA256:root", Roles: roles})
	for _, name := range []string{"acme", "globex", "initech"} {
		if _, err := e.svc.CreateTenant(e.root, directory.TenantSpec{Name: name, Seats: 10, Domains: []string{name + ".example"}}); err != nil {
			t.Fatal(err)
		}
	}
	key := func(tenant string, scopes ...admin.Perm) admin.NewAPIKey {
		t.Helper()
		var s []string
		for _, p := range scopes {
			s = append(s, string(p))
		}
		k, err := e.svc.CreateAPIKey(e.root, tenant, s, "test "+tenant)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	all := key("acme", admin.APIScopes()...)
	e.all, e.allID = all.Secret, all.Key.ID
	e.readOnly = key("acme", admin.PermUsersRead).Secret
	rk := key("acme", admin.APIScopes()...)
	if _, err := e.svc.RevokeAPIKey(e.root, "acme", rk.Key.ID); err != nil {
		t.Fatal(err)
	}
	e.revoked = rk.Secret
	e.globex = key("globex", admin.APIScopes()...).Secret
	user := func(tenant, name, email string, tags ...string) crypto.ID {
		t.Helper()
		nu, err := e.svc.CreateUser(e.root, tenant, directory.UserSpec{Name: name, Email: email, Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		return nu.User.ID
	}
	e.ada = user("acme", "Ada Lovelace", "ada@acme.example", "engineering")
	e.bo = user("acme", "Bo Brown", "", "sales")
	e.cy = user("acme", "Cy Young", "")
	e.gil = user("globex", "Gil Globex", "gil@globex.example")
	if _, err := e.svc.CreateGroup(e.root, "acme", "Acme Ops"); err != nil {
		t.Fatal(err)
	}
	gg, err := e.svc.CreateGroup(e.root, "globex", "Globex Ops")
	if err != nil {
		t.Fatal(err)
	}
	e.globexGroup = gg.ID
	e.adaDevice = "SHA256:ab/cd+ef/gh"
	err = db.Update(ctx, func(tx store.Tx) error {
		return tx.PutDevice(store.Device{Fingerprint: e.adaDevice, UserID: e.ada, AuthorizedKey: "ssh-ed25519 AAAA ada", AddedAt: e.clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	e.handler = httpapi.Handler(httpapi.Deps{DB: db, Admin: e.svc, Logger: log, Now: e.clock.Now})
	e.srv = httptest.NewServer(e.handler)
	t.Cleanup(e.srv.Close)
	return e
}

// lockedWriter lets the server's goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// response is what a request got back.
type response struct {
	code   int
	header http.Header
	body   []byte
}

func (r response) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request with an API key ("" for none) and a body (a string
// is sent as is, anything else as JSON, nil as no body).
func (e *env) do(t *testing.T, method, path, key string, body any) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case io.Reader:
		rd = b
	default:
		j, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, e.srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{code: resp.StatusCode, header: resp.Header, body: b}
}

func (e *env) auditCount(t *testing.T) uint64 {
	t.Helper()
	var n uint64
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		n, _, err = tx.AuditHead()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

type user struct {
	ID             string   `json:"id"`
	Tenant         string   `json:"tenant"`
	Name           string   `json:"name"`
	Nickname       string   `json:"nickname"`
	Email          string   `json:"email"`
	Tags           []string `json:"tags"`
	Status         string   `json:"status"`
	Devices        int      `json:"devices"`
	DeviceList     []device `json:"device_list"`
	ActivationCode string   `json:"activation_code"`
	ExpiresAt      string   `json:"activation_expires_at"`
}

type group struct {
	ID         string `json:"id"`
	Tenant     string `json:"tenant"`
	Name       string `json:"name"`
	Members    int    `json:"members"`
	MemberList []struct {
		ID     string `json:"id"`
		Name   string `json:"name"`
		Status string `json:"status"`
	} `json:"member_list"`
}

type device struct {
	Fingerprint string `json:"fingerprint"`
}

// TestRoutes takes every route's happy path, in order, with the key that
// has every API scope.
func TestRoutes(t *testing.T) {
	e := newEnv(t)
	ada, bo, cy := e.ada.String(), e.bo.String(), e.cy.String()
	steps := []struct {
		method, path string
		body         any
		want         int
		check        func(t *testing.T, r response)
	}{
		{"GET", "/api/v1/users", nil, 200, func(t *testing.T, r response) {
			var us []user
			r.decode(t, &us)
			if len(us) != 3 || us[0].Name != "Ada Lovelace" || us[0].Tenant != "acme" || us[0].Devices != 1 || us[0].Email != "ada@acme.example" {
				t.Errorf("users = %+v, want acme's three, Ada first with her device", us)
			}
		}},
		{"GET", "/api/v1/users?name=" + url.QueryEscape("*love*"), nil, 200, func(t *testing.T, r response) {
			var us []user
			r.decode(t, &us)
			if len(us) != 1 || us[0].ID != ada {
				t.Errorf("name=*love*: %+v, want Ada", us)
			}
		}},
		{"GET", "/api/v1/users?tag=sales&status=pending", nil, 200, func(t *testing.T, r response) {
			var us []user
			r.decode(t, &us)
			if len(us) != 1 || us[0].ID != bo || len(us[0].Tags) != 1 {
				t.Errorf("tag=sales: %+v, want Bo", us)
			}
		}},
		{"POST", "/api/v1/users", map[string]any{"name": "Dee Dee", "email": "dee@acme.example", "tags": []string{"Sales"}, "nickname": "dd"}, 201,
			func(t *testing.T, r response) {
				var u user
				r.decode(t, &u)
				if len(u.ID) != 8 || u.Name != "Dee Dee" || u.Status != "pending" || u.ActivationCode == "" || u.ExpiresAt == "" ||
					u.Tenant != "acme" || u.Tags[0] != "sales" {
					t.Errorf("created %+v", u)
				}
				if got, want := r.header.Get("Location"), "/api/v1/users/"+u.ID; got != want {
					t.Errorf("Location = %q, want %q", got, want)
				}
			}},
		{"GET", "/api/v1/users/" + strings.ToLower(ada), nil, 200, func(t *testing.T, r response) {
			var u user
			r.decode(t, &u)
			if u.ID != ada || u.Devices != 1 || len(u.DeviceList) != 1 || u.DeviceList[0].Fingerprint != e.adaDevice {
				t.Errorf("user = %+v", u)
			}
		}},
		{"PATCH", "/api/v1/users/" + ada, map[string]any{"nickname": "countess", "tags": []string{"math", "engineering"}}, 200,
			func(t *testing.T, r response) {
				var u user
				r.decode(t, &u)
				if u.Nickname != "countess" || len(u.Tags) != 2 || u.Name != "Ada Lovelace" || u.Devices != 1 {
					t.Errorf("edited = %+v", u)
				}
			}},
		{"PATCH", "/api/v1/users/" + ada, map[string]any{"email": nil, "category": "R&D"}, 200, func(t *testing.T, r response) {
			var u user
			r.decode(t, &u)
			if u.Email != "ada@acme.example" {
				t.Errorf("a null field changed the e-mail: %+v", u)
			}
		}},
		{"GET", "/api/v1/users/" + ada + "/devices", nil, 200, func(t *testing.T, r response) {
			var ds []device
			r.decode(t, &ds)
			if len(ds) != 1 || ds[0].Fingerprint != e.adaDevice {
				t.Errorf("devices = %+v", ds)
			}
		}},
		{"DELETE", "/api/v1/users/" + ada + "/devices/" + url.PathEscape(e.adaDevice), nil, 200, func(t *testing.T, r response) {
			var got struct{ User, Removed string }
			r.decode(t, &got)
			if got.User != ada || got.Removed != e.adaDevice {
				t.Errorf("removed = %+v", got)
			}
		}},
		{"GET", "/api/v1/users/" + ada + "/devices", nil, 200, func(t *testing.T, r response) {
			if got := strings.TrimSpace(string(r.body)); got != "[]" {
				t.Errorf("devices after removal = %s, want []", got)
			}
		}},
		{"POST", "/api/v1/users/" + ada + "/activation-code", nil, 200, func(t *testing.T, r response) {
			var u user
			r.decode(t, &u)
			if u.ID != ada || len(u.ActivationCode) != 19 {
				t.Errorf("new code = %+v", u)
			}
		}},
		{"POST", "/api/v1/groups", map[string]string{"name": "Sales EMEA"}, 201, func(t *testing.T, r response) {
			var g group
			r.decode(t, &g)
			if !strings.HasPrefix(g.ID, "g") || g.Name != "Sales EMEA" || g.Tenant != "acme" || g.Members != 0 || g.MemberList == nil {
				t.Errorf("created group = %+v", g)
			}
			if got, want := r.header.Get("Location"), "/api/v1/groups/"+g.ID; got != want {
				t.Errorf("Location = %q, want %q", got, want)
			}
		}},
		{"GET", "/api/v1/groups", nil, 200, func(t *testing.T, r response) {
			var gs []group
			r.decode(t, &gs)
			if len(gs) != 2 || gs[0].Name != "Acme Ops" || gs[1].Name != "Sales EMEA" {
				t.Errorf("groups = %+v, want acme's two", gs)
			}
		}},
		{"POST", "/api/v1/groups/Sales%20EMEA/members", map[string][]string{"members": {ada, strings.ToLower(cy)}}, 200,
			func(t *testing.T, r response) {
				var g group
				r.decode(t, &g)
				if g.Members != 2 || g.MemberList[0].ID != ada || g.MemberList[0].Name != "Ada Lovelace" || g.MemberList[1].ID != cy ||
					g.MemberList[1].Status != "pending" {
					t.Errorf("members after adding = %+v", g)
				}
			}},
		{"DELETE", "/api/v1/groups/sales%20emea/members", map[string][]string{"members": {cy}}, 200, func(t *testing.T, r response) {
			var g group
			r.decode(t, &g)
			if g.Members != 1 || g.MemberList[0].ID != ada {
				t.Errorf("members after removing = %+v", g)
			}
		}},
		{"PATCH", "/api/v1/groups/Sales%20EMEA", map[string]string{"name": "Sales R/D"}, 200, func(t *testing.T, r response) {
			var g group
			r.decode(t, &g)
			if g.Name != "Sales R/D" {
				t.Errorf("renamed = %+v", g)
			}
		}},
		{"GET", "/api/v1/groups/Sales%20R%2FD", nil, 200, func(t *testing.T, r response) {
			var g group
			r.decode(t, &g)
			if g.Name != "Sales R/D" || g.Members != 1 {
				t.Errorf("group by a name with a slash = %+v", g)
			}
		}},
		{"DELETE", "/api/v1/groups/Sales%20R%2FD", nil, 200, func(t *testing.T, r response) {
			var g group
			r.decode(t, &g)
			if g.Name != "Sales R/D" {
				t.Errorf("deleted = %+v", g)
			}
		}},
		{"GET", "/api/v1/stats?days=7", nil, 200, func(t *testing.T, r response) {
			var st struct {
				Tenant       string `json:"tenant"`
				ActiveUsers  int    `json:"active_users"`
				PendingUsers int    `json:"pending_users"`
				Devices      int    `json:"devices"`
				Days         int    `json:"days"`
				Messages     []struct {
					Day      string `json:"day"`
					Messages uint64 `json:"messages"`
				} `json:"messages"`
			}
			r.decode(t, &st)
			if st.Tenant != "acme" || st.PendingUsers != 4 || st.ActiveUsers != 0 || len(st.Messages) != 7 || st.Days != 7 ||
				st.Messages[6].Day != "2030-03-04" {
				t.Errorf("stats = %+v", st)
			}
		}},
		{"POST", "/api/v1/users/" + bo + "/revoke", nil, 200, func(t *testing.T, r response) {
			var u user
			r.decode(t, &u)
			if u.ID != bo || u.Status != "revoked" {
				t.Errorf("revoked = %+v", u)
			}
		}},
		{"DELETE", "/api/v1/users/" + cy + "?keep_id=true&keep_app=false", nil, 200, func(t *testing.T, r response) {
			var u user
			r.decode(t, &u)
			if u.ID != cy || u.Status != "detached" {
				t.Errorf("deleted = %+v", u)
			}
		}},
		{"GET", "/api/v1/license", nil, 200, func(t *testing.T, r response) {
			var l struct {
				Tenant   string            `json:"tenant"`
				Seats    int               `json:"seats"`
				Warnings []string          `json:"warnings"`
				Packages []json.RawMessage `json:"packages"`
			}
			r.decode(t, &l)
			if l.Tenant != "acme" || l.Seats != 10 || l.Warnings == nil || len(l.Packages) != 1 {
				t.Errorf("license = %+v", l)
			}
		}},
		{"GET", "/api/v1/audit?action=user.&since=2030-03-04&until=2030-03-04&limit=5", nil, 200, func(t *testing.T, r response) {
			var es []struct {
				Seq    uint64          `json:"seq"`
				Actor  string          `json:"actor"`
				Label  string          `json:"label"`
				Action string          `json:"action"`
				After  json.RawMessage `json:"after"`
				Hash   string          `json:"hash"`
			}
			r.decode(t, &es)
			if len(es) != 5 {
				t.Fatalf("audit = %d entries, want the newest 5", len(es))
			}
			last := es[len(es)-1]
			if last.Actor != "apikey:"+e.allID || last.Label != "test acme" || !strings.HasPrefix(last.Action, "user.delete") ||
				len(last.Hash) != 64 || len(last.After) == 0 {
				t.Errorf("newest entry = %+v", last)
			}
		}},
		{"GET", "/api/v1/audit?actor=apikey:" + e.allID + "&target=" + cy, nil, 200, func(t *testing.T, r response) {
			var es []json.RawMessage
			r.decode(t, &es)
			if len(es) != 1 {
				t.Errorf("audit for the key and Cy: %d entries, want 1", len(es))
			}
		}},
		{"GET", "/api/v1/audit?until=2030-03-03", nil, 200, func(t *testing.T, r response) {
			if got := strings.TrimSpace(string(r.body)); got != "[]" {
				t.Errorf("audit until the day before = %s, want []", got)
			}
		}},
		{"GET", "/api/v1/audit/verify", nil, 200, func(t *testing.T, r response) {
			var v struct {
				OK      bool   `json:"ok"`
				Entries uint64 `json:"entries"`
			}
			r.decode(t, &v)
			if !v.OK || v.Entries == 0 {
				t.Errorf("verify = %+v", v)
			}
		}},
		{"HEAD", "/api/v1/users", nil, 200, nil},
	}
	for i, s := range steps {
		r := e.do(t, s.method, s.path, e.all, s.body)
		if r.code != s.want {
			t.Fatalf("step %d: %s %s = %d %s, want %d", i, s.method, s.path, r.code, r.body, s.want)
		}
		if got := r.header.Get("Content-Type"); got != "application/json" {
			t.Errorf("step %d: Content-Type = %q", i, got)
		}
		if got := r.header.Get("Cache-Control"); got != "no-store" {
			t.Errorf("step %d: Cache-Control = %q, want no-store", i, got)
		}
		if s.check != nil {
			s.check(t, r)
		}
	}
	// A fingerprint sent with its '/' unescaped reaches the route too.
	err := e.db.Update(t.Context(), func(tx store.Tx) error {
		return tx.PutDevice(store.Device{Fingerprint: "SHA256:x/y", UserID: e.ada, AddedAt: e.clock.Now()})
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "DELETE", "/api/v1/users/"+ada+"/devices/SHA256:x/y", e.all, nil); r.code != 200 {
		t.Errorf("removing a device by its raw fingerprint = %d %s", r.code, r.body)
	}
}

// TestErrors sends requests that must fail, checks each one's status and
// message, and that none of them changed anything.
func TestErrors(t *testing.T) {
	e := newEnv(t)
	ada, gil, cy := e.ada.String(), e.gil.String(), e.cy.String()
	if _, err := e.svc.RevokeUser(e.root, "acme", e.cy); err != nil {
		t.Fatal(err)
	}
	nobody := "ZZZZ9999"
	big := `{"name":"` + strings.Repeat("x", httpapi.MaxBodyBytes) + `"}`
	tests := []struct {
		name         string
		method, path string
		key          string
		body         any
		want         int
		message      string
	}{
		{"no key", "GET", "/api/v1/users", "", nil, 401, "missing API key"},
		{"bad key", "GET", "/api/v1/users", "hunter2", nil, 401, "invalid API key"},
		{"unknown key", "GET", "/api/v1/users", "parley_k00000000_" + strings.Repeat("A", 43), nil, 401, "invalid API key"},
		{"revoked key", "GET", "/api/v1/users", e.revoked, nil, 401, "revoked"},
		{"no key on an unknown route", "GET", "/api/v1/nope", "", nil, 401, "missing API key"},
		{"missing scope to create", "POST", "/api/v1/users", e.readOnly, map[string]string{"name": "X"}, 403, "permission denied: the API key's scopes (users:read)"},
		{"missing scope for license", "GET", "/api/v1/license", e.readOnly, nil, 403, "permission denied"},
		{"missing scope for audit", "GET", "/api/v1/audit", e.readOnly, nil, 403, "permission denied"},
		{"missing scope for devices", "GET", "/api/v1/users/" + ada + "/devices", e.readOnly, nil, 403, "permission denied"},
		{"other tenant's user", "GET", "/api/v1/users/" + gil, e.all, nil, 404, "no such user"},
		{"no such user", "GET", "/api/v1/users/" + nobody, e.all, nil, 404, "no such user"},
		{"other tenant's user, edit", "PATCH", "/api/v1/users/" + gil, e.all, map[string]string{"nickname": "x"}, 404, "no such user"},
		{"other tenant's user, delete", "DELETE", "/api/v1/users/" + gil + "?keep_id=false&keep_app=false", e.all, nil, 404, "no such user"},
		{"other tenant's user, revoke", "POST", "/api/v1/users/" + gil + "/revoke", e.all, nil, 404, "no such user"},
		{"other tenant's user, code", "POST", "/api/v1/users/" + gil + "/activation-code", e.all, nil, 404, "no such user"},
		{"other tenant's user, devices", "GET", "/api/v1/users/" + gil + "/devices", e.all, nil, 404, "no such user"},
		{"other tenant's user, device", "DELETE", "/api/v1/users/" + gil + "/devices/SHA256:x", e.all, nil, 404, "no such user"},
		{"no such device", "DELETE", "/api/v1/users/" + ada + "/devices/SHA256:nope", e.all, nil, 404, "no such device"},
		{"not an ID", "GET", "/api/v1/users/nope", e.all, nil, 404, "not a Parley ID"},
		{"unknown route", "GET", "/api/v1/nope", e.all, nil, 404, "no such resource"},
		{"trailing slash", "GET", "/api/v1/users/", e.all, nil, 404, "no such resource"},
		{"outside the API", "GET", "/nope", "", nil, 404, "not found"},
		{"malformed JSON", "POST", "/api/v1/users", e.all, `{"name": "X"`, 400, "malformed JSON"},
		{"not JSON", "POST", "/api/v1/users", e.all, `name=X`, 400, "malformed JSON"},
		{"unknown field", "POST", "/api/v1/users", e.all, `{"name": "X", "role": "owner"}`, 400, `unknown field "role"`},
		{"wrong type", "POST", "/api/v1/users", e.all, `{"name": "X", "tags": "a"}`, 400, `field "tags"`},
		{"an array", "POST", "/api/v1/users", e.all, `[{"name": "X"}]`, 400, "must be a JSON object"},
		{"two objects", "POST", "/api/v1/users", e.all, `{"name": "X"}{"name": "Y"}`, 400, "one JSON object"},
		{"empty body", "POST", "/api/v1/users", e.all, "", 400, "body is empty"},
		{"unknown field in an edit", "PATCH", "/api/v1/users/" + ada, e.all, `{"status": "active"}`, 400, `unknown field "status"`},
		{"unknown query parameter", "GET", "/api/v1/users?tenant=globex", e.all, nil, 400, `unknown query parameter "tenant"`},
		{"query parameter where none go", "GET", "/api/v1/license?tenant=globex", e.all, nil, 400, "takes none"},
		{"invalid e-mail", "POST", "/api/v1/users", e.all, map[string]string{"name": "X", "email": "not-an-address"}, 422, "e-mail"},
		{"another tenant's domain", "POST", "/api/v1/users", e.all, map[string]string{"name": "X", "email": "x@globex.example"}, 422, "domain"},
		{"e-mail taken", "POST", "/api/v1/users", e.all, map[string]string{"name": "X", "email": "ada@acme.example"}, 422, "already in use"},
		{"no name", "POST", "/api/v1/users", e.all, map[string]string{"email": "x@acme.example"}, 422, "name"},
		{"bad status filter", "GET", "/api/v1/users?status=happy", e.all, nil, 422, "status"},
		{"nothing to change", "PATCH", "/api/v1/users/" + ada, e.all, `{}`, 422, "nothing to change"},
		{"delete without the questions", "DELETE", "/api/v1/users/" + ada, e.all, nil, 422, "keep_id=true or keep_id=false"},
		{"delete with one question", "DELETE", "/api/v1/users/" + ada + "?keep_id=true", e.all, nil, 422, "keep_app"},
		{"delete with a bad answer", "DELETE", "/api/v1/users/" + ada + "?keep_id=maybe&keep_app=true", e.all, nil, 422, "use true or false"},
		{"bad since", "GET", "/api/v1/audit?since=yesterday", e.all, nil, 422, "YYYY-MM-DD"},
		{"bad limit", "GET", "/api/v1/audit?limit=0", e.all, nil, 422, "limit"},
		{"revoke a revoked user", "POST", "/api/v1/users/" + cy + "/revoke", e.all, nil, 409, "was revoked"},
		{"delete a revoked user", "DELETE", "/api/v1/users/" + cy + "?keep_id=true&keep_app=true", e.all, nil, 409, "was revoked"},
		{"code for a revoked user", "POST", "/api/v1/users/" + cy + "/activation-code", e.all, nil, 409, "revoked"},
		{"missing scope for groups", "GET", "/api/v1/groups", e.readOnly, nil, 403, "permission denied"},
		{"missing scope for stats", "GET", "/api/v1/stats", e.readOnly, nil, 403, "permission denied"},
		{"other tenant's group", "GET", "/api/v1/groups/" + e.globexGroup, e.all, nil, 404, "no such managed group"},
		{"other tenant's group by name", "GET", "/api/v1/groups/Globex%20Ops", e.all, nil, 404, "no such managed group"},
		{"other tenant's group, rename", "PATCH", "/api/v1/groups/" + e.globexGroup, e.all, map[string]string{"name": "x"}, 404, "no such managed group"},
		{"other tenant's group, delete", "DELETE", "/api/v1/groups/" + e.globexGroup, e.all, nil, 404, "no such managed group"},
		{"other tenant's group, members", "POST", "/api/v1/groups/" + e.globexGroup + "/members", e.all, map[string][]string{"members": {ada}}, 404, "no such managed group"},
		{"other tenant's user as a member", "POST", "/api/v1/groups/Acme%20Ops/members", e.all, map[string][]string{"members": {gil}}, 422, "not a user of this tenant"},
		{"a member that is not an ID", "POST", "/api/v1/groups/Acme%20Ops/members", e.all, map[string][]string{"members": {"bob"}}, 422, "not a Parley ID"},
		{"no members", "POST", "/api/v1/groups/Acme%20Ops/members", e.all, `{"members": []}`, 422, "give the members"},
		{"removing a non-member", "DELETE", "/api/v1/groups/Acme%20Ops/members", e.all, map[string][]string{"members": {ada}}, 422, "not a member"},
		{"group without a name", "POST", "/api/v1/groups", e.all, `{}`, 422, "name"},
		{"group name taken", "POST", "/api/v1/groups", e.all, map[string]string{"name": "ACME OPS"}, 409, "already has a group"},
		{"rename to nothing", "PATCH", "/api/v1/groups/Acme%20Ops", e.all, `{}`, 422, "nothing to change"},
		{"bad days", "GET", "/api/v1/stats?days=0", e.all, nil, 422, "days"},
		{"wrong method on a group", "PUT", "/api/v1/groups/Acme%20Ops", e.all, `{}`, 405, "use DELETE, GET, HEAD, PATCH"},
		{"wrong method", "PUT", "/api/v1/users", e.all, `{}`, 405, "use GET, HEAD, POST"},
		{"wrong method on a user", "POST", "/api/v1/users/" + ada, e.all, `{}`, 405, "method POST not allowed"},
		{"wrong method on the license", "DELETE", "/api/v1/license", e.all, nil, 405, "not allowed"},
		{"body too large", "POST", "/api/v1/users", e.all, big, 413, "larger than 1 MiB"},
		{"body too large, chunked", "POST", "/api/v1/users", e.all, io.MultiReader(strings.NewReader(big)), 413, "larger than 1 MiB"},
	}
	before := e.auditCount(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := e.do(t, tt.method, tt.path, tt.key, tt.body)
			if r.code != tt.want {
				t.Fatalf("%s %s = %d %s, want %d", tt.method, tt.path, r.code, r.body, tt.want)
			}
			if got := r.header.Get("Content-Type"); got != "application/json" {
				t.Errorf("Content-Type = %q, want application/json", got)
			}
			var body map[string]string
			r.decode(t, &body)
			if len(body) != 1 || !strings.Contains(body["error"], tt.message) {
				t.Errorf("body = %s, want only an error saying %q", r.body, tt.message)
			}
			switch tt.want {
			case 401:
				if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
					t.Errorf("WWW-Authenticate = %q, want Bearer", r.header.Get("WWW-Authenticate"))
				}
			case 405:
				if r.header.Get("Allow") == "" {
					t.Errorf("405 without Allow")
				}
			}
		})
	}
	if got := e.auditCount(t); got != before {
		t.Errorf("refused requests wrote %d audit entries", got-before)
	}
	// Another tenant's user reads exactly like one that does not exist.
	other := e.do(t, "GET", "/api/v1/users/"+gil, e.all, nil)
	none := e.do(t, "GET", "/api/v1/users/"+nobody, e.all, nil)
	if strings.ReplaceAll(string(other.body), gil, nobody) != string(none.body) {
		t.Errorf("another tenant's user (%s) reads differently from no user (%s)", other.body, none.body)
	}
	// The other tenant's key sees its own user, untouched.
	var g user
	r := e.do(t, "GET", "/api/v1/users/"+gil, e.globex, nil)
	r.decode(t, &g)
	if r.code != 200 || g.Status != "pending" || g.Tenant != "globex" {
		t.Errorf("globex's user: %d %+v", r.code, g)
	}
	if strings.Contains(e.logs.String(), strings.TrimPrefix(e.all, "parley_")[10:]) {
		t.Errorf("the log holds an API key's secret")
	}
}

// TestSuspendedTenant: a suspended tenant's keys stop working, and work
// again when it is resumed.
func TestSuspendedTenant(t *testing.T) {
	e := newEnv(t)
	if _, err := e.svc.SuspendTenant(e.root, "globex", true); err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "GET", "/api/v1/users", e.globex, nil); r.code != 401 || !strings.Contains(string(r.body), "suspended") {
		t.Errorf("suspended tenant's key: %d %s, want 401 saying suspended", r.code, r.body)
	}
	if _, err := e.svc.SuspendTenant(e.root, "globex", false); err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "GET", "/api/v1/users", e.globex, nil); r.code != 200 {
		t.Errorf("resumed tenant's key: %d %s", r.code, r.body)
	}
}

// TestFailedAuthenticationLimit: an address that presents too many bad
// keys waits, whatever key it sends next; other addresses do not.
func TestFailedAuthenticationLimit(t *testing.T) {
	e := newEnv(t)
	send := func(addr, key string) *httptest.ResponseRecorder {
		req := httptest.NewRequestWithContext(t.Context(), "GET", "/api/v1/users", nil)
		req.RemoteAddr = addr + ":40000"
		req.Header.Set("Authorization", "Bearer "+key)
		w := httptest.NewRecorder()
		e.handler.ServeHTTP(w, req)
		return w
	}
	for i := range 20 {
		if w := send("192.0.2.1", "bad"); w.Code != 401 {
			t.Fatalf("bad key %d: %d, want 401", i, w.Code)
		}
	}
	w := send("192.0.2.1", e.all)
	if w.Code != 429 || w.Header().Get("Retry-After") == "" {
		t.Fatalf("after 20 bad keys: %d (Retry-After %q), want 429 with Retry-After", w.Code, w.Header().Get("Retry-After"))
	}
	if w := send("192.0.2.2", e.all); w.Code != 200 {
		t.Errorf("another address: %d, want 200", w.Code)
	}
	e.clock.Advance(2 * time.Second)
	if w := send("192.0.2.1", e.all); w.Code != 200 {
		t.Errorf("after waiting: %d %s, want 200", w.Code, w.Body)
	}
}

// TestServerFaults: a failing store is answered without internals.
func TestServerFaults(t *testing.T) {
	e := newEnv(t)
	if err := e.db.Close(); err != nil {
		t.Fatal(err)
	}
	r := e.do(t, "GET", "/api/v1/users", e.all, nil)
	if r.code < 500 || strings.Contains(string(r.body), "bolt") || strings.Contains(string(r.body), "closed") {
		t.Errorf("with a closed store: %d %s, want a 5xx with a generic message", r.code, r.body)
	}
	if !strings.Contains(e.logs.String(), "admin API request failed") {
		t.Errorf("the fault was not logged:\n%s", e.logs.String())
	}
}
