package backup

import (
	"regexp"
	"time"

	"github.com/parley-chat/parley/store"
)

// Format is the archive format this package writes and reads.
const Format = 1

// ManifestName is the manifest's path in the archive.
const ManifestName = "manifest.json"

// maxManifest bounds the manifest a reader accepts (about two million files).
const maxManifest = 256 << 20

// Manifest describes one archive.
type Manifest struct {
	Format        int       `json:"format"`
	Created       time.Time `json:"created"`
	ParleyVersion string    `json:"parley_version"`
	// Schema is the database's schema version (store.SchemaVersion of the
	// binary that wrote it, or older for an offline copy of an old file).
	Schema uint64  `json:"schema"`
	Files  []Entry `json:"files"`
	// Gone lists attachments the snapshot recorded whose files the server
	// removed before they were copied (see the package doc).
	Gone []string `json:"gone,omitempty"`
}

// Entry is one file of the archive.
type Entry struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Bytes is the sum of the files' sizes.
func (m Manifest) Bytes() int64 {
	var n int64
	for _, e := range m.Files {
		n += e.Size
	}
	return n
}

var (
	// extraPath is a file of the data directory's top level.
	extraPath = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$`) //nolint:gochecknoglobals // a constant pattern
	// blobPath is one attachment's file.
	blobPath = regexp.MustCompile(`^blobs/([0-9a-f]{2})/([0-9a-f]{32})$`) //nolint:gochecknoglobals // a constant pattern
)

// validPath reports whether p may appear in an archive: the database, a
// plain top-level file, or a blob under its folder.
func validPath(p string) bool {
	if p == ManifestName {
		return false
	}
	if p == store.FileName || extraPath.MatchString(p) {
		return true
	}
	m := blobPath.FindStringSubmatch(p)
	return m != nil && m[2][:2] == m[1]
}
