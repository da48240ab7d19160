package admin

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"

	"github.com/parley-chat/parley/tui/theme"
)

func TestSecondFactorComesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		svc.need2FA = true
		svc.codes = []error{fmt.Errorf("prove: %w", ErrBadCode), errors.New("the store is busy"), nil}
		d := newDriver(t, svc)
		d.wantCalls("SecondFactorRequired")
		d.wantScreen("Two-factor authentication", "Code:")

		d.enter("123456")
		d.wantCalls("ProveSecondFactor 123456")
		d.wantScreen("Wrong or expired code. 2 tries left.")
		if strings.Contains(d.plain(), "123456") {
			t.Fatalf("the code was shown:\n%s", d.plain())
		}
		// A failure that is not a wrong code uses no try.
		d.enter("234567")
		d.wantCalls("ProveSecondFactor 234567")
		d.wantScreen("The store is busy.")
		// Keys that mean something elsewhere are typed into the code.
		d.enter("q1")
		d.wantCalls("ProveSecondFactor q1", "Tenants")
		if d.quit || d.m.phase != phasePicker {
			t.Fatalf("after the right code: quit %t, phase %d, want the tenant picker", d.quit, d.m.phase)
		}
	})
}

func TestThreeWrongCodesEndTheSession(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		svc.need2FA = true
		svc.codes = []error{ErrBadCode, ErrBadCode, ErrBadCode}
		d := newDriver(t, svc)
		d.enter("111111")
		d.enter("222222")
		d.wantScreen("1 try left")
		d.enter("333333")
		d.wantScreen("Too many attempts: closing the session.")
		d.enter("444444") // ignored while closing
		d.wantCalls("SecondFactorRequired", "ProveSecondFactor 111111", "ProveSecondFactor 222222", "ProveSecondFactor 333333")
		if d.quit {
			t.Fatal("quit before the message could be read")
		}
		d.fire()
		if !d.quit {
			t.Fatal("the session did not end after three wrong codes")
		}
	})
}

func TestOneTenantSkipsThePickerAndBrands(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		svc.tenants = svc.tenants[:1]
		d := newDriver(t, svc)
		if d.m.phase != phaseConsole || d.m.tab != tabDashboard {
			t.Fatalf("phase %d tab %d, want the dashboard", d.m.phase, d.m.tab)
		}
		if got, want := d.m.th.Tokens.Accent, lipgloss.Color("#D75F87"); got != want {
			t.Errorf("accent = %v, want the tenant's %v", got, want)
		}
		d.wantCalls("SecondFactorRequired", "Tenants", "Permissions acme", "License acme", "Stats acme 14")
		d.wantScreen("Parley admin · Acme Climbing", "too many devices", "licenses missing for active users", "26 days left")
		d.press('t') // one tenant: nothing to switch to
		if d.m.phase != phaseConsole {
			t.Fatal("t opened the picker with one tenant")
		}
	})
}

func TestSwitchingTenantsDropsStaleResults(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		d.press('2')
		// A late answer for acme must not land in globex's screens.
		late := d.m.loadUsers()
		d.press('t')
		d.press(tea.KeyDown)
		d.press(tea.KeyEnter)
		if d.m.tenant.Name != "globex" || d.m.tab != tabDashboard {
			t.Fatalf("tenant %q tab %d, want globex's dashboard", d.m.tenant.Name, d.m.tab)
		}
		d.settle(late)
		if d.m.users.load.loaded {
			t.Fatal("acme's users were taken in as globex's")
		}
		d.svc.takeCalls()
		// Esc in the picker goes back to the tenant open.
		d.press('t')
		d.press(tea.KeyEscape)
		if d.m.phase != phaseConsole || d.m.tenant.Name != "globex" {
			t.Fatalf("esc in the picker: phase %d tenant %q", d.m.phase, d.m.tenant.Name)
		}
	})
}

