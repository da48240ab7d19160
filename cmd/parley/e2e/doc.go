// Package e2e drives the real parley binary over real SSH: the OpenSSH
// client for exec commands, tmux for interactive sessions, and Go's SSH
// client where a test needs to misbehave at the protocol level. It holds
// only tests and benchmarks.
//
// Without ssh or tmux on the machine the tests skip, except when the CI
// environment variable is set: then they fail.
package e2e
