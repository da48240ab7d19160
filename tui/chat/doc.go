// Package chat is the chat UI: the passphrase prompt, the conversation
// list, the message view, the composer with its slash commands, the
// overlays, and the status and help lines. It is a Bubble Tea model that
// talks to the client core only through the Service interface it declares
// (and the optional interfaces beside it, service.go), and does no I/O in
// Update: every call to the core runs in a command.
//
// # Components
//
// The screen is made of components, each in its own file with its state,
// its key map (bubbles/key bindings, from which its help line is
// rendered), a handleKey that updates it and says what the model should
// do next, and a View at a given size:
//
//   - chatList (list.go): the conversation list, its selection, its keys
//     while it has focus, its rows. The conversations themselves are the
//     model's (Model.convs), read by commands and search as well.
//   - messagesPane (messages.go): the open conversation, its loaded
//     messages and the cursor for older ones, scrolling, the message
//     selected with ↑/↓, and the unread marker and "N new ↓" count
//     (unread.go). How one message is drawn (polls, reactions, files,
//     pending sends) is the model's, in the same file, handed to the view;
//     each message is laid out once and kept until something it shows
//     changes (the block cache, blocks.go).
//   - composer (composer.go): the multi-line composer, its newline and
//     join keys, pastes, its rows and view. What Enter sends is the
//     model's (commands.go).
//   - overlay (panes.go): the pane shown instead of the conversation
//     (search, contacts, verify, find, whoami, more), its selection or
//     scroll position, keys and frame; each feature fills it with a
//     paneContent.
//
// The top-level Model (model.go) holds the session: the screen (locked,
// loading, chat), the focus, the status line, the outbox and what is
// loading. It routes each key (Model.routeKey: the masked PIN prompt, an
// overlay, a pending y/N question, the message selection, then the keys
// that work everywhere and the focused component), runs the service calls
// a component asks for, and composes the views (view.go): header, list,
// right pane, status line, composer, help line. The keys the model
// handles itself are in keys.go. The components embed in the Model, so
// their fields read as the Model's; none of them calls a service or holds
// a business rule.
//
// # Commands and features
//
// Every slash command is a row of one table (commands.go): its names, its
// help line, the policy feature that may forbid it, the service it needs
// and its handler. /help and the /more pane are listed from that table.
// The handlers live with their feature: groups and message changes
// (groups.go), settings (settings.go), search, contacts, whoami, hidden
// chats, preferences and /more (features.go names their files). Beside the
// conversation: the chat list's previews (preview.go) and drafts
// (drafts.go).
//
// Live events reach the model as SyncMsg, sent by whoever hosts it when the
// core's subscription has something to process.
package chat
