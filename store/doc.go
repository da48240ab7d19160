// Package store is Parley's persistence: the transaction interface the
// services program against (DB, Tx), the records they keep, and its bbolt
// implementation. It is the only package that imports bbolt.
//
// # Writes: one committer
//
// bbolt has one writer. Every Update is queued to a single commit loop, which
// drains the queue and runs the pending functions in one transaction with one
// fsync (group commit); each caller waits for the commit that holds its
// write. A function that fails is rolled back alone: the loop re-runs the
// rest of its batch without it. Update functions therefore must be fast,
// must touch nothing but the transaction, and may run more than once.
//
// # Bucket tree (schema version 4)
//
//	meta/
//	    schema                  → uint64, big-endian
//	tenants/
//	    <tenant id>             → Tenant
//	tenant_names/
//	    <lower-case name>       → tenant id
//	domains/
//	    <lower-case domain>     → tenant id (a domain belongs to one tenant)
//	users/
//	    <Parley ID>             → User
//	user_emails/
//	    <lower-case e-mail>     → Parley ID
//	activations/
//	    <SHA-256 of the code>   → Activation
//	tenant_users/
//	    <tenant id> 0x00 <ID>   → empty (index)
//	devices/
//	    <SSH key fingerprint>   → Device (an SSH key bound to a user)
//	user_devices/
//	    <ID> 0x00 <fingerprint> → empty (index)
//	admins/
//	    <fingerprint> 0x00 <tenant id> → Admin (tenant id empty: instance admin)
//	totp/
//	    <fingerprint>           → TOTP (an admin key's second factor)
//	licenses/
//	    <tenant id> 0x00 <id>   → License (a license package)
//	groups/
//	    <tenant id> 0x00 <id>   → Group (a managed or a user group)
//	group_keys/
//	    <group key>             → <tenant id> 0x00 <group id> (index)
//	member_groups/
//	    <Parley ID> <group key> → empty (index: the groups of a member)
//	audit/
//	    <seq>                   → AuditEntry, hash-chained; meta/audit_head → seq ‖ hash
//	apikeys/
//	    <id>                    → APIKey (the key's SHA-256, never the key)
//	apikey_hashes/
//	    <SHA-256 of the key>    → id
//	exports/
//	    <id>                    → Export (a four-eyes export request)
//	stats/
//	    <tenant id> 0x00 msgs/<YYYY-MM-DD> → uint64 messages sent that day
//	policies/
//	    <tenant id> 0x00 0x00 <key>     → string: the tenant's global value
//	    <tenant id> 0x00 <ID> 0x00 <key> → string: the user's individual value
//	mailbox/                    a log in arrival order
//	    <seq>                   → version ‖ recipient ID ‖ received ‖ envelope
//	                              (version 2: received in Unix ns; version 1: in ms)
//	cursors/                    one delivery cursor per device of a user
//	    <Parley ID> <device>    → version ‖ from seq ‖ added (Unix ns)
//	mail_acks/
//	    <seq> <device>          → 1: the device acknowledged seq
//	devstore/
//	    <Parley ID>/            one bucket per user: the user's sealed device store
//	        <space>/            opaque keys → sealed values, written by the user's core
//
// The mailbox is a log keyed by one global sequence, so a batch of appends
// for any number of recipients touches only the right edge of the tree; an
// in-memory index (recipient → sequence numbers) is rebuilt from the log at
// open and updated after each commit. Expiry walks the log from its start.
//
// A user reads their mailbox from one or more devices: "hosted" (the server's
// hosted core) and "key:<fingerprint>" for each SSH key that speaks the
// client protocol. An envelope leaves the log when every device registered
// before it arrived acknowledged it; a device registered later starts after
// the sequence current at its registration (a user's first device takes what
// waits). Removing a device drops its cursor.
//
// Records are JSON behind a one-byte record version. Sequence numbers are
// big-endian uint64 so that byte order is numeric order.
//
// # Snapshots
//
// Snapshot runs a function in one read transaction and can write the whole
// file as of that transaction (bbolt's Tx.WriteTo): the consistent copy a
// backup takes while writers go on. OpenReadOnly opens a stopped data
// directory's file read-only (a shared lock, ErrLocked while a server holds
// it) for the same. A commit that must grow the file waits for open read
// transactions, so a snapshot should be copied locally and ended quickly.
//
// # Schema versions
//
// meta/schema holds the version the file was written with. Open runs the
// ordered migrations from that version to SchemaVersion, each in its own
// transaction, and refuses a file from a newer Parley.
package store
