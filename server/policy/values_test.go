package policy_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/server/policy"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct {
		key, in, want string
		err           string // a substring of the error; "" for none
	}{
		{policy.BlockUnknown, "true", "true", ""},
		{policy.BlockUnknown, " TRUE ", "true", ""},
		{policy.BlockUnknown, "yes", "true", ""},
		{policy.BlockUnknown, "0", "false", ""},
		{policy.BlockUnknown, "off", "false", ""},
		{policy.BlockUnknown, "maybe", "", `th_block_unknown takes a bool: true or false (got "maybe")`},
		{policy.BlockUnknown, "", "", "takes a bool"},
		{policy.RetentionDays, "7", "7", ""},
		{policy.RetentionDays, "+07", "7", ""},
		{policy.RetentionDays, "0", "", "parley_retention_days takes an int from 1 to 3650"},
		{policy.RetentionDays, "3651", "", "from 1 to 3650"},
		{policy.RetentionDays, "seven", "", "takes an int"},
		{policy.RetentionDays, "1.5", "", "takes an int"},
		{policy.MaxAttachmentMiB, "99999999999999999999", "", "takes an int"},
		{policy.Nickname, "  Ada  ", "Ada", ""},
		{policy.Nickname, "", "", ""},
		{policy.Nickname, "Zoë 🚀", "Zoë 🚀", ""},
		{policy.Nickname, "a\nb", "", "takes a string"},
		{policy.Nickname, "a\x1b[31mb", "", "takes a string"},
		{policy.Nickname, strings.Repeat("x", policy.MaxStringLen+1), "", "at most 200 characters"},
		{policy.Nickname, "\xff", "", "takes a string"},
		{policy.SafeEnable, "TRUE", "true", ""},
		{policy.SafeEnable, "false", "false", ""},
		{policy.SafeEnable, "sometimes", "", "th_safe_enable takes one of: true, false"},
		{policy.UnlockWindow, "15m", "15m0s", ""},
		{policy.UnlockWindow, "1h30m", "1h30m0s", ""},
		{policy.UnlockWindow, "30s", "30s", ""},
		{policy.UnlockWindow, "0", "0s", ""},
		{policy.UnlockWindow, "-1m", "", "parley_unlock_window takes a duration from 0 to 24h"},
		{policy.UnlockWindow, "25h", "", "from 0 to 24h"},
		{policy.StorageQuotaMiB, "2048", "2048", ""},
		{policy.StorageQuotaMiB, "0", "", "parley_storage_quota_mib takes an int from 1 to 1048576"},
		{policy.UnlockWindow, "15", "", "takes a duration"},
		{policy.CrossTenant, "Globex, initech,globex", "globex,initech", ""},
		{policy.CrossTenant, " , ", "", ""},
		{policy.CrossTenant, "glo bex", "", "parley_cross_tenant takes a list of tenant names"},
		{policy.QuietHours, "", "", ""},
		{policy.QuietHours, "Europe/Zurich mon-fri 18:00-08:00; sat,sun all-day", "Europe/Zurich Mon-Fri 18:00-08:00; Sat,Sun all-day", ""},
		{policy.QuietHours, "Nowhere/City Mon 18:00-08:00", "", "parley_quiet_hours takes a schedule"},
	} {
		k, ok := policy.Lookup(c.key)
		if !ok {
			t.Fatalf("no key %s", c.key)
		}
		got, err := k.Normalize(c.in)
		switch {
		case c.err == "" && err != nil:
			t.Errorf("%s.Normalize(%q): %v", c.key, c.in, err)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s.Normalize(%q) = %q, %v; want an error with %q", c.key, c.in, got, err, c.err)
		case c.err != "" && !errors.Is(err, policy.ErrInvalid):
			t.Errorf("%s.Normalize(%q): %v is not ErrInvalid", c.key, c.in, err)
		case got != c.want:
			t.Errorf("%s.Normalize(%q) = %q, want %q", c.key, c.in, got, c.want)
		}
	}
}

// TestExpectEveryType: every key's error names what it takes.
func TestExpectEveryType(t *testing.T) {
	for _, k := range policy.Registry() {
		if e := k.Expect(); e == "" || e == string(k.Type) {
			t.Errorf("%s (%s): Expect() = %q", k.Name, k.Type, e)
		}
	}
}

func TestValuesAccessors(t *testing.T) {
	v := policy.Values{
		policy.BlockUnknown:  {Key: policy.BlockUnknown, Raw: "true", Source: policy.SourceGlobal},
		policy.RetentionDays: {Key: policy.RetentionDays, Raw: "7", Source: policy.SourceGlobal},
		policy.UnlockWindow:  {Key: policy.UnlockWindow, Raw: "1h0m0s", Source: policy.SourceGlobal},
		policy.Nickname:      {Key: policy.Nickname, Raw: "Ada", Source: policy.SourceIndividual},
		policy.CrossTenant:   {Key: policy.CrossTenant, Raw: "globex,initech", Source: policy.SourceGlobal},
	}
	if !v.Bool(policy.BlockUnknown) || v.Bool(policy.DisableCalls) {
		t.Error("Bool")
	}
	if got := v.Int(policy.RetentionDays); got != 7 {
		t.Errorf("Int = %d, want 7", got)
	}
	// Missing keys read as their defaults.
	if got := v.Int(policy.MaxAttachmentMiB); got != 100 {
		t.Errorf("Int of a missing key = %d, want the default 100", got)
	}
	if got := v.Duration(policy.UnlockWindow); got != time.Hour {
		t.Errorf("Duration = %v, want 1h", got)
	}
	if got := v.String(policy.Nickname); got != "Ada" {
		t.Errorf("String = %q", got)
	}
	if got := v.List(policy.CrossTenant); len(got) != 2 || got[0] != "globex" || got[1] != "initech" {
		t.Errorf("List = %q", got)
	}
	if got := (policy.Values{}).List(policy.CrossTenant); got != nil {
		t.Errorf("List of none = %q, want nil", got)
	}
}

func TestTyped(t *testing.T) {
	for _, c := range []struct {
		v    policy.Value
		want any
	}{
		{policy.Value{Key: policy.BlockUnknown, Raw: "true"}, true},
		{policy.Value{Key: policy.BlockUnknown, Raw: "false"}, false},
		{policy.Value{Key: policy.RetentionDays, Raw: "7"}, int64(7)},
		{policy.Value{Key: policy.SafeEnable, Raw: "true"}, "true"},
		{policy.Value{Key: policy.UnlockWindow, Raw: "15m0s"}, "15m0s"},
		{policy.Value{Key: policy.Nickname, Raw: ""}, ""},
		{policy.Value{Key: "th_unknown", Raw: "x"}, "x"},
	} {
		if got := c.v.Typed(); got != c.want {
			t.Errorf("%s %q: Typed() = %#v, want %#v", c.v.Key, c.v.Raw, got, c.want)
		}
	}
	if k, _ := policy.Lookup(policy.RetentionDays); k.TypedDefault() != int64(30) {
		t.Errorf("TypedDefault = %#v", k.TypedDefault())
	}
}
