// Package chat is the chat UI: the passphrase prompt, the conversation
// list, the message view, the composer with its slash commands, and the
// status and help lines. It is a Bubble Tea model that talks to the client
// core only through the Service interface it declares, and does no I/O in
// Update: every call to the core runs in a command.
//
// Live events reach the model as SyncMsg, sent by whoever hosts it when the
// core's subscription has something to process.
package chat
