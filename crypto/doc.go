// Package crypto holds Parley's cryptographic building blocks: Parley IDs,
// typed X25519 keys, message envelopes (NaCl box), Threema-compatible message
// padding, passphrase sealing (Argon2id + secretbox), fingerprints and the
// sealing of a user's device store (history at rest).
//
// The package does no I/O apart from reading randomness from the io.Reader it
// is given, and it is the only package in Parley that imports NaCl. It knows
// nothing about storage, SSH or the terminal.
//
// # Envelope (version 1)
//
// Every message travels as an envelope. All integers are big-endian.
//
//	offset  size  field
//	     0     1  version, 0x01
//	     1     1  flags (see Flag*)
//	     2     8  sender Parley ID, ASCII [A-Z0-9]
//	    10     8  recipient Parley ID, ASCII [A-Z0-9]
//	    18     8  message ID, random
//	    26     8  timestamp, Unix milliseconds as set by the sender
//	    34    24  nonce, random
//	    58     n  NaCl box (XSalsa20-Poly1305 over X25519) of the padded plaintext, n ≥ 16+1+1
//
// The header is not encrypted and not authenticated: the relay reads sender,
// recipient and flags to route the envelope. The box authenticates the pair of
// keys (a forged sender does not open), and the receiving core rejects a nonce
// it has already seen (replay).
//
// # Plaintext inside the box
//
// The plaintext follows Threema's published end-to-end message format:
//
//	type (1 byte) ‖ body ‖ padding
//
// Padding is PKCS#7-style: N bytes of value N, N random in 1..255 and raised so
// that body and padding together are at least 32 bytes long. A body is at
// most MaxBodyLen bytes: a text of MaxTextLen bytes plus room for a group
// header, a message ID and a quote line.
//
// # Message bodies
//
// The 1:1 bodies (bodies.go) follow Threema's layouts: a reply is a text
// starting "> quote #<16 hex>\n\n"; a location is "lat,lon\nlabel"; a poll
// setup is poll ID (8) ‖ compact JSON; a poll vote is creator ID (8) ‖ poll
// ID (8) ‖ JSON array of choice indexes; a file is compact JSON naming the
// blob and its key; a reaction is message ID (8) ‖ code (1); an edit is
// message ID (8) ‖ text; a delete is message ID (8).
//
// Every group type (0x41–0x94, see GroupType) has the body
//
//	group key (8 raw bytes) ‖ the 1:1 body of the base type
//
// except 0x4a (membership changed) and 0x4c (left), which are the key alone,
// and 0x4b (renamed), which is the key ‖ the new name.
//
// # Blobs
//
// A file is encrypted once with a random 32-byte key (blob.go), in chunks of
// 64 KiB of plaintext, each a secretbox under the nonce
// final (1) ‖ 15 zero bytes ‖ chunk index (8), so that truncated, reordered
// or extended blobs do not open.
package crypto
