// Package bench is Parley's load generator (`parley bench`): it drives a
// running server the way people do — users over real SSH, hosted sessions
// with a terminal or local-mode clients over the parley subsystem, some
// chatting in pairs at a given rate, the rest idle — and measures what they
// meet: the time from a message's send to its text on the recipient's
// screen (hosted) or in the recipient's core (local), throughput, errors,
// and, when the server runs on this machine, its CPU per delivered message
// and memory per session.
//
// It enrols its own tenant and users through the admin commands (an admin
// key is needed), talks to loopback only unless told otherwise, stops by
// itself after the duration, and removes its users and suspends its tenant
// at the end.
package bench