func TestScreensSwitchByNumberAndTab(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := acmeDriver(t, newFake())
		for _, c := range []struct {
			key  rune
			tab  tab
			call string
		}{{'3', tabAdmins, "Admins acme"}, {'4', tabGroups, "Groups acme"}, {'5', tabAudit, `Audit acme action="" actor="" target=""`},
			{'6', tabAPIKeys, "APIKeys acme"}, {'7', tabPolicies, "Policies acme"}, {'8', tabQuiet, "QuietHours acme"},
			{tea.KeyTab, tabDashboard, "License acme"}, {'2', tabUsers, `Users acme name="" tag=""`}} {
			d.press(c.key)
			if d.m.tab != c.tab {
				t.Fatalf("after %q: tab %d, want %d", c.key, d.m.tab, c.tab)
			}
			if calls := d.svc.takeCalls(); len(calls) == 0 || calls[0] != c.call {
				t.Errorf("after %q: calls %q, want %q first", c.key, calls, c.call)
			}
		}
		d.press(tea.KeyTab, tea.ModShift)
		if d.m.tab != tabDashboard {
			t.Fatalf("shift+tab: tab %d, want the dashboard", d.m.tab)
		}
		d.press('?')
		d.wantScreen("Keys · Dashboard", "switch tenant")
		d.press(tea.KeyEscape)
		if d.m.showHelp {
			t.Fatal("esc did not close the help")
		}
	})
}

func TestUserFilter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := acmeDriver(t, newFake())
		d.press('2')
		d.svc.takeCalls()
		d.press('/')
		d.typeText("q3 #sales") // q and digits are text here, not keys
		if d.quit || d.m.tab != tabUsers {
			t.Fatalf("typing in the filter quit or switched screens")
		}
		d.press(tea.KeyEnter)
		d.wantCalls(`Users acme name="q3" tag="sales"`)
		d.press('/')
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		d.enter("#sales")
		d.wantCalls(`Users acme name="" tag="sales"`)
		d.wantScreen("filter: #sales", "Alice Example", "Erin Müller")
		if strings.Contains(d.plain(), "Bob Builder") {
			t.Fatal("the filter did not apply")
		}
		// Esc while typing keeps the filter; esc in the list clears it.
		d.press('/')
		d.typeText("zzz")
		d.press(tea.KeyEscape)
		d.wantCalls()
		d.press(tea.KeyEscape)
		d.wantCalls(`Users acme name="" tag=""`)
		d.wantScreen("Bob Builder")
	})
}

func TestStaleFilterResultIsDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := acmeDriver(t, newFake())
		d.press('2')
		d.send(usersMsg{tenant: "acme", filter: UserFilter{Tag: "old"}, list: []User{{Name: "Stale"}}})
		if strings.Contains(d.plain(), "Stale") {
			t.Fatal("a result for another filter was shown")
		}
	})
}

func TestDeleteUserAsksBothQuestions(t *testing.T) {
	for _, c := range []struct {
		keys []rune
		want []string
	}{
		{[]rune{'d', 'y', 'n', 'y'}, []string{"DeleteUser acme ALICE001 keep-id=true keep-app=false"}},
		{[]rune{'d', 'n', 'y', 'y'}, []string{"DeleteUser acme ALICE001 keep-id=false keep-app=true"}},
		{[]rune{'d', 'x', 'q', 'n', 'n', 'y'}, []string{"DeleteUser acme ALICE001 keep-id=false keep-app=false"}}, // other keys do nothing
		{[]rune{'d', tea.KeyEscape}, nil},
		{[]rune{'d', 'y', tea.KeyEscape}, nil},
		{[]rune{'d', 'y', 'y', 'n'}, nil},
		{[]rune{'d', 'y', 'y', tea.KeyEnter}, nil}, // enter is not yes
	} {
		t.Run(string(c.keys), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := acmeDriver(t, newFake())
				d.press('2')
				d.press(tea.KeyEnter) // open Alice
				d.svc.takeCalls()
				for _, k := range c.keys {
					d.press(k)
				}
				got := d.svc.takeCalls()
				if len(got) > 0 {
					got = got[:1] // the reload that follows is not the point
				}
				if fmt.Sprint(got) != fmt.Sprint(c.want) {
					t.Fatalf("calls %q, want %q", got, c.want)
				}
				if c.want != nil && d.m.users.detail != nil {
					t.Error("still on the deleted user's page")
				}
				if c.want == nil && !strings.Contains(d.status(), "nothing changed") && d.m.dialog == nil {
					t.Errorf("status %q, want a cancellation", d.status())
				}
			})
		})
	}
}

