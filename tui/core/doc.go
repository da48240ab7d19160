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
// Every value is sealed with the user's StoreKey (XChaCha20-Poly1305, bound
// to its space and key); keys are opaque tags, so the store learns only
// sizes, counts and times.
//
//	space  key                                                   value
//	conv   Tag("conv", peer)                                     Conversation
//	msg    Tag("conv", peer) ‖ time (8, ms) ‖ dir (1) ‖ msg ID (8) Message
//	ref    Tag("ref", peer, dir, msg ID)                         msg key (not sealed: tags only)
//	nonce  Tag("nonce", nonce)                                   time seen, for replay detection
package core
