package chat

import (
	"context"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// Service is what the chat UI needs from the client core.
type Service interface {
	Me() core.Identity
	Unlock(ctx context.Context, passphrase []byte) error
	Start(ctx context.Context, notify func()) error
	Sync(ctx context.Context) (core.Changes, error)
	Conversations(ctx context.Context) ([]core.Conversation, error)
	Messages(ctx context.Context, ref core.ConvRef, before []byte, limit int) (core.Page, error)
	Send(ctx context.Context, ref core.ConvRef, text string) (core.Message, error)
	MarkRead(ctx context.Context, ref core.ConvRef) (bool, error)
	Contact(ctx context.Context, id crypto.ID) (core.Contact, error)
	// Settings reads the restrictions in force; Sync reports when they
	// may have changed (core.Changes.Settings).
	Settings(ctx context.Context) (core.Restrictions, error)
	SetNickname(ctx context.Context, name string) error
	SetQuietHours(ctx context.Context, zone, spec string) error
	ClearQuietHours(ctx context.Context) error
}

var _ Service = (*core.Core)(nil)
