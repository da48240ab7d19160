package admin

import (
	"errors"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
)

func TestPolicyBoolTogglesAfterConfirmation(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '7', '/', "block", tea.KeyEnter)
		d.wantCalls("Policies acme")
		d.wantScreen("th_block_unknown", "true", "global", "1 key")
		d.press('e')
		d.wantScreen("Set th_block_unknown to false for the tenant?")
		d.press('n')
		d.wantCalls()
		play(d, tea.KeyEnter, 'y')
		d.wantCalls("SetPolicy acme th_block_unknown=false", "Policies acme")
		if got, want := d.status(), "✓ th_block_unknown is false for the tenant."; got != want {
			t.Fatalf("status %q, want %q", got, want)
		}
		// Esc clears the filter: every key again.
		d.press(tea.KeyEscape)
		d.wantScreen("8 keys", "parley_retention_days")
	})
}

func TestPolicyTypeErrorKeepsTheInput(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '7', '/', "retention", tea.KeyEnter, 'e')
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "ninety", tea.KeyEnter)
		d.wantCalls("Policies acme", "SetPolicy acme parley_retention_days=ninety")
		f, ok := d.m.dialog.(*formDialog)
		if !ok {
			t.Fatalf("the form closed on a type error:\n%s", d.plain())
		}
		if got, want := f.inputs[0].Value(), "ninety"; got != want {
			t.Fatalf("the form holds %q, want %q", got, want)
		}
		if got, want := d.status(), `✗ Invalid argument: parley_retention_days takes an int, not "ninety"`; got != want {
			t.Fatalf("status %q, want %q", got, want)
		}
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "365", tea.KeyEnter)
		d.wantCalls("SetPolicy acme parley_retention_days=365", "Policies acme")
		if d.m.dialog != nil {
			t.Fatal("the form stayed open after saving")
		}
		d.wantScreen("365")
	})
}

func TestPolicyEnumIsPicked(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '7', tea.KeyDown, tea.KeyEnter, tea.KeyDown, tea.KeyEnter)
		d.wantCalls("Policies acme", "SetPolicy acme parley_link_previews=all", "Policies acme")
		d.wantScreen("all", "✓ parley_link_previews is all for the tenant.")
	})
}

func TestPolicyUnset(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '7', '/', "retention", tea.KeyEnter, 'u')
		d.wantScreen("Unset parley_retention_days for the tenant?", "back to its default: 30")
		d.press('y')
		d.wantCalls("Policies acme", "UnsetPolicy acme parley_retention_days", "Policies acme")
		d.wantScreen("30", "default")
		// At its default there is nothing to unset: no call.
		d.press('u')
		d.wantCalls()
		if d.m.dialog != nil || !strings.Contains(d.status(), "nothing to unset") {
			t.Fatalf("status %q, dialog %T", d.status(), d.m.dialog)
		}
	})
}

func TestPoliciesOfAUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		// The user selected on the users screen is offered.
		play(d, '2', tea.KeyDown, '7', 'U')
		d.wantCalls(`Users acme name="" tag=""`, "Policies acme")
		d.wantScreen("Parley ID: BOB00002")
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "nobody01", tea.KeyEnter)
		d.wantCalls("User acme NOBODY01")
		d.wantScreen("No user NOBODY01 in this tenant")
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "alice001", tea.KeyEnter)
		d.wantCalls("User acme ALICE001", "Policies acme ALICE001")
		d.wantScreen("Policies · Alice Example (ALICE001)", "Sales", "individual")

		// A key for single users.
		play(d, '/', "category", tea.KeyEnter, 'e')
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "Support", tea.KeyEnter)
		d.wantCalls("SetPolicy acme ALICE001 th_category=Support", "Policies acme ALICE001")
		d.wantScreen("✓ th_category is Support for Alice Example (ALICE001).")

		// A tenant-only key is marked; the service refuses it.
		d.press('/')
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "attachment", tea.KeyEnter)
		d.wantScreen("tenant only, not per user")
		play(d, 'e', tea.KeyEnd, "0", tea.KeyEnter)
		d.wantCalls("SetPolicy acme ALICE001 parley_max_attachment_mib=1000")
		d.wantScreen("cannot be set per user")
		if !strings.HasPrefix(d.status(), "✗") {
			t.Fatalf("status %q, want the service's refusal", d.status())
		}
		d.press(tea.KeyEscape)

		// Esc clears the filter, then goes back to the tenant.
		play(d, tea.KeyEscape, tea.KeyEscape)
		d.wantCalls("Policies acme")
		d.wantScreen("Policies · the tenant")
	})
}

