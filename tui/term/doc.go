// Package term runs a Bubble Tea model on a byte stream — in Parley, an SSH
// channel with a client-side terminal — and renders only when something
// changed.
//
// tea.Program redraws on a fixed-rate ticker (60 frames a second by
// default). A server holding thousands of idle chat sessions cannot afford
// that, so this package hosts the same models differently: the caller's
// goroutine reads input, one event-loop goroutine per session applies
// messages to the model and, after each batch of messages, writes the lines
// of the view that differ from the last frame. An idle session costs those
// two blocked goroutines and its last frame, and no CPU.
//
// Supported: key, paste and window-size messages, tea.Batch, tea.Quit,
// tea.RawMsg (written as is, e.g. a bell), the view's cursor and window
// title. Not supported: tea.Sequence, mouse, terminal queries. Models run
// here must not rely on them.
//
// The package knows nothing about SSH: it takes an io.Reader, an io.Writer,
// a size and a channel of resizes.
package term
