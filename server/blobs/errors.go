package blobs

import (
	"errors"
	"fmt"

	"github.com/parley-chat/parley/crypto"
)

// Errors of the blob store. Their texts are for the person uploading or
// fetching; the errors returned wrap them with the numbers.
var (
	// ErrNotFound is a blob that does not exist, expired, or that the
	// caller may not read: the three look the same.
	ErrNotFound = errors.New("no such file (it may have expired)")
	// ErrTooLarge is a file over parley_max_attachment_mib.
	ErrTooLarge = errors.New("file too large")
	// ErrQuota is a file that would take the uploader over
	// parley_storage_quota_mib.
	ErrQuota = errors.New("storage quota exceeded")
	// ErrInvalid is a malformed request: no or too many recipients, a
	// negative size.
	ErrInvalid = errors.New("invalid upload")
	// ErrIncomplete is an upload that ended before or after the size it
	// announced.
	ErrIncomplete = errors.New("upload incomplete")
	// ErrNotUser is a caller that is not an active user.
	ErrNotUser = errors.New("only an active user can upload or fetch files")
)

// mib formats a byte count in MiB for messages.
func mib(n int64) string {
	if n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

// tooLarge refuses size bytes of ciphertext; the message shows the
// plaintext size when size is a whole encryption.
func tooLarge(size, limit int64) error {
	if plain, ok := crypto.BlobPlainSize(size); ok {
		size = plain
	}
	return fmt.Errorf("%w: %s is over the limit of %s (parley_max_attachment_mib)", ErrTooLarge, mib(size), mib(limit))
}

// overQuota refuses a file of size bytes (negative: more than fits) for a
// user whose files take used of quota.
func overQuota(used, size, quota int64) error {
	this := "this file"
	if size >= 0 {
		this = "this file (" + mib(size) + ")"
	}
	return fmt.Errorf("%w: your files on the server take %s of your %s, and %s does not fit in the %s left; "+
		"space frees up as files expire (parley_storage_quota_mib)", ErrQuota, mib(used), mib(quota), this, mib(max(quota-used, 0)))
}
