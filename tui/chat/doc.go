// Package chat is the chat UI: the passphrase prompt, the conversation
// list, the message view, the composer with its slash commands, and the
// status and help lines. It is a Bubble Tea model that talks to the client
// core only through the Service interface it declares (and the optional
// interfaces beside it, service.go), and does no I/O in Update: every call
// to the core runs in a command.
//
// Every slash command is a row of one table (commands.go): its names, its
// help line, the policy feature that may forbid it, the service it needs
// and its handler. /help and the /more pane are listed from that table.
// The handlers live with their feature: groups and message changes
// (groups.go), settings (settings.go), search, contacts, whoami, hidden
// chats, preferences and /more (features.go names their files). Beside the
// conversation: the multi-line composer and pastes (composer.go), the unread
// marker and the jump to the newest (unread.go), the chat list's previews
// (preview.go) and drafts (drafts.go).
//
// Live events reach the model as SyncMsg, sent by whoever hosts it when the
// core's subscription has something to process.
package chat