func TestPoliciesAuditorIsRefusedByTheService(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := newDriver(t, svc)
		play(d, tea.KeyDown, tea.KeyEnter, '7') // globex, as an auditor
		if d.m.allowed(PermPoliciesWrite) {
			t.Fatal("an auditor's policy actions are not greyed out")
		}
		d.wantScreen("th_block_unknown")
		svc.takeCalls()
		svc.errs["SetPolicy"] = errDenied
		// Enter and e on a greyed-out entry say why and open no form.
		const why = "✗ Role auditor may not change policies or quiet hours (policies:write)"
		play(d, '/', "disable_calls", tea.KeyEnter)
		for _, k := range []any{tea.KeyEnter, 'e', 'u'} {
			play(d, k)
			if d.m.dialog != nil {
				t.Fatalf("%v opened a form the role cannot submit:\n%s", k, d.plain())
			}
			if got := d.status(); got != why {
				t.Fatalf("%v: status %q, want %q", k, got, why)
			}
		}
		d.wantCalls()
		// The quiet hours screen too.
		play(d, '8')
		svc.takeCalls()
		for _, k := range []any{tea.KeyEnter, 'e'} {
			play(d, k)
			if d.m.dialog != nil {
				t.Fatalf("%v opened the quiet hours form:\n%s", k, d.plain())
			}
			if got := d.status(); got != why {
				t.Fatalf("%v: status %q, want %q", k, got, why)
			}
		}
		d.wantCalls()
		// Where the service's answer allowed it, its refusal is shown.
		play(d, '7') // still filtered to th_disable_calls
		d.m.perms = nil
		play(d, 'e', 'y')
		d.wantCalls(`Policies globex`, "SetPolicy globex th_disable_calls=true")
		if got, want := d.status(), "✗ Permission denied"; got != want {
			t.Fatalf("status %q, want %q", got, want)
		}
	})
}

func TestStalePoliciesAreDropped(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		d := acmeDriver(t, newFake())
		d.press('7')
		d.send(policiesMsg{tenant: "acme", who: "ALICE001", list: []PolicyValue{{Key: "stale_key", Value: "x"}}})
		if strings.Contains(d.plain(), "stale_key") {
			t.Fatal("values for another user were shown")
		}
	})
}

func TestQuietHoursEditWithPreview(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		d.press('8')
		d.wantCalls("QuietHours acme")
		d.wantScreen("Mon-Fri 18:00-08:00; Sat,Sun all-day", "Europe/Zurich", "quiet until Mon 2025-03-17 08:00 CET",
			"Mon 2025-03-31 08:00 CEST   awake")
		d.press('e')
		d.wantScreen("Preview: the next changes", "Tue 2025-03-18 18:00 CET    quiet")
		// The preview follows the typing; a bad schedule says why, and nothing is sent.
		play(d, tea.KeyEnd, " 25:00")
		d.wantScreen(`Bad range "Mon-Fri 18:00-08:00; Sat,Sun all-day 25:00"`)
		for range len(" 25:00") {
			d.press(tea.KeyBackspace)
		}
		d.wantScreen("Preview: the next changes")
		play(d, tea.KeyTab)
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "Mars/Olympus")
		d.wantScreen(`Unknown time zone "Mars/Olympus"`)
		play(d, tea.KeyEnter)
		d.wantCalls(`SetQuietHours acme "Mars/Olympus" "Mon-Fri 18:00-08:00; Sat,Sun all-day"`)
		if _, ok := d.m.dialog.(*quietDialog); !ok || !strings.HasPrefix(d.status(), "✗") {
			t.Fatalf("a refused schedule: dialog %T, status %q", d.m.dialog, d.status())
		}
		d.send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
		play(d, "UTC", tea.KeyEnter)
		d.wantCalls(`SetQuietHours acme "UTC" "Mon-Fri 18:00-08:00; Sat,Sun all-day"`, "QuietHours acme")
		d.wantScreen("✓ Quiet hours of the tenant: Mon-Fri 18:00-08:00; Sat,Sun all-day (UTC).", "Time zone  UTC")
	})
}

func TestQuietHoursOfAUser(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		d := acmeDriver(t, svc)
		play(d, '8', 'U', "ALICE001", tea.KeyEnter)
		d.wantCalls("QuietHours acme", "User acme ALICE001", "QuietHours acme ALICE001")
		d.wantScreen("Quiet hours · Alice Example (ALICE001)", "the tenant's schedule (global)")
		// Following the tenant's schedule, the user has none to remove.
		d.press('u')
		d.wantCalls()
		d.wantScreen("nothing to remove")
		// Her own starts empty.
		d.press('e')
		if f := d.m.dialog.(*quietDialog); f.inputs[0].Value() != "" || f.inputs[1].Value() != "Europe/Zurich" {
			t.Fatalf("the user's form starts with %q in %q", f.inputs[0].Value(), f.inputs[1].Value())
		}
		play(d, tea.KeyEnter)
		d.wantCalls()
		d.wantScreen("Give a schedule")
		play(d, "Sat,Sun all-day", tea.KeyEnter)
		d.wantCalls(`SetQuietHours acme ALICE001 "Europe/Zurich" "Sat,Sun all-day"`, "QuietHours acme ALICE001")
		d.wantScreen("this user (individual)")
		play(d, 'u', 'y')
		d.wantCalls("UnsetQuietHours acme ALICE001", "QuietHours acme ALICE001")
		d.wantScreen("✓ Removed the quiet hours of Alice Example (ALICE001).", "the tenant's schedule (global)")
		// The subject is shared with the policies screen.
		d.press('7')
		d.wantCalls("Policies acme ALICE001")
	})
}

func TestQuietHoursLoadError(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		svc := newFake()
		svc.errs["QuietHours"] = errors.New("the store is closed")
		d := acmeDriver(t, svc)
		d.press('8')
		d.wantScreen("The store is closed.")
		d.press('e') // nothing loaded: nothing to edit
		if d.m.dialog != nil {
			t.Fatal("edit opened without a schedule loaded")
		}
	})
}
