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
//	space  key                                                    value
//	conv   Tag("conv", peer)                                      sealed Conversation
//	msg    Tag("conv", peer) ‖ time (8, Unix ns) ‖ dir (1) ‖ ID (8) sealed Message
//	ref    Tag("ref", peer, dir, ID)                              the msg key (tags and times only)
//	nonce  Tag("nonce", nonce)                                    0x01: seen, for replay detection
package core
