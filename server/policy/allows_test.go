package policy_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/parley-chat/parley/server/policy"
)

// values builds effective values from key=value pairs; every other key
// takes its default.
func values(kv ...string) policy.Values {
	v := policy.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v[kv[i]] = policy.Value{Key: kv[i], Raw: kv[i+1], Source: policy.SourceGlobal}
	}
	return v
}

func TestAllows(t *testing.T) {
	tests := []struct {
		action policy.Action
		values policy.Values
		key    string // the key that forbids; "" for allowed
		says   string
	}{
		{policy.CreateGroup, values(), "", ""},
		{policy.CreateGroup, values(policy.DisableCreateGroup, "true"), policy.DisableCreateGroup, "create groups"},
		{policy.CreateGroup, values(policy.DisableCreateGroup, "false"), "", ""},
		{policy.AddContact, values(policy.DisableAddContact, "true"), policy.DisableAddContact, "of your organisation only"},
		{policy.AddContact, values(policy.BlockUnknown, "true"), "", ""}, // block_unknown binds recipients
		{policy.EditProfile, values(policy.ReadonlyProfile, "true"), policy.ReadonlyProfile, "your organisation manages your profile"},
		{policy.UseWorkDirectory, values(policy.DisableWorkDirectory, "true"), policy.DisableWorkDirectory, "directory"},
		{policy.Backup, values(policy.DisableBackups, "true"), policy.DisableBackups, "backups"},
		{policy.Backup, values(policy.DisableIDExport, "true"), "", ""},
		{policy.ExportID, values(policy.DisableIDExport, "true"), policy.DisableIDExport, "exporting your Parley ID"},
		{policy.ExportID, values(policy.DisableBackups, "true"), policy.DisableBackups, "backups"},
		{policy.SafeBackup, values(), "", ""},
		{policy.SafeBackup, values(policy.SafeEnable, "true"), "", ""},
		{policy.SafeBackup, values(policy.SafeEnable, "false"), policy.SafeEnable, "encrypted backups off"},
		{policy.SafeBackup, values(policy.SafeEnable, "true", policy.DisableBackups, "true"), policy.DisableBackups, "backups"},
		{policy.Call, values(policy.DisableCalls, "true"), policy.DisableCalls, "calls off"},
		{policy.Call, values(policy.DisableVideoCalls, "true", policy.DisableGroupCalls, "true"), "", ""},
		{policy.VideoCall, values(policy.DisableVideoCalls, "true"), policy.DisableVideoCalls, "video calls off"},
		{policy.VideoCall, values(policy.DisableCalls, "true"), policy.DisableCalls, "calls off"},
		{policy.GroupCall, values(policy.DisableGroupCalls, "true"), policy.DisableGroupCalls, "group calls off"},
		{policy.GroupCall, values(policy.DisableVideoCalls, "true"), "", ""},
		{policy.Hosted, values(), "", ""},
		{policy.Hosted, values(policy.HostedMode, "allowed"), "", ""},
		{policy.Hosted, values(policy.HostedMode, "forbidden"), policy.HostedMode, "stay on your own device"},
		{policy.Action("teleport"), values(), "-", "unknown action"},
	}
	for _, tt := range tests {
		err := policy.Allows(tt.values, tt.action)
		if tt.key == "" {
			if err != nil {
				t.Errorf("Allows(%v, %s) = %v, want nil", tt.values, tt.action, err)
			}
			continue
		}
		var fe *policy.ForbiddenError
		if !errors.Is(err, policy.ErrForbiddenByPolicy) || !errors.As(err, &fe) {
			t.Errorf("Allows(%v, %s) = %v, want a *ForbiddenError", tt.values, tt.action, err)
			continue
		}
		if fe.Key != tt.key || fe.Action != tt.action {
			t.Errorf("Allows(%v, %s) forbids by %s for %s, want %s", tt.values, tt.action, fe.Key, fe.Action, tt.key)
		}
		if !strings.Contains(err.Error(), tt.says) {
			t.Errorf("Allows(%v, %s) = %q, want it to say %q", tt.values, tt.action, err, tt.says)
		}
	}
}

// TestAllowsEveryAction checks that every action is allowed by the
// defaults and forbidden by some key: no action is left without a rule.
func TestAllowsEveryAction(t *testing.T) {
	for _, a := range policy.Actions() {
		if err := policy.Allows(policy.Values{}, a); err != nil {
			t.Errorf("Allows(defaults, %s) = %v, want nil", a, err)
		}
		all := policy.Values{}
		for _, k := range policy.Registry() {
			if k.Type == policy.TypeBool {
				all[k.Name] = policy.Value{Key: k.Name, Raw: "true"}
			}
		}
		all[policy.SafeEnable] = policy.Value{Key: policy.SafeEnable, Raw: "false"}
		all[policy.HostedMode] = policy.Value{Key: policy.HostedMode, Raw: "forbidden"}
		if err := policy.Allows(all, a); !errors.Is(err, policy.ErrForbiddenByPolicy) {
			t.Errorf("Allows(everything forbidden, %s) = %v, want a refusal", a, err)
		}
	}
}
