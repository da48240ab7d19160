// Package blobs keeps the encrypted files that file messages point to.
//
// A client encrypts a file once with a random key (crypto.EncryptBlob) and
// uploads the ciphertext here; the key travels only inside the end-to-end
// encrypted file message (type 0x17) to each recipient. The store never sees
// a key or a plaintext byte: a stolen disk or backup holds ciphertext only.
//
// # Layout
//
// Ciphertext lives in files under the store's directory (DATA/blobs):
//
//	blobs/
//	    tmp/                    uploads in progress (removed at start)
//	    <2 hex>/<32 hex>        one blob, named by its ID; the first two
//	                            characters of the ID name the folder
//
// An upload is written to tmp/, fsynced, renamed into place and recorded in
// the database in that order; a failure at any step removes what the upload
// wrote, so a refused or broken upload leaves nothing behind.
//
// The metadata (uploader, tenant, size, recipients, creation time) lives in
// the database, in a key space of the device-store tree that belongs to no
// user (the zero Parley ID, which no user can have):
//
//	devstore/<zero ID>/blobs/
//	    m <16-byte ID>                  → version ‖ JSON Meta
//	    u <uploader ID> <16-byte ID>    → size, 8 bytes big-endian (quota index)
//	    c <created, ns BE> <16-byte ID> → empty (expiry index)
//
// # Rules
//
//   - Put acts for the user in the context (auth.From). It refuses a file
//     over the uploader's parley_max_attachment_mib (ErrTooLarge) and one
//     that would take the uploader's stored files over
//     parley_storage_quota_mib (ErrQuota), before it reads the file when
//     the size is announced and as soon as the limit is passed when not.
//   - Get serves a blob only to its uploader and its listed recipients;
//     anybody else, of any tenant, gets ErrNotFound, as for a blob that does
//     not exist.
//   - Expire removes blobs older than their tenant's parley_retention_days
//     (the server-wide retention when the tenant set none).
//
// The package knows nothing about SSH or the chat: the fronts (scp, sftp)
// reach it through the hosted client core.
package blobs