func TestDestructiveActionsWaitForConfirmation(t *testing.T) {
	for _, c := range []struct {
		name string
		keys []any
		call string
	}{
		{"revoke user", []any{'2', tea.KeyDown, 'r'}, "RevokeUser acme BOB00002"},
		{"remove device", []any{'2', tea.KeyEnter, tea.KeyDown, 'x'}, "RemoveDevice acme ALICE001 SHA256:Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe9Dc8Ba7Bb"},
		{"remove admin", []any{'3', tea.KeyDown, 'x'}, "RemoveAdmin acme SHA256:AdminKeyFingerprint0000000000000000000000000"},
		{"delete group", []any{'4', tea.KeyDown, 'd'}, "DeleteGroup acme g05d6e7f8"},
		{"remove member", []any{'4', tea.KeyEnter, tea.KeyDown, 'x'}, "RemoveGroupMembers acme g01a2b3c4 [BOB00002]"},
		{"revoke API key", []any{'6', 'x'}, "RevokeAPIKey acme k1f2e3d4c5b6"},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := acmeDriver(t, newFake())
				play(d, c.keys...)
				d.svc.takeCalls()
				if _, ok := d.m.dialog.(*confirmDialog); !ok {
					t.Fatalf("no confirm dialog:\n%s", d.plain())
				}
				d.wantScreen("Press y to go ahead")
				d.press('n')
				d.wantCalls()
				if d.m.dialog != nil || !strings.Contains(d.status(), "nothing changed") {
					t.Fatalf("n did not cancel: status %q", d.status())
				}
				play(d, c.keys[len(c.keys)-1], 'y')
				if calls := d.svc.takeCalls(); len(calls) == 0 || calls[0] != c.call {
					t.Fatalf("calls %q, want %q first", calls, c.call)
				}
				if !strings.HasPrefix(d.status(), "✓") {
					t.Errorf("status %q, want a confirmation", d.status())
				}
			})
		})
	}
}

func TestTheServiceDecides(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := newDriver(t, svc)
		play(d, tea.KeyDown, tea.KeyEnter, '2') // globex, as an auditor
		if d.m.allowed(PermUsersWrite) {
			t.Fatal("an auditor's user actions are not greyed out")
		}
		svc.takeCalls()
		svc.errs["RevokeUser"] = errDenied
		// Greyed out, the action opens nothing and says why.
		for _, k := range []rune{'r', 'n', 'e', 'd', 'c'} {
			d.press(k)
			if d.m.dialog != nil {
				t.Fatalf("%q opened a dialog the role cannot submit:\n%s", k, d.plain())
			}
			if got, want := d.status(), "✗ Role auditor may not change users (users:write)"; got != want {
				t.Fatalf("%q: status %q, want %q", k, got, want)
			}
		}
		d.wantCalls()
		// What the role may do is the service's answer: where it allowed
		// the action and refuses it after all, its refusal is shown.
		d.m.perms = nil
		play(d, 'r', 'y')
		d.wantCalls("RevokeUser globex ALICE001")
		if got, want := d.status(), "✗ Permission denied"; got != want {
			t.Fatalf("status %q, want %q", got, want)
		}
	})
}

func TestCreateUserFormKeepsInputOnError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		d.press('2')
		svc.errs["CreateUser"] = errors.New(`invalid argument: e-mail domain "elsewhere.example" is not one of the tenant's domains`)
		play(d, 'n', "Gina Green", tea.KeyTab, "gina@elsewhere.example", tea.KeyTab, "sales, night", tea.KeyEnter)
		d.wantCalls(`Users acme name="" tag=""`, `CreateUser acme "Gina Green" "gina@elsewhere.example" [sales night]`)
		f, ok := d.m.dialog.(*formDialog)
		if !ok {
			t.Fatalf("the form closed on an error:\n%s", d.plain())
		}
		d.wantScreen("is not one")
		if f.inputs[0].Value() != "Gina Green" {
			t.Fatalf("the form lost what was typed: %q", f.inputs[0].Value())
		}
		delete(svc.errs, "CreateUser")
		play(d, tea.KeyTab, tea.KeyTab, tea.KeyEnd)
		for range len("elsewhere.example") {
			d.press(tea.KeyBackspace)
		}
		play(d, "acme.example", tea.KeyEnter)
		if calls := svc.takeCalls(); len(calls) == 0 || calls[0] != `CreateUser acme "Gina Green" "gina@acme.example" [sales night]` {
			t.Fatalf("calls %q", calls)
		}
		d.wantScreen("User created", "GINA0007", "ABCD-EFGH-JKLM-NPQR", "activate ABCD-EFGH-JKLM-NPQR", "shown only now")
		d.press(tea.KeyEnter)
		if d.m.dialog != nil {
			t.Fatal("enter did not close the code")
		}
		d.wantScreen("Gina Green")
	})
}

