package core

import (
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

// Message is one message of a conversation as the user's store keeps it.
type Message struct {
	Peer     crypto.ID        `json:"peer"`
	ID       crypto.MessageID `json:"id"`
	Outgoing bool             `json:"out,omitempty"`
	// Time orders the conversation: the relay's arrival time for incoming
	// messages, the local send time for outgoing ones.
	Time time.Time `json:"time"`
	// SentAt is the sender's own timestamp from the envelope.
	SentAt time.Time `json:"sent_at"`
	Text   string    `json:"text"`
	State  State     `json:"state"`
	Error  string    `json:"error,omitempty"`
	// ReadSent records that a read receipt went out for an incoming message.
	ReadSent bool `json:"read_sent,omitempty"`
}

// Conversation is the summary of a 1:1 conversation.
type Conversation struct {
	Peer    crypto.ID `json:"peer"`
	Name    string    `json:"name"`
	LastAt  time.Time `json:"last_at"`
	Unread  int       `json:"unread"`
	Preview string    `json:"preview"`
}

// Title is the name to show for the conversation.
func (c Conversation) Title() string {
	if c.Name != "" {
		return c.Name
	}
	return c.Peer.String()
}

// Changes reports what a Sync changed.
type Changes struct {
	// Reload says conversations or messages changed: views should reload.
	Reload bool
	// Incoming lists new incoming messages, for notifications: at most the
	// 64 newest of one Sync.
	Incoming []Message
	// Settings says the user's restrictions may have changed: read them
	// again with Settings.
	Settings bool
}
