package core

import (
	"encoding/json"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// State is the delivery state of a message.
type State uint8

// Message states, in order: a state only ever moves forward.
const (
	StatePending   State = iota + 1 // written locally, not yet accepted by the relay
	StateFailed                     // the relay refused it
	StateSent                       // stored by the relay
	StateDelivered                  // the recipient's device received it
	StateRead                       // the recipient read it
	StateReceived                   // incoming: received
)

func (s State) String() string {
	switch s {
	case StatePending:
		return "sending"
	case StateFailed:
		return "failed"
	case StateSent:
		return "sent"
	case StateDelivered:
		return "delivered"
	case StateRead:
		return "read"
	case StateReceived:
		return "received"
	}
	return "unknown"
}

// ConvKind says what kind of conversation a ConvRef names.
type ConvKind uint8

// Conversation kinds.
const (
	ConvDirect ConvKind = iota + 1 // with one other user
	ConvGroup                      // a group the server holds
	ConvList                       // a distribution list: one message, sent 1:1 to each member
)

// ConvRef names a conversation: a peer, a group or a distribution list.
type ConvRef struct {
	Kind  ConvKind  `json:"k"`
	Peer  crypto.ID `json:"p,omitzero"`  // ConvDirect
	Group string    `json:"g,omitempty"` // ConvGroup: the server's group key
	List  string    `json:"l,omitempty"` // ConvList: the list's local ID (16 hex)
}

// Direct names the 1:1 conversation with id.
func Direct(id crypto.ID) ConvRef { return ConvRef{Kind: ConvDirect, Peer: id} }

// GroupConv names the conversation of the group with the server key key.
func GroupConv(key string) ConvRef { return ConvRef{Kind: ConvGroup, Group: key} }

// ListConv names the distribution list with the local ID id.
func ListConv(id string) ConvRef { return ConvRef{Kind: ConvList, List: id} }

// String returns "ABCD1234", "group:<key>" or "list:<id>".
func (r ConvRef) String() string {
	switch r.Kind {
	case ConvGroup:
		return "group:" + r.Group
	case ConvList:
		return "list:" + r.List
	}
	return r.Peer.String()
}

// IsZero reports an unset reference.
func (r ConvRef) IsZero() bool { return r.Kind == 0 }

// tagBytes is what the device store's keys derive from: the peer's ID
// for 1:1 conversations (as before conversations had kinds), a prefixed
// name otherwise.
func (r ConvRef) tagBytes() []byte {
	switch r.Kind {
	case ConvGroup:
		return []byte("g:" + r.Group)
	case ConvList:
		return []byte("l:" + r.List)
	}
	return r.Peer[:]
}

// MessageKind says what a message carries.
type MessageKind uint8

// Message kinds.
const (
	KindText     MessageKind = iota + 1
	KindLocation             // coordinates and a label
	KindFile                 // an attachment
	KindPoll                 // a poll and its votes
	KindSystem               // an event of the conversation: members added, renamed
)

// Poll is a poll and the votes seen so far.
type Poll struct {
	// ID is the poll's own ID (votes name it with the creator's ID).
	ID       crypto.MessageID `json:"id"`
	Question string           `json:"q"`
	Choices  []string         `json:"c"`
	Multi    bool             `json:"m,omitempty"`
	Closed   bool             `json:"x,omitempty"`
	Creator  crypto.ID        `json:"by"`
	// Votes are each voter's chosen choice indexes; an empty choice is
	// no vote.
	Votes map[crypto.ID][]int `json:"v,omitempty"`
}

// Results counts the votes per choice.
func (p Poll) Results() []int {
	out := make([]int, len(p.Choices))
	for _, cs := range p.Votes {
		for _, i := range cs {
			if i >= 0 && i < len(out) {
				out[i]++
			}
		}
	}
	return out
}

// FileInfo is an attachment: where its ciphertext is and the key that opens it.
type FileInfo struct {
	Blob    string   `json:"b"`
	Key     [32]byte `json:"k"`
	Name    string   `json:"n"`
	Mime    string   `json:"m,omitempty"`
	Caption string   `json:"d,omitempty"`
	Size    int64    `json:"s"`
}

// Message is one message of a conversation as the user's store keeps it.
type Message struct {
	Conv ConvRef `json:"conv"`
	// From is the sender: the user for outgoing messages.
	From     crypto.ID        `json:"from,omitzero"`
	ID       crypto.MessageID `json:"id"`
	Outgoing bool             `json:"out,omitempty"`
	// Time orders the conversation: the relay's arrival time for incoming
	// messages, the local send time for outgoing ones.
	Time time.Time `json:"time"`
	// SentAt is the sender's own timestamp from the envelope.
	SentAt time.Time   `json:"sent_at"`
	Kind   MessageKind `json:"kind,omitempty"`
	Text   string      `json:"text"`
	State  State       `json:"state"`
	Error  string      `json:"error,omitempty"`
	// ReadSent records that a read receipt went out for an incoming message.
	ReadSent bool `json:"read_sent,omitempty"`
	// ReplyTo is the message this one answers, and Quote a preview of it.
	ReplyTo *crypto.MessageID `json:"reply_to,omitempty"`
	Quote   string            `json:"quote,omitempty"`
	// Edited is when the sender last changed the text; Deleted says the
	// sender deleted the message for everyone.
	Edited  time.Time `json:"edited,omitzero"`
	Deleted bool      `json:"deleted,omitempty"`
	// DeletedHere says the user deleted it from this history only.
	DeletedHere bool `json:"deleted_here,omitempty"`
	// Alarm marks an alarm: it notifies even in quiet hours.
	Alarm    bool        `json:"alarm,omitempty"`
	Agree    []crypto.ID `json:"agree,omitempty"`
	Disagree []crypto.ID `json:"disagree,omitempty"`

	Location *crypto.Location `json:"loc,omitempty"`
	Poll     *Poll            `json:"poll,omitempty"`
	File     *FileInfo        `json:"file,omitempty"`
	// Recipients are, for an outgoing group message, each member's state.
	Recipients map[crypto.ID]State `json:"rs,omitempty"`
}

// UnmarshalJSON reads a message record, also one written before
// conversations had kinds (a "peer" instead of "conv").
func (m *Message) UnmarshalJSON(b []byte) error {
	type plain Message
	var v struct {
		plain
		Peer crypto.ID `json:"peer,omitzero"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*m = Message(v.plain)
	if m.Conv.IsZero() && !v.Peer.IsZero() {
		m.Conv = Direct(v.Peer)
	}
	if m.Kind == 0 {
		m.Kind = KindText
	}
	if m.From.IsZero() && m.Conv.Kind == ConvDirect && !m.Outgoing {
		m.From = m.Conv.Peer
	}
	return nil
}

// ReadCount reports, for an outgoing group message, how many members
// have read it out of how many it went to.
func (m Message) ReadCount() (read, of int) {
	for _, st := range m.Recipients {
		if st >= StateRead && st != StateReceived {
			read++
		}
	}
	return read, len(m.Recipients)
}

// Conversation is the summary of a conversation.
type Conversation struct {
	Ref     ConvRef   `json:"ref"`
	Name    string    `json:"name"`
	LastAt  time.Time `json:"last_at"`
	Unread  int       `json:"unread"`
	Preview string    `json:"preview"`
	// Members are the members of a group (the user included) or a list.
	Members []crypto.ID `json:"members,omitempty"`
	// Admins are a group's admins.
	Admins []crypto.ID `json:"admins,omitempty"`
	// Managed says an admin manages the group: its membership is fixed.
	Managed bool `json:"managed,omitempty"`
	// Left says the user is no longer a member: the history stays, read-only.
	Left bool `json:"left,omitempty"`
	// LastSent is, per sender, the newest sender's stamp stored: a message
	// stamped later arrived in order and needs no placing (placeBySender).
	LastSent map[crypto.ID]time.Time `json:"last_sent,omitempty"`
	// Hidden is a hidden chat, shown only after the PIN.
	Hidden bool `json:"hidden,omitempty"`
}

// UnmarshalJSON reads a conversation record, also one written before
// conversations had kinds (a "peer" instead of "ref").
func (c *Conversation) UnmarshalJSON(b []byte) error {
	type plain Conversation
	var v struct {
		plain
		Peer crypto.ID `json:"peer,omitzero"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Conversation(v.plain)
	if c.Ref.IsZero() && !v.Peer.IsZero() {
		c.Ref = Direct(v.Peer)
	}
	return nil
}

// Title is the name to show for the conversation.
func (c Conversation) Title() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Ref.String()
}

// Changes reports what a Sync changed.
type Changes struct {
	// Reload says conversations or messages changed in a way Updated does
	// not describe: views should read everything again.
	Reload bool
	// Updated are the message records the sync wrote, when that is all it
	// changed besides conversation summaries: new incoming messages and
	// outgoing ones a receipt moved on, as stored (oldest change first).
	// Without Reload, a view may put them in place and read only the
	// conversation list again. At most maxUpdated; more set Reload.
	Updated []Message
	// Incoming lists new incoming messages, for notifications: at most the
	// 64 newest of one Sync.
	Incoming []Message
	// Settings says the user's restrictions may have changed: read them
	// again with Settings.
	Settings bool
	// Typing is set when who types changed: the peers who type now in a
	// 1:1 chat, each until when (by the core's clock). Nil: no change.
	Typing map[crypto.ID]time.Time

	// groupsChanged says a group control message arrived: the core reads
	// the user's groups from the registry after the batch.
	groupsChanged bool
}
