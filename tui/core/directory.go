package core

import (
	"context"
	"errors"
	"time"

	"github.com/parley-chat/parley/crypto"
)

// FindLimit is the most entries Find returns; a result of exactly that
// many may have been cut short, and the UI asks for a narrower search.
const FindLimit = 50

// ErrNoDirectory is returned by Find and Whoami of a core configured
// without a Directory.
var ErrNoDirectory = errors.New("the directory is not available in this session")

// Directory is what the core needs from the server's company directory:
// searching it, and the user's own data-access request. Both act for the
// session's user only; errors are meant for the user (a policy refusal, a
// bad search).
type Directory interface {
	// Find searches the directory: words that must all match, each a
	// name with * and ? wildcards or a #tag; at most limit entries.
	Find(ctx context.Context, query string, limit int) ([]DirectoryEntry, error)
	// Whoami returns everything the server stores about the user.
	Whoami(ctx context.Context) (WhoamiInfo, error)
}

// DirectoryEntry is a user the company directory lists.
type DirectoryEntry struct {
	ID       crypto.ID
	Name     string
	Nickname string
	Category string
	Tags     []string
	// Internal says the user belongs to the user's own organisation.
	Internal bool
	// Organisation names the other organisation of an entry that is not
	// internal (organisations sharing a directory); empty otherwise.
	Organisation string
}

// WhoamiInfo is what the server stores about the user, as their
// data-access request shows it.
type WhoamiInfo struct {
	ID        crypto.ID
	Name      string
	FirstName string
	LastName  string
	Nickname  string
	Category  string
	CSI       string
	Tags      []string
	// Email is the linked e-mail address; EmailHashes the hex SHA-256 of
	// each linked address, lower-cased.
	Email       string
	EmailHashes []string
	PublicKey   crypto.PublicKey
	// Fingerprint is the public key's fingerprint in hex groups.
	Fingerprint string
	// SealedKey says the server keeps the secret key sealed with the
	// passphrase (hosted mode).
	SealedKey    bool
	Organisation string
	Status       string
	CreatedAt    time.Time
	ActivatedAt  time.Time
	Devices      []WhoamiDevice
	Policies     []WhoamiPolicy
	Groups       []WhoamiGroup
}

// WhoamiDevice is one SSH key bound to the user.
type WhoamiDevice struct {
	Fingerprint string
	Label       string // key type and comment
	Added       time.Time
	LastUsed    time.Time // zero: not recorded
}

// WhoamiPolicy is a policy value in effect for the user.
type WhoamiPolicy struct {
	Key   string
	Value string
	// Source is where the value comes from: "default", "global" (the
	// organisation's) or "individual" (set for the user).
	Source string
}

// WhoamiGroup is a group the server lists the user as a member of.
type WhoamiGroup struct {
	Key     string
	Name    string
	Managed bool // created by the organisation's admins: fixed membership
	Admin   bool // the user is one of the group's admins
	Members int
}

// Find searches the company directory (at most FindLimit entries).
func (c *Core) Find(ctx context.Context, query string) ([]DirectoryEntry, error) {
	if c.directory == nil {
		return nil, ErrNoDirectory
	}
	es, err := c.directory.Find(ctx, query, FindLimit)
	if err != nil {
		return nil, err
	}
	if len(es) > FindLimit {
		es = es[:FindLimit]
	}
	return es, nil
}

// Whoami returns everything the server stores about the user.
func (c *Core) Whoami(ctx context.Context) (WhoamiInfo, error) {
	if c.directory == nil {
		return WhoamiInfo{}, ErrNoDirectory
	}
	return c.directory.Whoami(ctx)
}
