// Package core is Parley's client core: everything a chat client does that
// is not drawing. It unlocks the user's secret key, seals and opens
// envelopes, keeps the user's history in an encrypted device store, and
// talks to the relay.
//
// It reaches storage and the network only through the interfaces declared
// in service.go (Relay, Keys, Store), so that the same core runs inside the
// server for a hosted SSH session and, with other implementations, on the
// user's own machine. It imports no SSH, storage engine or terminal package.
//
// # Device store layout
//
// Records are sealed with the user's StoreKey (XChaCha20-Poly1305, bound to
// their space and key). Keys start with opaque tags, so the store cannot tell
// which conversation an entry belongs to; it does see sizes, counts, each
// message's time and direction, and its message ID — the same ID the
// envelope header carried through the mailbox.
//
//	space    key                                                    value
//	conv     Tag("conv", conv)                                      sealed Conversation
//	msg      Tag("conv", conv) ‖ time (8, Unix ns) ‖ dir (1) ‖ ID (8) sealed Message
//	ref      Tag("ref", conv, dir, ID)                              the msg key (tags and times only)
//	ref      Tag("poll", creator, poll ID)                          the msg key of a poll
//	nonce    Tag("nonce", nonce)                                    0x01: seen, for replay detection
//	local    Tag("local", name)                                     sealed PIN hash / preferences / drafts
//	contact  Tag("contact", ID)                                     sealed contact record
//
// conv is the peer's 8-byte ID for a 1:1 conversation (as before
// conversations had kinds, so older stores open unchanged), "g:" and the
// group key for a group, "l:" and the list ID for a distribution list.
// Groups live in the server's registry; distribution lists only here.
package core
