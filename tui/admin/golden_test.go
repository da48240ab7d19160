package admin

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// screen is a named state of the console, reached by a walk.
type screen struct {
	name string
	walk func(t *testing.T) *driver
}

// screens are the states the golden and the resize tests render: every
// screen, dialog and prompt of the console.
func screens() []screen {
	at := func(keys ...any) func(t *testing.T) *driver {
		return func(t *testing.T) *driver {
			d := acmeDriver(t, newFake())
			play(d, keys...)
			return d
		}
	}
	return []screen{
		{"code", func(t *testing.T) *driver {
			svc := newFake()
			svc.need2FA = true
			return newDriver(t, svc)
		}},
		{"code_wrong", func(t *testing.T) *driver {
			svc := newFake()
			svc.need2FA, svc.codes = true, []error{fmt.Errorf("prove: %w", ErrBadCode)}
			d := newDriver(t, svc)
			d.enter("123456")
			return d
		}},
		{"picker", func(t *testing.T) *driver { return newDriver(t, newFake()) }},
		{"dashboard", at()},
		{"dashboard_no_stats", func(t *testing.T) *driver {
			svc := newFake()
			svc.errs["Stats"] = ErrNotAvailable
			svc.license.Warnings = nil
			svc.license.ActiveUsers, svc.license.Devices = 20, 22
			return acmeDriver(t, svc)
		}},
		{"users", at('2')},
		{"users_filter_typing", at('2', '/', "#sales")},
		{"users_filtered", at('2', '/', "#sales", tea.KeyEnter)},
		{"user_detail", at('2', tea.KeyEnter)},
		{"user_new", at('2', 'n', "Gina Green", tea.KeyTab, "gina@acme.example")},
		{"user_created", at('2', 'n', "Gina Green", tea.KeyTab, "gina@acme.example", tea.KeyEnter)},
		{"user_edit", at('2', tea.KeyDown, 'e')},
		{"user_code", at('2', tea.KeyEnter, 'c')},
		{"user_revoke", at('2', tea.KeyDown, 'r')},
		{"user_delete_id", at('2', tea.KeyEnter, 'd')},
		{"user_delete_app", at('2', tea.KeyEnter, 'd', 'n')},
		{"user_delete_confirm", at('2', tea.KeyEnter, 'd', 'n', 'y')},
		{"user_deleted", at('2', tea.KeyEnter, 'd', 'n', 'n', 'y')},
		{"device_remove", at('2', tea.KeyEnter, tea.KeyDown, 'x')},
		{"admins", at('3')},
		{"admin_add", at('3', 'a')},
		{"admin_remove", at('3', tea.KeyDown, 'x')},
		{"groups", at('4')},
		{"group_members", at('4', tea.KeyEnter)},
		{"group_add_member", at('4', tea.KeyEnter, 'a', "CAROL003")},
		{"group_delete", at('4', tea.KeyDown, 'd')},
		{"audit", at('5')},
		{"audit_entry", at('5', tea.KeyDown, tea.KeyEnter)},
		{"audit_verified", at('5', 'v')},
		{"audit_broken", func(t *testing.T) *driver {
			svc := newFake()
			svc.report = AuditReport{Entries: 4, BadSeq: 5, Problem: "entry 5 was changed: its hash does not match"}
			d := acmeDriver(t, svc)
			play(d, '5', 'v')
			return d
		}},
		{"apikeys", at('6')},
		{"apikey_new", at('6', 'n', "Payroll")},
		{"apikey_created", at('6', 'n', "Payroll", tea.KeyEnter)},
		{"policies", at('7')},
		{"policies_filtered", at('7', '/', "quiet", tea.KeyEnter)},
		{"policy_toggle", at('7', tea.KeyEnd, tea.KeyUp, tea.KeyUp, 'e')},
		{"policy_enum", at('7', tea.KeyDown, tea.KeyEnter)},
		{"policy_type_error", at('7', tea.KeyDown, tea.KeyDown, 'e', tea.KeyEnd, "x", tea.KeyEnter)},
		{"policy_unset", at('7', tea.KeyDown, tea.KeyDown, tea.KeyDown, tea.KeyDown, 'u')},
		{"policy_subject", func(t *testing.T) *driver {
			d := acmeDriver(t, newFake())
			play(d, '2', tea.KeyDown, '7', 'U')
			return d
		}},
		{"policies_user", at('7', 'U', "alice001", tea.KeyEnter)},
		{"quiet", at('8')},
		{"quiet_edit", at('8', 'e')},
		{"quiet_edit_error", at('8', 'e', tea.KeyEnd, " 25:00-26:00")},
		{"quiet_user", at('8', 'U', "ALICE001", tea.KeyEnter)},
		{"quiet_none", func(t *testing.T) *driver {
			svc := newFake()
			delete(svc.quiet, "")
			d := acmeDriver(t, svc)
			play(d, '8')
			return d
		}},
		{"help", at('2', '?')},
		{"denied", func(t *testing.T) *driver {
			svc := newFake()
			d := newDriver(t, svc)
			play(d, tea.KeyDown, tea.KeyEnter, '2')
			// An auditor's d opens no dialog: the status line says why.
			svc.errs["DeleteUser"] = errDenied
			play(d, 'd', 'y', 'y', 'y')
			return d
		}},
		{"unavailable", func(t *testing.T) *driver {
			svc := newFake()
			svc.errs["Groups"] = ErrNotAvailable
			d := acmeDriver(t, svc)
			play(d, '4')
			return d
		}},
	}
}

