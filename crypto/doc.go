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
// that body and padding together are at least 32 bytes long.
package crypto
