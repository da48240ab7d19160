package policy

import "time"

// CallKind is the kind of an incoming call.
type CallKind int

// The kinds of calls.
const (
	// CallAudio is a call between two people, audio only.
	CallAudio CallKind = iota
	// CallVideo is a call between two people with video.
	CallVideo
	// CallGroup is a call in a group.
	CallGroup
)

// String names the kind: "audio", "video", "group".
func (k CallKind) String() string {
	switch k {
	case CallAudio:
		return "audio"
	case CallVideo:
		return "video"
	case CallGroup:
		return "group"
	}
	return "unknown"
}

// The reasons of call decisions, as the caller's app receives them.
const (
	ReasonAccept             = "accept"
	ReasonCallsDisabled      = "reject: calls disabled by policy"
	ReasonVideoCallsDisabled = "reject: video calls disabled by policy"
	ReasonGroupCallsDisabled = "reject: group calls disabled by policy"
	ReasonQuietHours         = "reject: quiet hours"
	ReasonUnknownCallKind    = "reject: unknown call kind"
)

// Decision is the server's answer to an incoming call.
type Decision struct {
	Accept bool
	// Reason is ReasonAccept or one of the reject reasons.
	Reason string
}

// DecideCall decides on a call of the given kind to the user whose
// effective values v are, at now. The policy keys come first
// (th_disable_calls, then th_disable_video_calls or
// th_disable_group_calls), quiet hours (parley_quiet_hours) last: a call
// the policy forbids is refused as such at any hour. The call front calls
// it for the callee before the phone rings.
func DecideCall(v Values, kind CallKind, now time.Time) Decision {
	reject := func(reason string) Decision { return Decision{Reason: reason} }
	switch {
	case kind != CallAudio && kind != CallVideo && kind != CallGroup:
		return reject(ReasonUnknownCallKind)
	case v.Bool(DisableCalls):
		return reject(ReasonCallsDisabled)
	case kind == CallVideo && v.Bool(DisableVideoCalls):
		return reject(ReasonVideoCallsDisabled)
	case kind == CallGroup && v.Bool(DisableGroupCalls):
		return reject(ReasonGroupCallsDisabled)
	}
	if q, _ := QuietNow(v, now); q {
		return reject(ReasonQuietHours)
	}
	return Decision{Accept: true, Reason: ReasonAccept}
}
