package store

import "errors"

// Errors returned by the store.
var (
	// ErrNotFound reports a record that does not exist.
	ErrNotFound = errors.New("not found")
	// ErrClosed reports an operation on a closed store.
	ErrClosed = errors.New("store closed")
	// ErrLocked reports a data directory another process holds open.
	ErrLocked = errors.New("database is in use by another process")
	// ErrNewerSchema reports a database written by a newer Parley.
	ErrNewerSchema = errors.New("database schema is newer than this binary")
	// ErrCorrupt reports a record that does not decode.
	ErrCorrupt = errors.New("corrupt record")
)
