package proto

import "time"

// Error is the payload of an Error frame: a stable code for programs and
// a message for the user.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error codes.
const (
	CodeBadFrame    = "bad_frame"    // the frame or its payload is malformed: the connection ends
	CodeVersion     = "version"      // no version in common: the connection ends
	CodeUnknown     = "unknown"      // a request kind this server does not know
	CodeForbidden   = "forbidden"    // the key or the user may not do this
	CodeNotFound    = "not_found"    // no such user, or one the caller may not reach
	CodeRateLimited = "rate_limited" // sending too fast
	CodeInvalid     = "invalid"      // a well-formed request the service refused
	CodeInternal    = "internal"     // the server failed; the message says no more
)

// SendRequest submits one envelope (KindSend).
type SendRequest struct {
	Envelope []byte `json:"envelope"`
}

// Sent is where the relay stored an envelope.
type Sent struct {
	Seq      uint64    `json:"seq"`
	Received time.Time `json:"received"`
}

// SendBatchRequest submits the envelopes of one message to several
// recipients (KindSendBatch), at most MaxBatch.
type SendBatchRequest struct {
	Envelopes [][]byte `json:"envelopes"`
}

// MaxBatch bounds a batch, as the relay does.
const MaxBatch = 1024

// SendBatchResult has one slot per envelope: Sent, or the refusal.
type SendBatchResult struct {
	Sent   []Sent   `json:"sent"`
	Errors []*Error `json:"errors"`
}

// FetchRequest lists waiting envelopes after a sequence number
// (KindFetch); Limit is at most MaxFetch.
type FetchRequest struct {
	After uint64 `json:"after"`
	Limit int    `json:"limit"`
}

// MaxFetch bounds a page of envelopes.
const MaxFetch = 500

// Delivery is a waiting envelope.
type Delivery struct {
	Seq      uint64    `json:"seq"`
	Received time.Time `json:"received"`
	Envelope []byte    `json:"envelope"`
}

// FetchResult is a page of envelopes, oldest first.
type FetchResult struct {
	Deliveries []Delivery `json:"deliveries"`
}

// AckRequest removes processed envelopes (KindAck), at most MaxAck.
type AckRequest struct {
	Seqs []uint64 `json:"seqs"`
}

// MaxAck bounds an acknowledgement, as the relay does.
const MaxAck = 1000

// AckResult says, per sequence number, whether this call removed it.
type AckResult struct {
	Removed []bool `json:"removed"`
}

// ContactRequest looks up another user (KindContact).
type ContactRequest struct {
	ID string `json:"id"`
}

// Contact is another user as the directory shows them.
type Contact struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	PublicKey []byte `json:"public_key"`
	Internal  bool   `json:"internal"`
	Nickname  string `json:"nickname,omitempty"`
	NameSet   bool   `json:"name_set"`
	// Presence is "online", "away" or "quiet" for a contact of the same
	// tenant whose policy and own setting allow it; absent otherwise.
	Presence string `json:"presence,omitempty"`
}

// FindRequest searches the company directory (KindFind).
type FindRequest struct {
	Query string `json:"query"`
	Limit int    `json:"limit"`
}

// Entry is a user the directory lists.
type Entry struct {
	ID           string   `json:"id"`
	Name         string   `json:"name"`
	Nickname     string   `json:"nickname,omitempty"`
	Category     string   `json:"category,omitempty"`
	Tags         []string `json:"tags,omitempty"`
	Internal     bool     `json:"internal"`
	Organisation string   `json:"organisation,omitempty"`
}

// FindResult is what a search found.
type FindResult struct {
	Entries []Entry `json:"entries"`
}

// Event is a push (KindPush) after KindSubscribe.
type Event struct {
	// Kind is "mail" (Delivery is set), "device_store" (another session of
	// the user changed its store), "groups" (read them again), "settings"
	// (the policies in force for the user may have changed: KindSettings
	// again) or "behind" (events were dropped: fetch from the mailbox).
	Kind     string    `json:"kind"`
	Delivery *Delivery `json:"delivery,omitempty"`
}

// MaxGroupMembers bounds the IDs of one group request, as the registry
// bounds a group.
const MaxGroupMembers = 1250

// GroupInfo is a group as the registry shows it to a member. IDs are
// Parley IDs (8 characters); Members includes the admins.
type GroupInfo struct {
	Key     string   `json:"key"` // 16 lower-case hex characters
	Name    string   `json:"name"`
	Managed bool     `json:"managed"` // made by the organisation's admins: fixed membership
	Creator string   `json:"creator"`
	Admins  []string `json:"admins"`
	Members []string `json:"members"`
}

