package policy

import (
	"errors"
	"fmt"
)

// Action is something a user may do that a policy can forbid. Allows is the
// one decision point for it: a feature asks Allows with the user's
// effective values before it acts, whatever front asked, and returns the
// error unchanged so the person sees why.
type Action string

// Actions a policy can forbid.
const (
	// CreateGroup is creating a group of one's own (th_disable_create_group).
	CreateGroup Action = "create_group"
	// AddContact is writing to someone outside one's own tenant, that is,
	// adding an outside contact (th_disable_add_contact).
	AddContact Action = "add_contact"
	// EditProfile is a user changing their own profile (th_readonly_profile).
	EditProfile Action = "edit_profile"
	// UseWorkDirectory is searching the tenant's directory (th_disable_work_directory).
	UseWorkDirectory Action = "use_work_directory"
	// Backup is making a backup of one's data (th_disable_backups).
	Backup Action = "backup"
	// ExportID is exporting one's Parley ID and key (th_disable_backups,
	// th_disable_id_export).
	ExportID Action = "export_id"
	// SafeBackup is the encrypted backup of ID and settings
	// (th_disable_backups, th_safe_enable false).
	SafeBackup Action = "safe_backup"
	// Call is starting an audio call (th_disable_calls).
	Call Action = "call"
	// VideoCall is starting a video call (th_disable_calls, th_disable_video_calls).
	VideoCall Action = "video_call"
	// GroupCall is starting a group call (th_disable_calls, th_disable_group_calls).
	GroupCall Action = "group_call"
	// Hosted is using hosted mode: a key sealed on the server and opened
	// there (parley_hosted_mode forbidden).
	Hosted Action = "hosted"
)

// Actions lists every action, in a stable order.
func Actions() []Action {
	return []Action{CreateGroup, AddContact, EditProfile, UseWorkDirectory, Backup, ExportID, SafeBackup, Call, VideoCall, GroupCall, Hosted}
}

// ErrForbiddenByPolicy is what every refusal of Allows wraps: test for it
// with errors.Is.
var ErrForbiddenByPolicy = errors.New("forbidden by your organisation's policy")

// ForbiddenError is a refusal by policy: the action, the key that forbids
// it and a sentence for the person who asked.
type ForbiddenError struct {
	Action Action
	Key    string
	Reason string
}

func (e *ForbiddenError) Error() string {
	return fmt.Sprintf("%s (policy %s)", e.Reason, e.Key)
}

// Is makes errors.Is(err, ErrForbiddenByPolicy) true.
func (e *ForbiddenError) Is(target error) bool { return target == ErrForbiddenByPolicy }

// rule is one key that, when true, forbids an action.
type rule struct {
	key    string
	reason string
}

// rules says which keys forbid each action, checked in order: the first
// that forbids gives the reason.
func rules(a Action) []rule {
	calls := rule{DisableCalls, "your organisation has turned calls off"}
	backups := rule{DisableBackups, "your organisation does not allow backups"}
	switch a {
	case CreateGroup:
		return []rule{{DisableCreateGroup, "your organisation does not allow you to create groups"}}
	case AddContact:
		return []rule{{DisableAddContact, "your organisation allows you to write to people of your organisation only"}}
	case EditProfile:
		return []rule{{ReadonlyProfile, "your organisation manages your profile"}}
	case UseWorkDirectory:
		return []rule{{DisableWorkDirectory, "your organisation does not allow you to use the directory"}}
	case Backup:
		return []rule{backups}
	case ExportID:
		return []rule{backups, {DisableIDExport, "your organisation does not allow exporting your Parley ID"}}
	case SafeBackup:
		return []rule{backups}
	case Call:
		return []rule{calls}
	case VideoCall:
		return []rule{calls, {DisableVideoCalls, "your organisation has turned video calls off"}}
	case GroupCall:
		return []rule{calls, {DisableGroupCalls, "your organisation has turned group calls off"}}
	case Hosted:
		return []rule{} // parley_hosted_mode is an enum: see Allows
	}
	return nil
}

// Allows reports whether the effective values v let a user do a. A refusal
// is a *ForbiddenError (errors.Is(err, ErrForbiddenByPolicy)) naming the
// reason and the key. An action Allows does not know is refused, so a typo
// in a caller fails closed.
func Allows(v Values, a Action) error {
	rs := rules(a)
	if rs == nil {
		return &ForbiddenError{Action: a, Key: "-", Reason: fmt.Sprintf("unknown action %q", string(a))}
	}
	for _, r := range rs {
		if v.Bool(r.key) {
			return &ForbiddenError{Action: a, Key: r.key, Reason: r.reason}
		}
	}
	// th_safe_enable is the one key that forbids when false; true makes
	// the backup mandatory and unset leaves the choice to the user.
	if a == SafeBackup && v.String(SafeEnable) == "false" {
		return &ForbiddenError{Action: a, Key: SafeEnable, Reason: "your organisation has turned encrypted backups off"}
	}
	if a == Hosted && v.String(HostedMode) == "forbidden" {
		return &ForbiddenError{Action: a, Key: HostedMode,
			Reason: "your organisation requires your key to stay on your own device: use parley chat (local mode)"}
	}
	return nil
}
