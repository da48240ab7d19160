package policy_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/parley-chat/parley/server/policy"
)

// TestRegistry checks every key the issue names is there with a usable
// definition: sorted, described, a default its own type accepts.
func TestRegistry(t *testing.T) {
	want := []string{"th_block_unknown", "th_disable_add_contact", "th_readonly_profile", "th_disable_create_group",
		"th_disable_work_directory", "th_disable_calls", "th_disable_video_calls", "th_disable_group_calls",
		"th_disable_backups", "th_disable_id_export", "th_safe_enable", "th_firstname", "th_lastname", "th_nickname",
		"th_category", "th_csi", "parley_retention_days", "parley_max_attachment_mib", "parley_user_quiet_hours",
		"parley_quiet_hours", "parley_cross_tenant", "parley_unlock_window", "parley_storage_quota_mib"}
	keys := policy.Registry()
	names := policy.Names()
	for _, n := range want {
		if !slices.Contains(names, n) {
			t.Errorf("registry lacks %s", n)
		}
	}
	if !slices.IsSorted(names) {
		t.Errorf("registry not sorted by name: %v", names)
	}
	if len(slices.Compact(slices.Clone(names))) != len(names) {
		t.Errorf("a key appears twice: %v", names)
	}
	for _, k := range keys {
		if strings.TrimSpace(k.Description) == "" {
			t.Errorf("%s has no description", k.Name)
		}
		if k.Default != "" || k.Type == policy.TypeBool || k.Type == policy.TypeInt || k.Type == policy.TypeDuration {
			got, err := k.Normalize(k.Default)
			if err != nil || got != k.Default {
				t.Errorf("%s: default %q normalizes to %q, %v", k.Name, k.Default, got, err)
			}
		}
		if k.Type == policy.TypeEnum && len(k.Enum) == 0 {
			t.Errorf("%s is an enum without values", k.Name)
		}
		if got, ok := policy.Lookup(k.Name); !ok || got.Name != k.Name {
			t.Errorf("Lookup(%q) = %v, %v", k.Name, got, ok)
		}
	}
	for name, def := range map[string]string{policy.RetentionDays: "30", policy.MaxAttachmentMiB: "100",
		policy.StorageQuotaMiB: "1024", policy.UnlockWindow: "15m0s",
		policy.UserQuietHours: "false", policy.QuietHours: "", policy.CrossTenant: "", policy.BlockUnknown: "false"} {
		if k, _ := policy.Lookup(name); k.Default != def {
			t.Errorf("%s default = %q, want %q", name, k.Default, def)
		}
	}
	for name, perUser := range map[string]bool{policy.QuietHours: true, policy.CrossTenant: false,
		policy.RetentionDays: false, policy.DisableCreateGroup: true, policy.StorageQuotaMiB: true} {
		if k, _ := policy.Lookup(name); k.PerUser != perUser {
			t.Errorf("%s PerUser = %t, want %t", name, k.PerUser, perUser)
		}
	}
	if _, ok := policy.Lookup("th_no_such_key"); ok {
		t.Error("Lookup found an unknown key")
	}
	// The registry is built per call: changing one copy changes no other.
	keys[0].Name = "changed"
	if policy.Registry()[0].Name == "changed" {
		t.Error("Registry returns shared state")
	}
}