// GroupList is the caller's groups (KindGroupsMine), by name.
type GroupList struct {
	Groups []GroupInfo `json:"groups"`
}

// GroupCreateRequest makes a group with the caller as creator and admin
// (KindGroupCreate); Members are the others, at most MaxGroupMembers.
type GroupCreateRequest struct {
	Name    string   `json:"name"`
	Members []string `json:"members"`
}

// GroupRequest names one of the caller's groups (KindGroup,
// KindGroupLeave).
type GroupRequest struct {
	Key string `json:"key"`
}

// GroupMembersRequest adds or removes members (KindGroupAdd,
// KindGroupRemove), at most MaxGroupMembers.
type GroupMembersRequest struct {
	Key string   `json:"key"`
	IDs []string `json:"ids"`
}

// GroupRenameRequest renames a group (KindGroupRename).
type GroupRenameRequest struct {
	Key  string `json:"key"`
	Name string `json:"name"`
}

// GroupAdminRequest makes a member an admin or a plain member
// (KindGroupAdmin).
type GroupAdminRequest struct {
	Key   string `json:"key"`
	ID    string `json:"id"`
	Admin bool   `json:"admin"`
}

// Settings are the rules in force for the user now (KindSettings), as
// core.Restrictions holds them. Times are zero (omitted) when they do not
// apply.
type Settings struct {
	// Forbidden maps a feature (core.Feature…) to the reason, for the user.
	Forbidden       map[string]string `json:"forbidden"`
	Quiet           bool              `json:"quiet"`
	QuietUntil      time.Time         `json:"quiet_until,omitzero"`
	NextChange      time.Time         `json:"next_change,omitzero"`
	QuietSchedule   string            `json:"quiet_schedule,omitempty"`
	QuietZone       string            `json:"quiet_zone,omitempty"`
	QuietOwn        bool              `json:"quiet_own"`
	UserQuietHours  bool              `json:"user_quiet_hours"`
	ReadonlyProfile bool              `json:"readonly_profile"`
}

// NicknameRequest changes the user's nickname (KindSetNickname); "" clears
// it.
type NicknameRequest struct {
	Name string `json:"name"`
}

// QuietHoursRequest sets the user's own quiet hours (KindSetQuietHours): a
// schedule such as "Mon-Fri 18:00-08:00" in an IANA time zone.
type QuietHoursRequest struct {
	Zone string `json:"zone"`
	Spec string `json:"spec"`
}

// PresenceRequest sets whether the user's contacts see their presence
// (KindSetPresence).
type PresenceRequest struct {
	Show bool `json:"show"`
}

// MaxBlobChunk bounds the data of one upload chunk (KindBlobPutChunk) and
// of one download range (KindBlobGet): 512 KiB, which base64 in JSON keeps
// well under MaxFrame.
const MaxBlobChunk = 512 << 10

// MaxBlobUploads bounds the uploads one channel has open at once: a
// KindBlobPutBegin beyond it is refused (CodeRateLimited).
const MaxBlobUploads = 4

// BlobPutBeginRequest opens an upload (KindBlobPutBegin) of Size bytes of
// ciphertext, -1 when unknown (the limits then apply as the bytes
// arrive), that the uploader and the Recipients (Parley IDs) may fetch.
type BlobPutBeginRequest struct {
	Size       int64    `json:"size"`
	Recipients []string `json:"recipients"`
}

// BlobUpload names an open upload of this channel: the answer to
// KindBlobPutBegin, the request of KindBlobPutEnd and KindBlobPutCancel.
type BlobUpload struct {
	Upload string `json:"upload"`
}

// BlobPutChunkRequest adds Data (at most MaxBlobChunk bytes) to an upload
// (KindBlobPutChunk). Offset is the number of bytes sent before it: chunks
// come in order, without gaps or overlaps.
type BlobPutChunkRequest struct {
	Upload string `json:"upload"`
	Offset int64  `json:"offset"`
	Data   []byte `json:"data"`
}

// BlobRef names a stored blob, 32 lower-case hex characters: the answer to
// KindBlobPutEnd, the request of KindBlobDelete.
type BlobRef struct {
	Blob string `json:"blob"`
}

// BlobGetRequest reads up to Limit bytes (at most MaxBlobChunk; 0:
// MaxBlobChunk) of a blob from Offset (KindBlobGet).
type BlobGetRequest struct {
	Blob   string `json:"blob"`
	Offset int64  `json:"offset"`
	Limit  int    `json:"limit"`
}

// BlobRange is a range of a blob and the blob's whole Size in bytes. Data
// is shorter than the limit asked only where the blob ends.
type BlobRange struct {
	Data []byte `json:"data"`
	Size int64  `json:"size"`
}
