package admin_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// csvUsers are the tenant's users as stored, for "nothing changed" checks.
func (e *env) csvUsers(t testing.TB, tenant store.Tenant) []store.User {
	t.Helper()
	var out []store.User
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		out, err = tx.UsersOfTenant(tenant.ID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// exportUsers exports acme's users through the four-eyes steps.
func (e *env) exportUsers(t testing.TB) string {
	t.Helper()
	alice := e.admin(t, e.acme, store.RoleOwner, "SHA256:csv-alice")
	bob := e.admin(t, e.acme, store.RoleAuditor, "SHA256:csv-bob")
	x := e.approvedExport(t, alice, bob, admin.ExportKindUsers)
	var out bytes.Buffer
	if err := e.svc.ExportUsersCSV(alice, "acme", x.ID, &out); err != nil {
		t.Fatalf("ExportUsersCSV: %v", err)
	}
	return out.String()
}

// importCases are the table of TestImportUsersCSV and the fuzzer's seeds.
// In each, acme (acme.example) has the user Ada (ada@acme.example, ID
// {ada}), globex (globex.example) the user Gil (ID {gil}).
var importCases = []struct { //nolint:gochecknoglobals // shared by a test and a fuzzer
	name    string
	csv     string
	created int
	updated int
	errs    []string // each must be in the error; none: success
}{
	{name: "create", created: 2, csv: "name,email,tags\nGrace Hopper,grace@acme.example,navy;cobol\nCarl Cook,,\n"},
	{name: "columns in any order, spaces and case in the header", created: 1,
		csv: " Tags ,LAST_NAME,first_name\nsales,Hopper,Grace\n"},
	{name: "spreadsheet BOM and CRLF", created: 1, csv: "\uFEFFname\r\nGrace\r\n"},
	{name: "update by id", updated: 1, csv: "id,nickname,category\n{ada},countess,Maths\n"},
	{name: "unchanged row", csv: "id,name,email,status\n{ada},Ada Acme,ada@acme.example,pending\n"},
	{name: "header only", csv: "id,name\n"},
	{name: "quoted cells", created: 1, csv: "name,category\n\"Hopper, Grace\",\"R&D \"\"Navy\"\"\"\n"},
	{name: "a newline in a quoted cell", csv: "name,category\n\"Hopper, Grace\",\"R&D\nNavy\"\n",
		errs: []string{"line 2: category: name contains control characters"}},
	{name: "formula guard removed", created: 1, csv: "name,nickname\nGrace,'=cmd\n"},
	{name: "empty file", errs: []string{"the file is empty"}},
	{name: "unknown column", csv: "name,password\nx,y\n", errs: []string{`line 1: unknown column "password"`}},
	{name: "column twice", csv: "name,Name\nx,y\n", errs: []string{"line 1: column name appears twice"}},
	{name: "broken quotes", csv: "name\n\"Grace\n", errs: []string{"line 2:", "extraneous or missing"}},
	{name: "bare quote", csv: "name\nGr\"ace\n", errs: []string{"line 2:", `bare "`}},
	{name: "several problems at once",
		csv: "id,name,email,tags,status\n" +
			",Good Person,good@acme.example,,\n" + // line 2: fine
			",Spy,spy@globex.example,,\n" + // line 3
			"NOT-AN-ID,x,,,\n" + // line 4
			"{gil},Gil,,,\n" + // line 5: globex's user
			",Twin,good@acme.example,,\n" + // line 6
			",Tagged,,bad tag,\n" + // line 7
			"{ada},Ada,,,active\n" + // line 8
			",,,,\n" + // line 9
			",Short\n", // line 10
		errs: []string{
			"line 3: e-mail spy@globex.example: that e-mail domain belongs to another tenant",
			`line 4: id "NOT-AN-ID" is not a Parley ID`,
			"line 5: {gil}: no such user",
			"line 6: e-mail good@acme.example is also on line 2",
			`line 7: tag "bad tag"`,
			"line 8: an import changes no status",
			"line 9: no name",
			"line 10: 2 cells, but the first line names 5 columns",
		}},
	{name: "address of a user outside the file", csv: "name,email\nCopy,ADA@acme.example\n",
		errs: []string{"line 2: e-mail ADA@acme.example: that e-mail address is already in use"}},
	{name: "same user twice", csv: "id,nickname\n{ada},a\n{ada},b\n", errs: []string{"line 3: user {ada} is also on line 2"}},
	{name: "a control character", csv: "name\n\"Eve\x1b[31m\"\n", errs: []string{"line 2: name: name contains control characters"}},
}

// importEnv is a fresh environment for one import case, and what fills
// in the IDs of the case's users.
func importEnv(t testing.TB) (*env, *strings.Replacer) {
	t.Helper()
	e := newEnv(t)
	ada, err := e.svc.CreateUser(e.root, "acme", directory.UserSpec{Name: "Ada Acme", Email: "ada@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	gil := e.user(t, e.globex, "Gil Globex")
	return e, strings.NewReplacer("{ada}", ada.User.ID.String(), "{gil}", gil.User.ID.String())
}

func TestImportUsersCSV(t *testing.T) {
	for _, c := range importCases {
		t.Run(c.name, func(t *testing.T) {
			e, ids := importEnv(t)
			file := ids.Replace(c.csv)
			before, audit := e.csvUsers(t, e.acme), e.auditCount(t)
			check, checkErr := e.svc.CheckUsersCSV(e.root, "acme", strings.NewReader(file))
			if diff := cmp.Diff(before, e.csvUsers(t, e.acme)); diff != "" || e.auditCount(t) != audit {
				t.Fatalf("a dry run changed something:\n%s", diff)
			}
			res, err := e.svc.ImportUsersCSV(e.root, "acme", strings.NewReader(file))
			if (err == nil) != (checkErr == nil) {
				t.Fatalf("CheckUsersCSV: %v, but ImportUsersCSV: %v", checkErr, err)
			}
			if len(c.errs) > 0 {
				if !errors.Is(err, admin.ErrInvalid) {
					t.Fatalf("err = %v, want ErrInvalid", err)
				}
				for _, want := range c.errs {
					want = ids.Replace(want)
					if !strings.Contains(err.Error(), want) {
						t.Errorf("error %q\nlacks %q", err, want)
					}
				}
				if diff := cmp.Diff(before, e.csvUsers(t, e.acme)); diff != "" {
					t.Errorf("a refused import changed users:\n%s", diff)
				}
				e.unchanged(t, audit)
				return
			}
			if err != nil {
				t.Fatalf("ImportUsersCSV: %v", err)
			}
			if len(res.Created) != c.created || len(res.Updated) != c.updated || len(check.Created) != c.created || len(check.Updated) != c.updated {
				t.Errorf("created %d, updated %d (checked: %d, %d); want %d, %d", len(res.Created), len(res.Updated),
					len(check.Created), len(check.Updated), c.created, c.updated)
			}
			for _, u := range res.Created {
				if u.Code.Code == "" || u.User.Status != store.UserPending || u.Line < 2 {
					t.Errorf("created %+v: want a pending user with a code and its line", u)
				}
			}
			if got, want := e.auditCount(t)-audit, uint64(c.created+c.updated); got != want {
				t.Errorf("%d audit entries, want %d (one per created or changed user)", got, want)
			}
		})
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	e := newEnv(t)
	specs := []directory.UserSpec{
		{FirstName: "Ada", LastName: "Lovelace", Email: "ada@acme.example", Tags: []string{"maths", "r-and-d"}, Category: "R&D"},
		{Name: "=SUM(A1:A2)", Nickname: "-minus", Category: "Spreadsheet, \"quoted\""},
		{Name: "Zoë Ümlaut", Nickname: "zo", Tags: []string{"ü"}},
		{Name: "Plain"},
	}
	var ids []crypto.ID
	for _, s := range specs {
		nu, err := e.svc.CreateUser(e.root, "acme", s)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, nu.User.ID)
	}
	if _, err := e.svc.RevokeUser(e.root, "acme", ids[3]); err != nil {
		t.Fatal(err)
	}
	file := e.exportUsers(t)
	if !strings.Contains(file, "'=SUM(A1:A2)") || !strings.Contains(file, "'-minus") || !strings.Contains(file, "maths;r-and-d") {
		t.Errorf("export:\n%s", file)
	}
	before, audit := e.csvUsers(t, e.acme), e.auditCount(t)
	res, err := e.svc.ImportUsersCSV(e.root, "acme", strings.NewReader(file))
	if err != nil {
		t.Fatalf("import of the export: %v\n%s", err, file)
	}
	if len(res.Created)+len(res.Updated) != 0 || res.Unchanged != len(specs) {
		t.Errorf("import of the export: %+v, want %d unchanged rows", res, len(specs))
	}
	if diff := cmp.Diff(before, e.csvUsers(t, e.acme)); diff != "" {
		t.Errorf("the round trip changed users:\n%s", diff)
	}
	e.unchanged(t, audit)

	// An edited export updates exactly the edited row.
	edited := strings.Replace(file, ",zo,", ",zoe,", 1)
	res, err = e.svc.ImportUsersCSV(e.root, "acme", strings.NewReader(edited))
	if err != nil || len(res.Updated) != 1 || res.Updated[0].User.Nickname != "zoe" || res.Unchanged != len(specs)-1 {
		t.Errorf("import of an edited export: %+v, %v", res, err)
	}
}

func TestImportUsersCSVLimits(t *testing.T) {
	e := newEnv(t)
	var b strings.Builder
	b.WriteString("name\n")
	for i := range admin.MaxImportRows + 1 {
		fmt.Fprintf(&b, "User %d\n", i)
	}
	if _, err := e.svc.ImportUsersCSV(e.root, "acme", strings.NewReader(b.String())); !errors.Is(err, admin.ErrInvalid) ||
		!strings.Contains(err.Error(), "more than 10000 rows") {
		t.Errorf("too many rows: err = %v", err)
	}
	big := "name\n" + strings.Repeat("x", admin.MaxImportBytes)
	if _, err := e.svc.ImportUsersCSV(e.root, "acme", strings.NewReader(big)); !errors.Is(err, admin.ErrInvalid) ||
		!strings.Contains(err.Error(), "larger than 4 MiB") {
		t.Errorf("too large: err = %v", err)
	}
	if n := len(e.csvUsers(t, e.acme)); n != 0 {
		t.Errorf("%d users after refused imports", n)
	}
}

func TestImportUsersCSVPermissions(t *testing.T) {
	e := newEnv(t)
	file := "name\nNew Person\n"
	for name, c := range map[string]struct {
		ctx context.Context
		ok  bool
	}{
		"owner":       {e.admin(t, e.acme, store.RoleOwner, "SHA256:owner"), true},
		"key-users-w": {e.apiKey(t, e.acme, admin.PermUsersWrite), true},
		"auditor":     {e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor"), false},
		"group-admin": {e.admin(t, e.acme, store.RoleGroupAdmin, "SHA256:ga"), false},
		"other-owner": {e.admin(t, e.globex, store.RoleOwner, "SHA256:globex"), false},
		"key-other":   {e.apiKey(t, e.globex, admin.PermUsersWrite), false},
	} {
		before := e.auditCount(t)
		for _, call := range []func(context.Context, string, io.Reader) (admin.ImportResult, error){e.svc.CheckUsersCSV, e.svc.ImportUsersCSV} {
			_, err := call(c.ctx, "acme", strings.NewReader(file))
			if c.ok != (err == nil) || (err != nil && !errors.Is(err, admin.ErrForbidden)) {
				t.Errorf("%s: err = %v, want allowed %t", name, err, c.ok)
			}
		}
		if !c.ok {
			e.unchanged(t, before)
		}
	}
}

// FuzzImportUsersCSV: whatever the file, an import never panics, and
// either succeeds or changes nothing at all; what it imported exports and
// imports again without a change.
func FuzzImportUsersCSV(f *testing.F) {
	for _, c := range importCases {
		f.Add(c.csv)
	}
	f.Fuzz(func(t *testing.T, csv string) {
		e, ids := importEnv(t)
		file := ids.Replace(csv)
		before, audit := e.csvUsers(t, e.acme), e.auditCount(t)
		_, err := e.svc.ImportUsersCSV(e.root, "acme", strings.NewReader(file))
		if err != nil {
			if diff := cmp.Diff(before, e.csvUsers(t, e.acme)); diff != "" {
				t.Fatalf("a refused import (%v) changed users:\n%s", err, diff)
			}
			e.unchanged(t, audit)
			return
		}
		exported := e.exportUsers(t)
		before, audit = e.csvUsers(t, e.acme), e.auditCount(t)
		res, err := e.svc.ImportUsersCSV(e.root, "acme", strings.NewReader(exported))
		if err != nil || len(res.Created)+len(res.Updated) != 0 {
			t.Fatalf("re-import of the export: %+v, %v\n%s", res, err, exported)
		}
		if diff := cmp.Diff(before, e.csvUsers(t, e.acme)); diff != "" {
			t.Fatalf("the round trip changed users:\n%s", diff)
		}
		e.unchanged(t, audit)
	})
}
