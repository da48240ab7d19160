// Package relay stores and forwards envelopes. It checks what it can see —
// the envelope's layout and size, that the sender is the authenticated user,
// that the recipient may be reached, the sender's rate — appends the envelope
// to the recipient's mailbox durably, and announces it on the delivery bus to
// the recipient's live sessions. It never holds a key that opens an envelope.
//
// The Hub is the in-process delivery bus: each live session subscribes with a
// bounded queue; a session that falls behind is dropped from the bus and
// catches up from the mailbox when it next drains. Publishing never blocks
// on a subscriber.
//
// The relay knows nothing about SSH, HTTP or the terminal.
package relay