func TestEditSendsOnlyWhatChanged(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '2', tea.KeyDown, 'e', tea.KeyEnter)
		d.wantCalls(`Users acme name="" tag=""`)
		d.wantScreen("Nothing changed.")
		play(d, tea.KeyTab, tea.KeyTab, " night", tea.KeyEnter)
		if calls := svc.takeCalls(); len(calls) == 0 || calls[0] != "EditUser acme BOB00002 tags=ops,night" {
			t.Fatalf("calls %q", calls)
		}
		if d.m.dialog != nil {
			t.Fatal("the form stayed open after saving")
		}
	})
}

func TestReissueCodeShowsTheCode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '2', tea.KeyDown, tea.KeyDown, 'c')
		if calls := svc.takeCalls(); len(calls) < 2 || calls[1] != "ReissueCode acme CAROL003" {
			t.Fatalf("calls %q", calls)
		}
		d.wantScreen("New activation code", "WXYZ-2345-6789-ABC1", "The user enrols their own SSH key")
	})
}

func TestAuditVerifyAndFilter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '5', 'v')
		d.wantCalls(`Audit acme action="" actor="" target=""`, "VerifyAudit acme")
		if got, want := d.status(), "✓ Audit log verified: 8 entries, the hash chain is intact."; got != want {
			t.Fatalf("status %q, want %q", got, want)
		}
		svc.report = AuditReport{Entries: 2, BadSeq: 3, Problem: "entry 3 does not link to the one before"}
		d.press('v')
		d.wantScreen("Broken at entry 3: entry 3 does not link to the one before")
		play(d, '/', "user. target:ALICE actor:olivia", tea.KeyEnter)
		if calls := svc.takeCalls(); len(calls) < 2 || calls[1] != `Audit acme action="user." actor="olivia" target="ALICE"` {
			t.Fatalf("calls %q", calls)
		}
		// Newest first, as the service returns them.
		if got := d.line(5); !strings.Contains(got, "user.code") {
			t.Fatalf("first entry row %q, want the newest matching entry (user.code)", got)
		}
	})
}

func TestAPIKeyCreatedShowsSecretOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '6', 'n', "Payroll", tea.KeyTab)
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "users:read, stats:read", tea.KeyEnter)
		if calls := svc.takeCalls(); len(calls) < 2 || calls[1] != `CreateAPIKey acme "Payroll" [users:read stats:read]` {
			t.Fatalf("calls %q", calls)
		}
		d.wantScreen("parley_k0new000001_s3cr3tS3cr3tS3cr3tS3cr3t", "shown only this once")
		d.press(tea.KeyEscape)
		if strings.Contains(d.plain(), "s3cr3t") {
			t.Fatal("the secret is still on the screen")
		}
	})
}

func TestGroupMembersByID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '4', tea.KeyEnter, 'a', "carol003 NOPE", tea.KeyEnter)
		d.wantCalls("Groups acme")
		d.wantScreen(`"NOPE" is not a Parley ID`)
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "carol003, DAVE0004", tea.KeyEnter)
		if calls := svc.takeCalls(); len(calls) == 0 || calls[0] != "AddGroupMembers acme g01a2b3c4 [CAROL003 DAVE0004]" {
			t.Fatalf("calls %q", calls)
		}
		d.wantScreen("4 members", "CAROL003", "DAVE0004")
		play(d, 'r', tea.KeyEnd, "!", tea.KeyEnter)
		if calls := svc.takeCalls(); len(calls) == 0 || calls[0] != `RenameGroup acme g01a2b3c4 "Climbers!"` {
			t.Fatalf("calls %q", calls)
		}
	})
}

func TestQuitKeys(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := acmeDriver(t, newFake())
		play(d, '2', 'n', "q")
		if d.quit {
			t.Fatal("q in a form quit")
		}
		d.send(tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl})
		if !d.quit {
			t.Fatal("ctrl+c in a form did not quit")
		}
		d = acmeDriver(t, newFake())
		d.press('q')
		if !d.quit {
			t.Fatal("q on the dashboard did not quit")
		}
	})
}

func TestUnavailableScreens(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		svc.errs["Stats"] = ErrNotAvailable
		svc.errs["Groups"] = ErrNotAvailable
		d := acmeDriver(t, svc)
		d.wantScreen("License", "too many devices", "Not available on this server yet.")
		d.press('4')
		d.wantScreen("Not available on this server yet.")
		if d.status() != "" && !strings.HasPrefix(d.status(), "─") {
			t.Errorf("status %q: a screen the server lacks is not an error", d.status())
		}
	})
}

