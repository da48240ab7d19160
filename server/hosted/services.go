package hosted

import (
	"context"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/store"
)

// Relay is what a hosted session needs of the relay: the calls its
// client makes (*relay.Service has them). The relay enforces every rule
// of sending and fetching; the session only calls it for its principal.
type Relay interface {
	Send(ctx context.Context, raw []byte) (relay.Sent, error)
	SendBatch(ctx context.Context, envs [][]byte) ([]relay.Sent, []error, error)
	Fetch(ctx context.Context, after uint64, limit int) ([]store.Delivery, error)
	Ack(ctx context.Context, seqs []uint64) ([]bool, error)
	AckTx(ctx context.Context, tx store.Tx, seqs []uint64) ([]bool, error)
	Subscribe(ctx context.Context, notify func()) (relay.Feed, error)
	Presence(ctx context.Context, viewer *store.User, id crypto.ID) (relay.Presence, error)
}

// Directory is what a hosted session needs of the directory (*directory.Service
// has it): its own profile and key, and the contacts it may see.
type Directory interface {
	Whoami(ctx context.Context, id crypto.ID) (directory.Whoami, error)
	EditOwnProfile(ctx context.Context, uid crypto.ID, nickname *string) (store.User, error)
	OpenSecretKey(ctx context.Context, id crypto.ID, passphrase []byte) (*crypto.SecretKey, error)
	Find(ctx context.Context, viewer crypto.ID, query string, limit int) ([]directory.Entry, error)
	Contact(ctx context.Context, viewer, id crypto.ID) (directory.Contact, error)
	Tenant(ctx context.Context, id string) (store.Tenant, error)
}

var (
	_ Relay     = (*relay.Service)(nil)
	_ Directory = (*directory.Service)(nil)
)
