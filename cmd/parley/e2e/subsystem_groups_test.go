package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/server/proto"
)

// settingsAfterPush waits for "settings" pushes on c until the settings
// read after one satisfy ok: a push may be a late one of an earlier
// change.
func settingsAfterPush(c *protoClient, ok func(proto.Settings) bool) proto.Settings {
	c.t.Helper()
	for {
		c.waitPush("settings")
		var s proto.Settings
		c.ok(proto.KindSettings, struct{}{}, &s)
		if ok(s) {
			return s
		}
	}
}

// TestParleySubsystemGroupsAndSettings: over `ssh -s host parley` with the
// real OpenSSH client, Ann creates a group with Bob; Bob's subscribed
// channel gets the "groups" push and lists the group; the registry's
// rules come through with their own words (only admins rename, unknown
// groups are not found, bad IDs are invalid). Ann reads her settings; an
// admin's policy change reaches her channel as a "settings" push, after
// which creating a group is refused as the policy says; with her own quiet
// hours allowed she sets and clears them, and a nickname she sets is what
// Bob sees.
func TestParleySubsystemGroupsAndSettings(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob := f.key("ann"), f.key("bob")
	a := f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")

	bc := dialProto(t, f.srv, bob)
	bc.hello()
	bc.ok(proto.KindSubscribe, struct{}{}, nil)
	ac := dialProto(t, f.srv, ann)
	ac.hello()
	ac.ok(proto.KindSubscribe, struct{}{}, nil)

	var s proto.Settings
	ac.ok(proto.KindSettings, struct{}{}, &s)
	if s.Forbidden == nil || s.Forbidden["create_group"] != "" || s.UserQuietHours || s.Quiet {
		t.Fatalf("Ann's settings = %+v, want groups allowed and no quiet hours of her own", s)
	}

	var g proto.GroupInfo
	ac.ok(proto.KindGroupCreate, proto.GroupCreateRequest{Name: "Climbers", Members: []string{b.ID}}, &g)
	if len(g.Key) != 16 || g.Name != "Climbers" || g.Managed || g.Creator != a.ID || !slices.Equal(g.Admins, []string{a.ID}) ||
		!slices.Equal(g.Members, []string{a.ID, b.ID}) {
		t.Fatalf("created %+v, want Climbers of Ann and Bob, Ann admin", g)
	}
	// Bob is told, and finds the group among his.
	bc.waitPush("groups")
	var mine proto.GroupList
	bc.ok(proto.KindGroupsMine, struct{}{}, &mine)
	if len(mine.Groups) != 1 || mine.Groups[0].Key != g.Key || !slices.Equal(mine.Groups[0].Members, []string{a.ID, b.ID}) {
		t.Fatalf("Bob's groups = %+v, want Climbers", mine)
	}
	var one proto.GroupInfo
	bc.ok(proto.KindGroup, proto.GroupRequest{Key: g.Key}, &one)
	if one.Name != "Climbers" {
		t.Fatalf("Bob reads the group as %+v", one)
	}
	if e := bc.refused(proto.KindGroupRename, proto.GroupRenameRequest{Key: g.Key, Name: "Mine"}, proto.CodeForbidden); !strings.Contains(e.Message, "only the group's admins") {
		t.Fatalf("Bob renames: %q", e.Message)
	}
	if e := bc.refused(proto.KindGroup, proto.GroupRequest{Key: "0000000000000000"}, proto.CodeNotFound); !strings.Contains(e.Message, "no such group") {
		t.Fatalf("an unknown group: %q", e.Message)
	}
	ac.refused(proto.KindGroupAdd, proto.GroupMembersRequest{Key: g.Key, IDs: []string{"NOT-AN-ID"}}, proto.CodeInvalid)
	ac.ok(proto.KindGroupAdmin, proto.GroupAdminRequest{Key: g.Key, ID: b.ID, Admin: true}, &one)
	if !slices.Equal(one.Admins, []string{a.ID, b.ID}) {
		t.Fatalf("after making Bob admin: %+v", one)
	}
	bc.ok(proto.KindGroupRename, proto.GroupRenameRequest{Key: g.Key, Name: "Boulderers"}, &one)
	bc.ok(proto.KindGroupLeave, proto.GroupRequest{Key: g.Key}, nil)
	ac.waitPush("groups")
	ac.ok(proto.KindGroupsMine, struct{}{}, &mine)
	if len(mine.Groups) != 1 || mine.Groups[0].Name != "Boulderers" || !slices.Equal(mine.Groups[0].Members, []string{a.ID}) {
		t.Fatalf("Ann's groups after Bob left = %+v", mine)
	}

	// An admin forbids Ann groups: her channel hears of it at once.
	f.run("policy", "set", "--tenant", "acme", "th_disable_create_group", "true", "--user", a.ID)
	s = settingsAfterPush(ac, func(s proto.Settings) bool { return s.Forbidden["create_group"] != "" })
	e := ac.refused(proto.KindGroupCreate, proto.GroupCreateRequest{Name: "Another"}, proto.CodeForbidden)
	if !strings.Contains(e.Message, "th_disable_create_group") {
		t.Fatalf("create under the policy: %q, want it to name the policy", e.Message)
	}
	if s.Forbidden["create_group"] == "" {
		t.Fatalf("settings do not say why: %+v", s)
	}

	// Quiet hours of her own: refused until her organisation allows them.
	quiet := proto.QuietHoursRequest{Zone: "Europe/Zurich", Spec: "Mon-Fri 18:00-08:00"}
	if e := ac.refused(proto.KindSetQuietHours, quiet, proto.CodeForbidden); !strings.Contains(e.Message, "parley_user_quiet_hours") {
		t.Fatalf("own quiet hours, not allowed: %q", e.Message)
	}
	f.run("policy", "set", "--tenant", "acme", "parley_user_quiet_hours", "true", "--user", a.ID)
	settingsAfterPush(ac, func(s proto.Settings) bool { return s.UserQuietHours })
	ac.refused(proto.KindSetQuietHours, proto.QuietHoursRequest{Zone: "Europe/Zurich", Spec: "Someday 25:00"}, proto.CodeInvalid)
	ac.ok(proto.KindSetQuietHours, quiet, nil)
	// Her own change is announced as an admin's is.
	s = settingsAfterPush(ac, func(s proto.Settings) bool { return s.QuietOwn })
	if !strings.Contains(s.QuietSchedule, "Mon-Fri 18:00-08:00") || s.NextChange.IsZero() {
		t.Fatalf("settings with her quiet hours = %+v", s)
	}
	ac.ok(proto.KindClearQuietHours, struct{}{}, nil)
	if e := ac.refused(proto.KindClearQuietHours, struct{}{}, proto.CodeInvalid); e.Message != "you have no quiet hours of your own" {
		t.Fatalf("clearing twice: %q", e.Message)
	}

	ac.ok(proto.KindSetNickname, proto.NicknameRequest{Name: "Annie"}, nil)
	var ct proto.Contact
	bc.ok(proto.KindContact, proto.ContactRequest{ID: a.ID}, &ct)
	if ct.Nickname != "Annie" {
		t.Fatalf("Bob sees Ann as %+v, want the nickname Annie", ct)
	}
}
