// Package apijson holds the JSON shapes that both administrative fronts
// print: the exec commands' --json output (server/sshd) and the HTTP admin
// API's responses (server/httpapi). One shape per thing, so that a script
// can move from one front to the other and the two cannot drift apart.
//
// Each shape comes with its conversion from the service or store type it
// shows. The shapes are a stable interface: fields are only ever added, and
// the order of the fields is the order on the wire. Shapes that only one
// front prints stay in that front.
//
// The package holds no business rules and does no I/O; it knows nothing
// about SSH, HTTP or the terminal.
package apijson
