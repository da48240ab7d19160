package policy

import (
	"slices"
	"strings"
	"time"
)

// Type is the type of a policy key's values.
type Type string

// The types of policy values.
const (
	// TypeBool is true or false.
	TypeBool Type = "bool"
	// TypeInt is a decimal integer between the key's Min and Max.
	TypeInt Type = "int"
	// TypeString is free text on one line.
	TypeString Type = "string"
	// TypeEnum is one of the key's Enum values.
	TypeEnum Type = "enum"
	// TypeDuration is a Go duration ("15m", "1h30m") between Min and Max
	// (nanoseconds).
	TypeDuration Type = "duration"
	// TypeSchedule is a quiet-hours schedule: "ZONE SPEC", e.g.
	// "Europe/Zurich Mon-Fri 18:00-08:00; Sat,Sun all-day"; empty: none.
	TypeSchedule Type = "schedule"
	// TypeTenants is a comma-separated list of tenant names.
	TypeTenants Type = "tenants"
)

// Key is one policy key of the registry.
type Key struct {
	Name string
	Type Type
	// Default is the canonical value in effect when nothing is set.
	Default     string
	Description string
	// PerUser keys may be set for single users; the others only for the
	// whole tenant.
	PerUser bool
	// Enum lists the values of a TypeEnum key.
	Enum []string
	// Min and Max bound a TypeInt key's values, and a TypeDuration key's
	// in nanoseconds. Both zero: no bounds.
	Min, Max int64
}

// The policy keys. The th_* names are those of Threema Work's app
// configuration, where Parley has the same concept.
const (
	BlockUnknown         = "th_block_unknown"
	DisableAddContact    = "th_disable_add_contact"
	ReadonlyProfile      = "th_readonly_profile"
	DisableCreateGroup   = "th_disable_create_group"
	DisableWorkDirectory = "th_disable_work_directory"
	DisableCalls         = "th_disable_calls"
	DisableVideoCalls    = "th_disable_video_calls"
	DisableGroupCalls    = "th_disable_group_calls"
	DisableBackups       = "th_disable_backups"
	DisableIDExport      = "th_disable_id_export"
	SafeEnable           = "th_safe_enable"
	FirstName            = "th_firstname"
	LastName             = "th_lastname"
	Nickname             = "th_nickname"
	Category             = "th_category"
	CSI                  = "th_csi"
	RetentionDays        = "parley_retention_days"
	MaxAttachmentMiB     = "parley_max_attachment_mib"
	UnlockWindow         = "parley_unlock_window"
	StorageQuotaMiB      = "parley_storage_quota_mib"
	UserQuietHours       = "parley_user_quiet_hours"
	QuietHours           = "parley_quiet_hours"
	CrossTenant          = "parley_cross_tenant"
	AlarmSend            = "parley_alarm_send"
	HostedMode           = "parley_hosted_mode"
	MultiDevice          = "parley_multi_device"
	TypingIndicators     = "parley_typing_indicators"
	Presence             = "parley_presence"
)

// MaxStringLen bounds a TypeString value, in characters.
const MaxStringLen = 200

