// Package dial connects the local Parley client to a Parley server the way
// ssh(1) would, and hands back an authenticated *ssh.Client.
//
// It reads what the user typed ([user@]host[:port] or an alias), applies
// ~/.ssh/config (Host, HostName, User, Port, IdentityFile, IdentitiesOnly,
// IdentityAgent, UserKnownHostsFile), offers public keys from the ssh-agent
// and from identity files, and checks the server's host key against
// ~/.ssh/known_hosts: a known key is accepted, an unknown one is shown to
// Options.Confirm and remembered when accepted (trust on first use), and a
// changed one is refused with OpenSSH's warning. Keys are offered in
// OpenSSH's order: the agent's keys first (an identity file whose key the
// agent holds is signed by the agent), then the identity files.
//
// Every path it reads (config, known_hosts, keys, agent socket) comes from
// Options or from Options.HomeDir, so that tests never touch the real home
// directory. Prompts (Confirm, Passphrase) are the caller's: the package
// never reads a terminal, and the handshake timeout is paused while a
// prompt waits for its answer.
//
// It knows nothing about Parley's protocol, the TUI or the server: it stops
// at the SSH connection. It supports public-key authentication only, and
// checks plain host keys (no @cert-authority host certificates).
package dial
