// Package backup writes, checks and restores a backup of a Parley data
// directory: one tar archive with a consistent copy of the database, the
// files it needs beside it, and a manifest of checksums.
//
// # Consistency
//
// The database is copied inside one read transaction (store.Snapshot):
// writes go on while it runs, and the copy is the state at the moment the
// transaction began. In the same transaction the backup lists the
// attachments (blobs) that state records; it copies exactly those files
// after the transaction ends. An attachment's file is complete on disk
// before its record commits, so every listed file is whole. Uploads that
// commit after the snapshot are not in it and their files are not copied;
// neither are files on disk with no record. A listed file that the running
// server removes before it is copied (the file expired or its uploader
// withdrew it in the meantime) is left out and named in the manifest's
// "gone" list; the restored server answers "not found" for it, as the
// running one does by then.
//
// # Archive format (version 1)
//
// A POSIX tar stream of regular files, mode 0600, in this order:
//
//	parley.db                       the database (store.FileName)
//	<extra file>                    files of the data directory the caller
//	                                names, such as the SSH host key, when present
//	blobs/<2 hex>/<32 hex>          one attachment's ciphertext, in ID order
//	manifest.json                   the manifest, always last
//
// The manifest is JSON:
//
//	{"format": 1, "created": RFC 3339 time, "parley_version": "...",
//	 "schema": database schema version,
//	 "files": [{"path": "parley.db", "size": bytes, "sha256": hex}, ...],
//	 "gone": ["blobs/..", ...]}
//
// It comes last because the archive is written in one pass (it can be
// streamed over SSH) and the checksums are known only once each file is
// written. Reading checks every file's size and SHA-256 against it, that
// no file is missing, extra or repeated, that every path is one of the
// forms above, and that nothing follows the manifest.
//
// # Restore
//
// Restore writes into a new directory beside the target, checks everything
// above and that the database opens with the schema the manifest names,
// and only then renames it into place: a corrupt or truncated archive
// leaves nothing behind. Directories are created 0700, files 0600, as the
// server creates them.
//
// The package knows nothing about SSH or HTTP: fronts hand it a writer.
// What a backup holds is as sensitive as the data directory: the sealed
// keys and the directory in the database, and the SSH host key.
package backup