// registry returns the keys, sorted by name. It builds a new slice on every
// call: callers may keep or change what they get.
func registry() []Key {
	keys := []Key{
		{Name: BlockUnknown, Type: TypeBool, Default: "false", PerUser: true,
			Description: "Deliver messages to the user only from users of the same tenant and contacts the admins provided " +
				"(closed user group, together with th_disable_add_contact)."},
		{Name: DisableAddContact, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user may write only to users of the same tenant and contacts the admins provided: " +
				"no new contacts outside (closed user group)."},
		{Name: ReadonlyProfile, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user cannot change their own profile (nickname and the other profile fields); admins still can."},
		{Name: DisableCreateGroup, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user cannot create group chats. Set it globally and to false for the users who may."},
		{Name: DisableWorkDirectory, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user cannot search the company directory."},
		{Name: DisableCalls, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user can neither place nor receive calls (audio, video and group)."},
		{Name: DisableVideoCalls, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user's calls are audio only."},
		{Name: DisableGroupCalls, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user can neither start nor join group calls."},
		{Name: DisableBackups, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user can make no backup of any kind; this overrides th_safe_enable and th_disable_id_export."},
		{Name: DisableIDExport, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user cannot export their Parley ID and its key."},
		{Name: SafeEnable, Type: TypeEnum, Enum: []string{"true", "false"}, PerUser: true,
			Description: "Encrypted backups of ID and settings (Threema Safe in Threema Work): true makes them mandatory, " +
				"false impossible; not set (the default), each user decides."},
		{Name: FirstName, Type: TypeString, PerUser: true,
			Description: "First name filled into the user's profile at enrolment."},
		{Name: LastName, Type: TypeString, PerUser: true,
			Description: "Last name filled into the user's profile at enrolment."},
		{Name: Nickname, Type: TypeString, PerUser: true,
			Description: "Nickname filled into the user's profile at enrolment."},
		{Name: Category, Type: TypeString, PerUser: true,
			Description: "Category (e.g. a department) filled into the user's profile at enrolment."},
		{Name: CSI, Type: TypeString, PerUser: true,
			Description: "Customer-specific identifier (CSI) stored with the user's profile at enrolment."},
		{Name: RetentionDays, Type: TypeInt, Default: "30", Min: 1, Max: 3650,
			Description: "Days an undelivered message waits in the server's mailbox before it expires."},
		{Name: MaxAttachmentMiB, Type: TypeInt, Default: "100", Min: 1, Max: 10240,
			Description: "Largest file a user of the tenant may send, in MiB."},
		{Name: UnlockWindow, Type: TypeDuration, Default: "15m0s", Min: 0, Max: int64(24 * time.Hour),
			Description: "How long non-interactive commands that need the user's key (scp, files) keep working after " +
				"`ssh HOST unlock` or after the user's last chat session closed (up to 24h); 0 turns the window off: " +
				"they work only while a chat session is open."},
		{Name: StorageQuotaMiB, Type: TypeInt, Default: "1024", Min: 1, Max: 1 << 20, PerUser: true,
			Description: "Most space the files a user sent may take on the server at a time, in MiB; " +
				"a file leaves it when it expires with the tenant's retention."},
		{Name: UserQuietHours, Type: TypeBool, Default: "false", PerUser: true,
			Description: "Users may set their own quiet hours (/quiet in the chat), replacing the tenant's schedule for them."},
		{Name: QuietHours, Type: TypeSchedule, PerUser: true,
			Description: "Quiet hours: when no notification is raised and calls are rejected. " +
				`"ZONE SPEC", e.g. "Europe/Zurich Mon-Fri 18:00-08:00; Sat,Sun all-day"; empty: none.`},
		{Name: HostedMode, Type: TypeEnum, Enum: []string{"allowed", "forbidden"}, Default: "allowed", PerUser: true,
			Description: "Whether the user may use hosted mode (ssh -t HOST: the chat runs in the server, which opens their key " +
				"while they are connected). forbidden: the key stays on the user's device — enrolment only with " +
				"parley chat --activate, no hosted chat, unlock, scp or files; hosted users move with parley chat --migrate. " +
				"A tenant that wants end-to-end encryption against the server's operator forbids it."},
		{Name: MultiDevice, Type: TypeBool, Default: "true", PerUser: true,
			Description: "The user may chat from several devices at once (a hosted session and local clients, or several " +
				"machines): each receives every message, and what one sends shows on the others. false: one device only — " +
				"another is refused until an admin removes the first (device remove) or the user moves to local mode."},
		{Name: AlarmSend, Type: TypeBool, Default: "false", PerUser: true,
			Description: "The user may send alarm messages (/alarm in the chat), which ring even during the recipients' " +
				"quiet hours. Give it to the few who must reach people at night (operations, safety officers)."},
		{Name: TypingIndicators, Type: TypeBool, Default: "true", PerUser: true,
			Description: "Typing indicators in 1:1 chats with users of the same tenant: false, the user neither sends " +
				"nor sees them (the relay drops them). Users may also turn them off for themselves (/typing off)."},
		{Name: Presence, Type: TypeBool, Default: "true", PerUser: true,
			Description: "Whether the user's contacts of the same tenant see them online, away or in quiet hours: false, " +
				"the server tells nobody, and the user sees no one's. Users may also hide their own (/presence off)."},
		{Name: CrossTenant, Type: TypeTenants,
			Description: "Other tenants (names, comma-separated) whose users may exchange messages with this tenant's. " +
				"A message crosses only when both tenants list each other."},
	}
	slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
	return keys
}

// Registry returns every policy key, sorted by name.
func Registry() []Key { return registry() }

// Lookup returns the key with this name.
func Lookup(name string) (Key, bool) {
	for _, k := range registry() {
		if k.Name == name {
			return k, true
		}
	}
	return Key{}, false
}

// Names returns the names of every key, sorted.
func Names() []string {
	keys := registry()
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = k.Name
	}
	return out
}
