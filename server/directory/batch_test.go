package directory_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

func ptr[T any](v T) *T { return &v }

// snapshot is every user of a tenant as stored, for "nothing changed" checks.
func (e *env) snapshot(t testing.TB, tenantID string) []store.User {
	t.Helper()
	var out []store.User
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		out, err = tx.UsersOfTenant(tenantID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// hookLog records what ApplyBatch hands to its InTx hook.
type hookLog struct{ creates, edits int }

func (h *hookLog) hook(_ store.Tx, before, after any) error {
	if _, ok := after.(store.User); !ok {
		return fmt.Errorf("after is %T", after)
	}
	if before == nil {
		h.creates++
	} else {
		h.edits++
	}
	return nil
}

func TestApplyBatch(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	ada, _ := e.user(t, acme.ID, "Ada Lovelace", "ada@acme.example")
	bob, _ := e.user(t, acme.ID, "Bob Builder", "")
	var h hookLog
	res, err := e.dir.ApplyBatch(t.Context(), acme.ID, []directory.BatchUser{
		{Line: 2, Spec: directory.UserSpec{FirstName: "Grace", LastName: "Hopper", Email: "grace@ACME.example", Tags: []string{"Navy", "#cobol"}}},
		{Line: 3, ID: ada.ID, Change: directory.ProfileChange{Nickname: ptr("ada"), Category: ptr("Maths")}, Status: store.UserPending},
		{Line: 4, ID: bob.ID, Change: directory.ProfileChange{Name: ptr("Bob Builder")}},
		{Line: 5, Spec: directory.UserSpec{Name: "Carl Cook"}, Status: store.UserPending},
	}, false, h.hook)
	if err != nil {
		t.Fatalf("ApplyBatch: %v", err)
	}
	if got, want := []int{len(res.Created), len(res.Updated), len(res.Unchanged)}, []int{2, 1, 1}; !cmp.Equal(got, want) {
		t.Fatalf("created, updated, unchanged = %v, want %v", got, want)
	}
	if h.creates != 2 || h.edits != 1 {
		t.Errorf("hook saw %d creates and %d edits, want 2 and 1", h.creates, h.edits)
	}
	grace := res.Created[0]
	if grace.Line != 2 || grace.User.Name != "Grace Hopper" || grace.User.Email != "grace@acme.example" ||
		!cmp.Equal(grace.User.Tags, []string{"cobol", "navy"}) || grace.User.Status != store.UserPending {
		t.Errorf("created %+v", grace)
	}
	if !codeRE.MatchString(grace.Code.Code) || grace.Code.Code == res.Created[1].Code.Code || grace.User.ID == res.Created[1].User.ID {
		t.Errorf("codes %q, %q and IDs %s, %s: want two distinct codes and IDs", grace.Code.Code, res.Created[1].Code.Code,
			grace.User.ID, res.Created[1].User.ID)
	}
	if s := e.stored(t, grace.User.ID); s.ActivationHash == nil || s.TenantID != acme.ID {
		t.Errorf("stored %+v: want an outstanding code in acme", s)
	}
	// The new user activates with its code.
	e.activate(t, grace.Code.Code, "SHA256:grace")
	if got := e.stored(t, ada.ID); got.Nickname != "ada" || got.Category != "Maths" || got.Email != "ada@acme.example" {
		t.Errorf("ada after the batch: %+v", got)
	}
	if len(e.users(t, acme.ID)) != 4 {
		t.Errorf("want 4 users")
	}
}

func TestApplyBatchRefusesAllOrNothing(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	globex := e.tenant(t, "globex", "globex.example")
	ada, _ := e.user(t, acme.ID, "Ada Lovelace", "ada@acme.example")
	bob, _ := e.user(t, acme.ID, "Bob Builder", "bob@acme.example")
	gil, _ := e.user(t, globex.ID, "Gil Globex", "")
	before := e.snapshot(t, acme.ID)
	unknown := crypto.ID{'Z', 'Z', 'Z', 'Z', '9', '9', '9', '9'}
	rows := []directory.BatchUser{
		{Line: 2, Spec: directory.UserSpec{Name: "Fine Person"}}, // valid on its own
		{Line: 3, Spec: directory.UserSpec{Name: "Spy", Email: "spy@globex.example"}},
		{Line: 4, ID: gil.ID, Change: directory.ProfileChange{Nickname: ptr("g")}},
		{Line: 5, ID: unknown, Change: directory.ProfileChange{Nickname: ptr("z")}},
		{Line: 6, Spec: directory.UserSpec{Name: "Twin One", Email: "twin@acme.example"}},
		{Line: 7, Spec: directory.UserSpec{Name: "Twin Two", Email: "TWIN@acme.example"}},
		{Line: 8, Spec: directory.UserSpec{Name: "Copycat", Email: "ada@acme.example"}},
		{Line: 9, ID: bob.ID, Change: directory.ProfileChange{Tags: &[]string{"no spaces allowed"}}},
		{Line: 10, ID: ada.ID, Status: store.UserActive},
		{Line: 11, ID: ada.ID, Change: directory.ProfileChange{Nickname: ptr("again")}},
		{Line: 12, Spec: directory.UserSpec{Nickname: "nameless"}},
		{Line: 13, Spec: directory.UserSpec{Name: "Out", Email: "out@elsewhere.example"}},
		{Line: 14, Spec: directory.UserSpec{Name: "Bad\x1b[31m"}},
		{Line: 15, Spec: directory.UserSpec{Name: "Ok", Nickname: "\u202enick"}},
		{Line: 16, Spec: directory.UserSpec{Name: "Active Already"}, Status: store.UserActive},
		{Line: 17, Spec: directory.UserSpec{Name: "Bad Mail", Email: "not an address"}},
	}
	var h hookLog
	_, err := e.dir.ApplyBatch(t.Context(), acme.ID, rows, false, h.hook)
	var be *directory.BatchError
	if !errors.As(err, &be) || !errors.Is(err, directory.ErrInvalid) {
		t.Fatalf("err = %v, want a *BatchError that is ErrInvalid", err)
	}
	want := map[int]string{
		3:  "e-mail spy@globex.example: that e-mail domain belongs to another tenant",
		4:  gil.ID.String() + ": no such user",
		5:  "ZZZZ9999: no such user",
		7:  "e-mail TWIN@acme.example is also on line 6",
		8:  "e-mail ada@acme.example: that e-mail address is already in use",
		9:  `tag "no spaces allowed"`,
		10: "an import changes no status",
		11: "user " + ada.ID.String() + " is also on line 10",
		12: "no name",
		13: "not one of the tenant's domains",
		14: "name: name contains control characters",
		15: "nickname: name contains control characters",
		16: "a new user's status is pending",
		17: "is not a valid address",
	}
	got := map[int]string{}
	for _, p := range be.Problems {
		got[p.Line] = p.Error()
	}
	for line, text := range want {
		if !strings.Contains(got[line], text) || !strings.HasPrefix(got[line], fmt.Sprintf("line %d: ", line)) {
			t.Errorf("line %d: got %q, want it to contain %q", line, got[line], text)
		}
	}
	if len(got) != len(want) {
		t.Errorf("problems on lines %v, want %d of them", cmp.Diff(want, got), len(want))
	}
	if h.creates+h.edits != 0 {
		t.Errorf("a refused batch ran the hook %d times", h.creates+h.edits)
	}
	if diff := cmp.Diff(before, e.snapshot(t, acme.ID)); diff != "" {
		t.Errorf("a refused batch changed users (-before +after):\n%s", diff)
	}
	if !strings.HasPrefix(err.Error(), "nothing was changed: 14 problems; line 3: ") {
		t.Errorf("message %q", err)
	}
}

func TestApplyBatchProblemLimit(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	var rows []directory.BatchUser
	for i := range 50 {
		rows = append(rows, directory.BatchUser{Line: i + 2, Spec: directory.UserSpec{Nickname: "x"}})
	}
	_, err := e.dir.ApplyBatch(t.Context(), acme.ID, rows, false, nil)
	var be *directory.BatchError
	if !errors.As(err, &be) || len(be.Problems) != directory.MaxBatchProblems || !be.More {
		t.Fatalf("err = %v, want %d problems and more", err, directory.MaxBatchProblems)
	}
	if !strings.HasPrefix(err.Error(), "nothing was changed: more than 20 problems; line 2: no name") {
		t.Errorf("message %q", err)
	}
}

func TestApplyBatchSwapsEmails(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	ada, _ := e.user(t, acme.ID, "Ada", "ada@acme.example")
	bob, _ := e.user(t, acme.ID, "Bob", "bob@acme.example")
	res, err := e.dir.ApplyBatch(t.Context(), acme.ID, []directory.BatchUser{
		{Line: 2, ID: ada.ID, Change: directory.ProfileChange{Email: ptr("bob@acme.example")}},
		{Line: 3, ID: bob.ID, Change: directory.ProfileChange{Email: ptr("ada@acme.example")}},
		{Line: 4, Spec: directory.UserSpec{Name: "Cleo"}},
	}, false, nil)
	if err != nil || len(res.Updated) != 2 {
		t.Fatalf("ApplyBatch = %+v, %v; want two updates", res, err)
	}
	for addr, id := range map[string]crypto.ID{"bob@acme.example": ada.ID, "ada@acme.example": bob.ID} {
		var u store.User
		err := e.db.View(t.Context(), func(tx store.Tx) error {
			var err error
			u, err = tx.UserByEmail(addr)
			return err
		})
		if err != nil || u.ID != id {
			t.Errorf("UserByEmail(%s) = %s, %v; want %s", addr, u.ID, err, id)
		}
	}
}

func TestApplyBatchUnchangedAndDryRun(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	ada, _ := e.user(t, acme.ID, "Ada Lovelace", "ada@acme.example")
	before := e.snapshot(t, acme.ID)
	var h hookLog
	res, err := e.dir.ApplyBatch(t.Context(), acme.ID, []directory.BatchUser{
		{Line: 2, ID: ada.ID, Change: directory.ProfileChange{Name: ptr(" Ada Lovelace "), Email: ptr("ada@ACME.example"),
			Tags: &[]string{}, Nickname: ptr("")}},
	}, false, h.hook)
	if err != nil || len(res.Unchanged) != 1 || len(res.Updated) != 0 || h.edits != 0 {
		t.Fatalf("ApplyBatch = %+v, %v (hook %+v); want one unchanged row and no hook", res, err, h)
	}
	rows := []directory.BatchUser{
		{Line: 2, ID: ada.ID, Change: directory.ProfileChange{Nickname: ptr("countess")}},
		{Line: 3, Spec: directory.UserSpec{Name: "New One"}},
	}
	res, err = e.dir.ApplyBatch(t.Context(), acme.ID, rows, true, h.hook)
	if err != nil || len(res.Updated) != 1 || len(res.Created) != 1 || res.Created[0].Code.Code != "" {
		t.Fatalf("dry run = %+v, %v; want one update and one creation without a code", res, err)
	}
	if h.creates+h.edits != 0 {
		t.Errorf("a dry run ran the hook")
	}
	if diff := cmp.Diff(before, e.snapshot(t, acme.ID), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("a dry run changed users:\n%s", diff)
	}
}

// TestApplyBatchFailurePartWay: when the work of one row fails after
// others were written, the transaction holds nothing of any of them.
func TestApplyBatchFailurePartWay(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	ada, _ := e.user(t, acme.ID, "Ada", "")
	before := e.snapshot(t, acme.ID)
	calls := 0
	boom := errors.New("boom")
	_, err := e.dir.ApplyBatch(t.Context(), acme.ID, []directory.BatchUser{
		{Line: 2, Spec: directory.UserSpec{Name: "One"}},
		{Line: 3, ID: ada.ID, Change: directory.ProfileChange{Nickname: ptr("a")}},
		{Line: 4, Spec: directory.UserSpec{Name: "Three"}},
	}, false, func(store.Tx, any, any) error {
		if calls++; calls == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v, want boom", err)
	}
	if diff := cmp.Diff(before, e.snapshot(t, acme.ID)); diff != "" {
		t.Errorf("a failed batch changed users:\n%s", diff)
	}
}

func TestApplyBatchSuspendedTenant(t *testing.T) {
	e := newEnv(t)
	acme := e.tenant(t, "acme", "acme.example")
	suspend := true
	if _, err := e.dir.EditTenant(t.Context(), acme.ID, directory.TenantChange{Suspended: &suspend}, nil); err != nil {
		t.Fatal(err)
	}
	_, err := e.dir.ApplyBatch(t.Context(), acme.ID, []directory.BatchUser{{Line: 2, Spec: directory.UserSpec{Name: "X"}}}, false, nil)
	if !errors.Is(err, directory.ErrTenantSuspended) {
		t.Fatalf("err = %v, want ErrTenantSuspended", err)
	}
}