// play presses keys: runes and key codes, and types strings.
func play(d *driver, keys ...any) {
	d.t.Helper()
	for _, k := range keys {
		switch k := k.(type) {
		case rune:
			d.press(k)
		case string:
			d.typeText(k)
		default:
			d.t.Fatalf("play: %T", k)
		}
	}
}

func TestGolden(t *testing.T) {
	for _, s := range screens() {
		t.Run(s.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := s.walk(t)
				golden(t, s.name+".golden", d.plain())
				if s.name == "dashboard" {
					// View returns truecolor; a program downsamples it to the
					// terminal's profile. Pin the profile so the golden is stable.
					var buf bytes.Buffer
					w := colorprofile.Writer{Forward: &buf, Profile: colorprofile.ANSI256}
					if _, err := w.WriteString(d.content()); err != nil {
						t.Fatal(err)
					}
					golden(t, "dashboard_ansi256.golden", buf.String())
				}
			})
		})
	}
}

// TestGoldenSmall pins a few screens in a small window.
func TestGoldenSmall(t *testing.T) {
	for _, name := range []string{"dashboard", "users", "user_delete_confirm", "audit"} {
		i := slices.IndexFunc(screens(), func(s screen) bool { return s.name == name })
		walk := screens()[i].walk
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := walk(t)
				d.send(tea.WindowSizeMsg{Width: 60, Height: 20})
				golden(t, name+"_60x20.golden", d.plain())
			})
		})
	}
}

// TestEveryScreenFits renders every screen at several sizes: the frame
// always has the window's height, and no line is wider than the window.
func TestEveryScreenFits(t *testing.T) {
	sizes := [][2]int{{80, 24}, {100, 30}, {60, 20}, {40, 10}, {200, 60}, {30, 5}}
	for _, s := range screens() {
		t.Run(s.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				d := s.walk(t)
				for _, size := range sizes {
					w, h := size[0], size[1]
					d.send(tea.WindowSizeMsg{Width: w, Height: h})
					v := d.m.View()
					lines := strings.Split(v.Content, "\n")
					if w >= minWidth && h >= minHeight && len(lines) != h {
						t.Errorf("%dx%d: %d lines, want %d", w, h, len(lines), h)
					}
					for i, l := range lines {
						if lw := ansi.StringWidth(l); lw > w {
							t.Errorf("%dx%d: line %d is %d cells wide: %q", w, h, i, lw, ansi.Strip(l))
						}
					}
					if c := v.Cursor; c != nil && (c.X < 0 || c.X >= w || c.Y < 0 || c.Y >= h) {
						t.Errorf("%dx%d: cursor at %d,%d is off the screen", w, h, c.X, c.Y)
					}
				}
			})
		})
	}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	// End every line visibly, so trailing spaces show in diffs and editors keep them.
	got = strings.ReplaceAll(got, "\n", "|\n") + "|\n"
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got), run go test -update if the change is intended:\n%s", path, diff)
	}
}
