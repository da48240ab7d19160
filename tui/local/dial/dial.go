package dial

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// Dial resolves t, connects and authenticates. The connection is closed if
// ctx ends before the handshake is done. A changed host key is refused
// with a *HostKeyChangedError, returned as it is: its text is the warning
// a person should read.
func Dial(ctx context.Context, t Target, o Options) (*ssh.Client, error) {
	r, err := Resolve(t, o)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	c, err := dial(ctx, r, o)
	var changed *HostKeyChangedError
	switch {
	case errors.As(err, &changed):
		return nil, changed
	case err != nil:
		return nil, fmt.Errorf("dial %s (%s): %w", t, r.Addr(), err)
	}
	return c, nil
}

func dial(ctx context.Context, r Resolved, o Options) (*ssh.Client, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	clock := &handshakeClock{timeout: timeout}
	ask := o.Passphrase
	if ask != nil {
		ask = func(file string) ([]byte, error) {
			defer clock.pause()()
			return o.Passphrase(file)
		}
	}

	known, err := openKnownHosts(r.KnownHosts)
	if err != nil {
		return nil, err
	}
	hk := &hostKeys{file: r.KnownHosts, known: known, confirm: o.Confirm, pause: clock.pause}

	var ids []identity
	for i, file := range r.IdentityFiles {
		id, found, err := loadIdentity(file, ask)
		if err != nil {
			return nil, err
		}
		if !found {
			if i == 0 && o.IdentityFile != "" {
				return nil, fmt.Errorf("identity file %s: %w", file, fs.ErrNotExist)
			}
			continue
		}
		ids = append(ids, id)
	}

	var agentKeys []ssh.Signer
	if r.AgentSocket != "" {
		conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "unix", r.AgentSocket)
		switch {
		case err != nil && r.agentRequired:
			return nil, fmt.Errorf("connect to agent: %w", err)
		case err == nil:
			defer func() { _ = conn.Close() }()
			if agentKeys, err = agent.NewClient(conn).Signers(); err != nil {
				return nil, fmt.Errorf("list agent keys: %w", err)
			}
		}
	}
	signers := offer(agentKeys, ids, r.IdentitiesOnly)
	if len(signers) == 0 {
		return nil, ErrNoIdentities
	}

	conn, err := (&net.Dialer{Timeout: timeout}).DialContext(ctx, "tcp", r.Addr())
	if err != nil {
		return nil, fmt.Errorf("connect: %w", err)
	}
	clock.start(conn)
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })

	cfg := &ssh.ClientConfig{
		User:              r.User,
		Auth:              []ssh.AuthMethod{ssh.PublicKeys(signers...)},
		HostKeyCallback:   hk.check,
		HostKeyAlgorithms: hostKeyAlgorithms(known, r.Addr()),
	}
	sc, chans, reqs, err := ssh.NewClientConn(conn, r.Addr(), cfg)
	if err != nil {
		stop()
		_ = conn.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("handshake interrupted: %w (%w)", ctx.Err(), err)
		}
		return nil, err
	}
	if !stop() {
		_ = sc.Close()
		return nil, fmt.Errorf("handshake interrupted: %w", ctx.Err())
	}
	if err := clock.done(); err != nil {
		_ = sc.Close()
		return nil, err
	}
	return ssh.NewClient(sc, chans, reqs), nil
}

// handshakeClock bounds the handshake with a deadline on the connection,
// lifted while a prompt waits for the person.
type handshakeClock struct {
	timeout time.Duration
	conn    net.Conn // set by start, before the handshake begins
}

func (c *handshakeClock) start(conn net.Conn) {
	c.conn = conn
	_ = conn.SetDeadline(time.Now().Add(c.timeout))
}

// pause lifts the deadline until the returned func is called, which sets
// a full timeout again. Before start it does nothing.
func (c *handshakeClock) pause() (resume func()) {
	if c.conn == nil {
		return func() {}
	}
	_ = c.conn.SetDeadline(time.Time{})
	return func() { _ = c.conn.SetDeadline(time.Now().Add(c.timeout)) }
}

// done lifts the deadline for good.
func (c *handshakeClock) done() error {
	if err := c.conn.SetDeadline(time.Time{}); err != nil {
		return fmt.Errorf("clear handshake deadline: %w", err)
	}
	return nil
}
