package policy_test

import (
	"testing"

	"github.com/parley-chat/parley/server/policy"
)

func TestDecideCall(t *testing.T) {
	noon, evening := zurich(t, "2026-03-04 12:00"), zurich(t, "2026-03-04 19:00")
	tests := []struct {
		name string
		kv   []string
		kind policy.CallKind
		late bool // in the evening, in quiet hours when a schedule is set
		want policy.Decision
	}{
		{"no policy", nil, policy.CallAudio, true, policy.Decision{Accept: true, Reason: "accept"}},
		{"video allowed", nil, policy.CallVideo, false, policy.Decision{Accept: true, Reason: "accept"}},
		{"calls off", []string{policy.DisableCalls, "true"}, policy.CallAudio, false,
			policy.Decision{Reason: "reject: calls disabled by policy"}},
		{"calls off wins over video off", []string{policy.DisableCalls, "true", policy.DisableVideoCalls, "true"}, policy.CallVideo, false,
			policy.Decision{Reason: "reject: calls disabled by policy"}},
		{"video off", []string{policy.DisableVideoCalls, "true"}, policy.CallVideo, false,
			policy.Decision{Reason: "reject: video calls disabled by policy"}},
		{"video off, audio call", []string{policy.DisableVideoCalls, "true"}, policy.CallAudio, false,
			policy.Decision{Accept: true, Reason: "accept"}},
		{"group off", []string{policy.DisableGroupCalls, "true"}, policy.CallGroup, false,
			policy.Decision{Reason: "reject: group calls disabled by policy"}},
		{"group off, video call", []string{policy.DisableGroupCalls, "true"}, policy.CallVideo, false,
			policy.Decision{Accept: true, Reason: "accept"}},
		{"quiet hours", []string{policy.QuietHours, evenings}, policy.CallAudio, true,
			policy.Decision{Reason: "reject: quiet hours"}},
		{"quiet hours, group call", []string{policy.QuietHours, evenings}, policy.CallGroup, true,
			policy.Decision{Reason: "reject: quiet hours"}},
		{"outside quiet hours", []string{policy.QuietHours, evenings}, policy.CallVideo, false,
			policy.Decision{Accept: true, Reason: "accept"}},
		{"policy before quiet hours", []string{policy.QuietHours, evenings, policy.DisableCalls, "true"}, policy.CallAudio, true,
			policy.Decision{Reason: "reject: calls disabled by policy"}},
		{"unknown kind", nil, policy.CallKind(7), false, policy.Decision{Reason: "reject: unknown call kind"}},
	}
	for _, tt := range tests {
		now := noon
		if tt.late {
			now = evening
		}
		if got := policy.DecideCall(withValues(policy.SourceGlobal, tt.kv...), tt.kind, now); got != tt.want {
			t.Errorf("%s: DecideCall(%s) = %+v, want %+v", tt.name, tt.kind, got, tt.want)
		}
	}
}
