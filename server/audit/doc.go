// Package audit is the tamper-evident audit log of administrative actions.
//
// Each entry carries the hash of the one before it and its own hash:
//
//	hash = SHA-256("parley audit v1" ‖ 0x00 ‖ JSON of the entry without its hash)
//
// where the JSON includes the previous hash and the sequence number. The
// store keeps the head (last sequence number and hash). Verify recomputes
// the chain, checks that every record is stored byte for byte as it was
// written, and reports the first entry that was edited, inserted or
// removed; a property test changes every byte of a stored log, one at a
// time, and requires each change to be caught. An attacker who can rewrite the whole file, head included, can
// forge a consistent log: keep an exported head outside the server to
// detect that.
//
// Entries are appended by the admin service in the same transaction as the
// action they record, so an action and its entry commit together or not
// at all. The package knows nothing about SSH, HTTP or the terminal.
package audit
