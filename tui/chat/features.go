package chat

import (
	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/tui/core"
)

// The features beside the conversation: what the chat does on the user's
// device store and account rather than in a conversation — search
// (search.go), contacts, key verification and the directory
// (contacts.go), who am I (whoami.go), hidden chats and their PIN
// (hidden.go), preferences (prefs.go, notify.go) and the /more pane
// (more.go). Their commands are rows of the command table; they reach the
// conversation UI through updateFeatures at the top of updateChat, and
// through the overlay they show instead of the conversation (panes.go).

// featureState is the model's state for these features; each part is
// declared with its feature.
type featureState struct {
	overlay     // the pane shown instead of the conversation (panes.go)
	hiddenState // hidden chats and the masked PIN prompt (hidden.go)
	prefsState  // the user's preferences (prefs.go)
	// contacts are the user's contacts once read (contacts.go).
	contacts []core.ContactEntry
}

// changedMsg answers a command that changes something: info on success,
// "what: error" otherwise; reload asks for the conversation list again.
type changedMsg struct {
	what, info string
	err        error
	reload     bool
}

// updateFeatures handles the features' messages (their keys are routed
// by Model.routeKey). ok says it handled msg.
func (m *Model) updateFeatures(msg tea.Msg) (tea.Cmd, bool) {
	switch msg := msg.(type) {
	case changedMsg:
		if msg.err != nil {
			m.setError(msg.what + ": " + msg.err.Error())
			return nil, true
		}
		m.setInfo(msg.info)
		if msg.reload {
			return m.reloadCmd(), true
		}
		return nil, true
	case prefsMsg:
		return m.prefsRead(msg), true
	case pinStateMsg:
		return m.pinState(msg), true
	case pinSetMsg:
		return m.pinSet(msg), true
	case revealedMsg:
		return m.revealedDone(msg), true
	case hiddenMsg:
		return m.hiddenDone(msg), true
	case searchMsg:
		return m.searchDone(msg), true
	case contactsMsg:
		return m.contactsDone(msg), true
	case contactsChanged:
		m.contactsDone(msg.list)
		m.setInfo(msg.done.info)
		return nil, true
	case verifyMsg:
		return m.verifyDone(msg), true
	case findMsg:
		return m.findDone(msg), true
	case lookupMsg:
		return m.lookupDone(msg), true
	case whoamiMsg:
		return m.whoamiDone(msg), true
	case ownNickMsg:
		m.ownNick = msg.nick
		return nil, true
	case openedMsg:
		// A conversation opened by /open or /msg replaces the pane; the
		// message is the conversation UI's to handle.
		if msg.err == nil {
			m.closePane()
		}
	}
	return nil, false
}
