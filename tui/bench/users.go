package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"regexp"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
	"github.com/parley-chat/parley/tui/local/remote"
)

// enrol activates every member: hosted members with the run's passphrase
// (the server seals their key), local members with a key pair made here.
// It returns the local members' secret keys (nil for hosted).
func (c *Config) enrol(ctx context.Context, ms []member) ([]*crypto.SecretKey, error) {
	keys := make([]*crypto.SecretKey, len(ms))
	var wg sync.WaitGroup
	sem := make(chan struct{}, c.Parallel)
	errs := make(chan error, len(ms))
	for i := range ms {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			if ctx.Err() != nil {
				return
			}
			cl, err := c.dial(ms[i].signer)
			if err != nil {
				errs <- err
				return
			}
			defer cl.Close()
			if c.Mode == Hosted {
				_, err = exec(cl, passphrase+"\n", "activate "+ms[i].code)
			} else {
				var pub crypto.PublicKey
				pub, keys[i], err = crypto.GenerateKeyPair(rand.Reader)
				if err == nil {
					_, err = exec(cl, "", "activate "+ms[i].code+" --public-key "+pub.String())
				}
			}
			if err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	return keys, <-errs
}

func (c *Config) login(ctx context.Context, m member, sk *crypto.SecretKey, peer string, r *recorder) (user, error) {
	if c.Mode == Hosted {
		return c.loginHosted(m, peer, r)
	}
	return c.loginLocal(ctx, m, sk, peer, r)
}

// hostedUser is a chat session with a terminal, as `ssh -t` opens it.
type hostedUser struct {
	cl *ssh.Client
	s  *ssh.Session
	in io.WriteCloser
}

func (c *Config) loginHosted(m member, peer string, r *recorder) (user, error) {
	cl, err := c.dial(m.signer)
	if err != nil {
		return nil, err
	}
	s, err := cl.NewSession()
	if err != nil {
		cl.Close()
		return nil, err
	}
	u := &hostedUser{cl: cl, s: s}
	fail := func(err error) (user, error) { u.close(); return nil, err }
	if err := s.RequestPty("xterm-256color", 30, 100, ssh.TerminalModes{}); err != nil {
		return fail(err)
	}
	if u.in, err = s.StdinPipe(); err != nil {
		return fail(err)
	}
	out, err := s.StdoutPipe()
	if err != nil {
		return fail(err)
	}
	if err := s.Shell(); err != nil {
		return fail(err)
	}
	scr := &screen{r: out}
	if err := scr.waitFor("Passphrase", time.Minute); err != nil {
		return fail(err)
	}
	if _, err := io.WriteString(u.in, passphrase+"\r"); err != nil {
		return fail(err)
	}
	if err := scr.waitFor("Welcome to Parley", 2*time.Minute); err != nil {
		return fail(err)
	}
	if _, err := io.WriteString(u.in, "/open "+peer+"\r"); err != nil {
		return fail(err)
	}
	go scr.watch(m.id, r)
	return u, nil
}

func (u *hostedUser) send(_ context.Context, text string) error {
	_, err := io.WriteString(u.in, text+"\r")
	return err
}

func (u *hostedUser) close() {
	_ = u.s.Close()
	_ = u.cl.Close()
}

// markerRE finds the run's message markers on a screen.
var markerRE = regexp.MustCompile(`bn\d{5}x\d{7}`) //nolint:gochecknoglobals // a compiled constant

// screen reads a terminal's output.
type screen struct {
	r    io.Reader
	tail []byte
}

// waitFor reads until want appeared, or the time is up.
func (s *screen) waitFor(want string, d time.Duration) error {
	done := make(chan error, 1)
	go func() {
		var seen []byte
		buf := make([]byte, 4096)
		for {
			n, err := s.r.Read(buf)
			seen = append(seen, buf[:n]...)
			if i := bytes.Index(seen, []byte(want)); i >= 0 {
				s.tail = append(s.tail[:0], seen[i+len(want):]...)
				done <- nil
				return
			}
			if len(seen) > 1<<16 {
				seen = append(seen[:0], seen[len(seen)-len(want):]...)
			}
			if err != nil {
				done <- fmt.Errorf("waiting for %q: %w", want, err)
				return
			}
		}
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		return fmt.Errorf("timed out waiting for %q", want)
	}
}

// watch reports every marker that appears on the screen of user id.
func (s *screen) watch(id string, r *recorder) {
	buf := make([]byte, 32<<10)
	carry := s.tail
	for {
		n, err := s.r.Read(buf)
		now := time.Now()
		data := append(carry, buf[:n]...)
		for _, m := range markerRE.FindAll(data, -1) {
			r.seen(string(m), id, now)
		}
		if len(data) > 32 {
			carry = append([]byte(nil), data[len(data)-32:]...)
		} else {
			carry = append([]byte(nil), data...)
		}
		if err != nil {
			return
		}
	}
}

// localUser is a local-mode client: the core runs here, over the parley
// subsystem, with its store in memory.
type localUser struct {
	cl     *ssh.Client
	conn   *remote.Conn
	core   *core.Core
	peer   crypto.ID
	cancel context.CancelFunc
}

func (c *Config) loginLocal(ctx context.Context, m member, sk *crypto.SecretKey, peerID string, r *recorder) (user, error) {
	peer, err := crypto.ParseID(peerID)
	if err != nil {
		return nil, err
	}
	cl, err := c.dial(m.signer)
	if err != nil {
		return nil, err
	}
	ch, reqs, err := cl.OpenChannel("session", nil)
	if err != nil {
		cl.Close()
		return nil, err
	}
	go ssh.DiscardRequests(reqs)
	if ok, err := ch.SendRequest("subsystem", true, ssh.Marshal(struct{ Name string }{"parley"})); err != nil || !ok {
		cl.Close()
		return nil, fmt.Errorf("the parley subsystem was refused (%v)", err)
	}
	conn, err := remote.Open(ctx, ch, "parley-bench")
	if err != nil {
		cl.Close()
		return nil, err
	}
	me, err := crypto.ParseID(m.id)
	if err != nil {
		cl.Close()
		return nil, err
	}
	w := conn.Welcome()
	pk, err := crypto.PublicKeyFromBytes(w.Public)
	if err != nil {
		cl.Close()
		return nil, err
	}
	cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	cr := core.New(core.Config{Identity: core.Identity{ID: me, Name: w.Name, PublicKey: pk}, Relay: conn, Directory: conn,
		Store: newMemStore(), Keys: noKeys{}, Session: "bench-" + m.id})
	u := &localUser{cl: cl, conn: conn, core: cr, peer: peer, cancel: cancel}
	if err := cr.UnlockWithKey(sk); err != nil {
		u.close()
		return nil, err
	}
	wake := make(chan struct{}, 1)
	if err := cr.Start(cctx, func() {
		select {
		case wake <- struct{}{}:
		default:
		}
	}); err != nil {
		u.close()
		return nil, err
	}
	go func() {
		for {
			select {
			case <-cctx.Done():
				return
			case <-wake:
			}
			ch, err := cr.Sync(cctx)
			if err != nil {
				continue
			}
			now := time.Now()
			for _, msg := range ch.Incoming {
				r.seen(msg.Text, m.id, now)
			}
		}
	}()
	return u, nil
}

func (u *localUser) send(ctx context.Context, text string) error {
	_, err := u.core.Send(ctx, core.Direct(u.peer), text)
	return err
}

func (u *localUser) close() {
	u.cancel()
	u.core.Close()
	_ = u.conn.Close()
	_ = u.cl.Close()
}

// noKeys: local users are unlocked with their key directly.
type noKeys struct{}

func (noKeys) OpenSecretKey(context.Context, []byte) (*crypto.SecretKey, error) {
	return nil, core.ErrWrongPassphrase
}
