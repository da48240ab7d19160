package backup

import "errors"

// Errors returned by the package.
var (
	// ErrCorrupt reports an archive whose contents do not match its
	// manifest, or that is not a Parley backup at all.
	ErrCorrupt = errors.New("backup archive is corrupt")
	// ErrTruncated reports an archive that ends before its manifest.
	ErrTruncated = errors.New("backup archive is truncated")
	// ErrFormat reports an archive of a format this binary does not read.
	ErrFormat = errors.New("backup archive format not supported")
	// ErrTargetNotEmpty reports a restore into a directory that holds files.
	ErrTargetNotEmpty = errors.New("target directory is not empty")
)
