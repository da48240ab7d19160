package chat

import (
	"context"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// The UI's view of the client core: Service, which every session has, and
// four optional interfaces the model finds on Options.Service. A service
// without one of them leaves its commands unavailable (the command table
// names which each needs). The core implements all five.

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

// GroupService is what groups, distribution lists, replies, alarms and
// message changes need from the client core.
type GroupService interface {
	SendWith(ctx context.Context, ref core.ConvRef, text string, o core.SendOptions) (core.Message, error)
	Edit(ctx context.Context, ref core.ConvRef, id crypto.MessageID, text string) error
	Delete(ctx context.Context, ref core.ConvRef, id crypto.MessageID) error
	CreateGroup(ctx context.Context, name string, members []crypto.ID) (core.Conversation, error)
	AddMembers(ctx context.Context, key string, ids []crypto.ID) error
	RemoveMembers(ctx context.Context, key string, ids []crypto.ID) error
	RenameGroup(ctx context.Context, key, name string) error
	SetGroupAdmin(ctx context.Context, key string, id crypto.ID, admin bool) error
	LeaveGroup(ctx context.Context, key string) error
	CreateList(ctx context.Context, name string, members []crypto.ID) (core.Conversation, error)
	DeleteList(ctx context.Context, id string) error
	CreatePoll(ctx context.Context, ref core.ConvRef, question string, choices []string, multi bool) (core.Message, error)
	Vote(ctx context.Context, ref core.ConvRef, poll crypto.MessageID, choices []int) error
	ClosePoll(ctx context.Context, ref core.ConvRef, poll crypto.MessageID) error
	React(ctx context.Context, ref core.ConvRef, id crypto.MessageID, agree bool) error
	SendLocation(ctx context.Context, ref core.ConvRef, loc crypto.Location) (core.Message, error)
	DeleteHere(ctx context.Context, ref core.ConvRef, id crypto.MessageID, out bool) error
	Retry(ctx context.Context, ref core.ConvRef, id crypto.MessageID) (core.Message, error)
}

// LocalService is what the features of the user's own device store and
// account need from the client core: search, hidden chats and their PIN,
// preferences, contacts and key verification.
type LocalService interface {
	Search(ctx context.Context, query string, limit int) ([]core.Message, error)
	Hide(ctx context.Context, ref core.ConvRef) error
	Unhide(ctx context.Context, ref core.ConvRef) error
	PINSet(ctx context.Context) (bool, error)
	SetPIN(ctx context.Context, old, pin string) error
	Reveal(ctx context.Context, pin string) error
	Conceal()
	Revealed() bool
	Prefs(ctx context.Context) (core.Prefs, error)
	SetPrefs(ctx context.Context, p core.Prefs) error
	Contacts(ctx context.Context) ([]core.ContactEntry, error)
	AddContact(ctx context.Context, id crypto.ID) (core.ContactEntry, error)
	RemoveContact(ctx context.Context, id crypto.ID) error
	Fingerprint(ctx context.Context, id crypto.ID) (string, error)
	Verify(ctx context.Context, id crypto.ID, fingerprint string) error
}

// ListService is what the chat list's previews and the composer's drafts
// need from the client core: each conversation's newest message, and the
// drafts kept in the device store.
type ListService interface {
	LastMessages(ctx context.Context, refs []core.ConvRef) (map[core.ConvRef]core.LastMessage, error)
	Drafts(ctx context.Context) (map[core.ConvRef]string, error)
	SetDraft(ctx context.Context, ref core.ConvRef, text string) error
}

// DirectoryService is what /find and /whoami need from the client core.
type DirectoryService interface {
	Find(ctx context.Context, query string) ([]core.DirectoryEntry, error)
	Whoami(ctx context.Context) (core.WhoamiInfo, error)
}

var (
	_ Service          = (*core.Core)(nil)
	_ GroupService     = (*core.Core)(nil)
	_ LocalService     = (*core.Core)(nil)
	_ DirectoryService = (*core.Core)(nil)
	_ ListService      = (*core.Core)(nil)
)

// need names a service interface a command needs beyond Service.
type need int

const (
	needService   need = iota // Service alone: every session has it
	needGroups                // GroupService
	needLocal                 // LocalService
	needDirectory             // DirectoryService
	needFiles                 // FileService and the user's disk (local mode)
)

// has reports whether the session's service has what n names.
func (m *Model) has(n need) bool {
	switch n {
	case needGroups:
		return m.groupSvc() != nil
	case needLocal:
		return m.localSvc() != nil
	case needDirectory:
		return m.dirSvc() != nil
	case needFiles:
		return m.fileSvc() != nil
	}
	return true
}

// groupSvc is the core's group features, nil when the service has none.
func (m *Model) groupSvc() GroupService {
	g, _ := m.o.Service.(GroupService)
	return g
}

// localSvc is the core's device-store features, nil when the service has none.
func (m *Model) localSvc() LocalService {
	l, _ := m.o.Service.(LocalService)
	return l
}

// listSvc is the core's previews and drafts, nil when the service has none.
func (m *Model) listSvc() ListService {
	l, _ := m.o.Service.(ListService)
	return l
}

// dirSvc is the core's directory features, nil when the service has none.
func (m *Model) dirSvc() DirectoryService {
	d, _ := m.o.Service.(DirectoryService)
	return d
}