func TestTooSmall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := acmeDriver(t, newFake())
		d.send(tea.WindowSizeMsg{Width: 30, Height: 8})
		d.wantScreen("Window too small")
		d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
		d.wantScreen("License")
	})
}

func TestTenantsFailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		svc.errs["Tenants"] = errors.New("the store is closed")
		d := newDriver(t, svc)
		d.wantScreen("Could not list your tenants: the store is closed", "Press q to quit")
		d.press('q')
		if !d.quit {
			t.Fatal("q did not quit")
		}
	})
}

func TestBrandedTheme(t *testing.T) {
	def := theme.DarkTokens()
	for _, c := range []struct {
		accent     string
		wantAccent any
		wantOn     any
	}{
		{"#003366", lipgloss.Color("#003366"), lipgloss.Color("#F5F5F5")}, // dark accent: light text on it
		{"#FFD700", lipgloss.Color("#FFD700"), lipgloss.Color("#1C1C1C")},
		{"", def.Accent, nil},
		{"red", def.Accent, nil},
		{"#12345G", def.Accent, nil},
	} {
		tk := theme.Branded(c.accent).Tokens
		if tk.Accent != c.wantAccent || tk.OnAccent != c.wantOn {
			t.Errorf("Branded(%q): accent %v on %v, want %v on %v", c.accent, tk.Accent, tk.OnAccent, c.wantAccent, c.wantOn)
		}
	}
}

// TestLongListsKeepTheSelectionInView scrolls long lists: the selected
// row is always on the screen, and only the rows that fit are rendered.
func TestLongListsKeepTheSelectionInView(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		for i := range 60 {
			svc.tenants = append(svc.tenants, Tenant{Name: fmt.Sprintf("t%02d", i), Role: "owner"})
			svc.users = append(svc.users, UserDetail{User: User{ID: mustID(fmt.Sprintf("USER%04d", i)), Name: fmt.Sprintf("User %02d", i), Status: "active"}})
		}
		d := newDriver(t, svc)
		selected := func() string {
			for _, l := range strings.Split(d.plain(), "\n") {
				if strings.HasPrefix(l, "›") {
					return strings.Fields(l)[1]
				}
			}
			return ""
		}
		for range 40 {
			d.press(tea.KeyDown)
		}
		if got, want := selected(), "t38"; got != want { // acme, globex, t00...
			t.Fatalf("picker: selected row %q, want %q\n%s", got, want, d.plain())
		}
		d.press(tea.KeyHome)
		d.press(tea.KeyEnter)
		d.press('2')
		d.press(tea.KeyEnd)
		if got, want := selected(), "USER0059"; got != want {
			t.Fatalf("users, end: selected %q, want %q", got, want)
		}
		if n := strings.Count(d.plain(), "USER00"); n > 20 {
			t.Fatalf("%d rows rendered in a 24-line window", n)
		}
		d.press(tea.KeyPgUp)
		d.press(tea.KeyUp)
		if got := selected(); got == "" {
			t.Fatal("the selection scrolled out of view")
		}
		d.send(tea.WindowSizeMsg{Width: 80, Height: 12})
		if got := selected(); got == "" {
			t.Fatal("the selection left the view on resize")
		}
	})
}

// TestUserListPages: the console shows the service's first page and says
// more follow; moving past the last user loads the next page, keeping the
// selection; a reload keeps the pages loaded.
func TestUserListPages(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		svc.users = nil
		svc.pageSize = 100
		for i := range 250 {
			svc.users = append(svc.users, UserDetail{User: User{ID: mustID(fmt.Sprintf("USER%04d", i)), Name: fmt.Sprintf("User %03d", i), Status: "active"}})
		}
		d := acmeDriver(t, svc)
		d.press('2')
		d.wantScreen("first 100 users · more below")
		d.svc.takeCalls()
		d.press(tea.KeyEnd)
		d.wantCalls(`Users acme name="" tag=""`, `Users acme name="" tag="" after=USER0099`)
		d.wantScreen("first 200 users · more below", "USER0099")
		d.press(tea.KeyDown)
		d.wantScreen("USER0100")
		d.press(tea.KeyEnd)
		d.press(tea.KeyEnd)
		d.wantScreen("250 users", "USER0249")
		if strings.Contains(d.plain(), "more below") {
			t.Fatalf("the last page still says more follow:\n%s", d.plain())
		}
		d.svc.takeCalls()
		d.send(d.m.reload()())
		if got := len(d.m.users.list); got != 250 {
			t.Fatalf("a reload kept %d users, want the 250 loaded", got)
		}
	})
}
