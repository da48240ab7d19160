package bench

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/crypto/ssh"
)

// Mode is how the simulated users reach the server.
type Mode string

// Modes.
const (
	Hosted Mode = "hosted" // ssh with a terminal: the chat runs in the server
	Local  Mode = "local"  // the parley subsystem: the client core runs here
)

// Config is one run.
type Config struct {
	// Addr is the server's SSH address (host:port).
	Addr string
	// AllowRemote permits an address that is not on loopback.
	AllowRemote bool
	// Admin authenticates the admin commands that enrol the run's users.
	Admin ssh.Signer
	// HostKey checks the server's host key; nil accepts any (loopback).
	HostKey ssh.HostKeyCallback
	Mode    Mode
	// Users is how many users log in; Active of them (an even number)
	// chat in pairs, each sending Rate messages a second; the rest idle.
	Users, Active int
	Rate          float64
	// Duration is how long the active users chat.
	Duration time.Duration
	// Parallel bounds logins in flight at once (default 8: a server lets
	// --max-startups-per-source, 10 by default, connections from one
	// address be in their handshake at once).
	Parallel int
	// ServerPID, when the server runs on this machine, lets the report
	// give its CPU per message and memory per session (from /proc).
	ServerPID int
	// Log receives progress lines; nil: none.
	Log io.Writer
}

// passphrase of the run's hosted users.
const passphrase = "parley bench passphrase"

func (c *Config) check() error {
	if c.Admin == nil {
		return errors.New("an admin key is needed to enrol the run's users")
	}
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", c.Addr, err)
	}
	if !c.AllowRemote {
		ips, err := net.LookupIP(host)
		if err != nil {
			return fmt.Errorf("address %q: %w", c.Addr, err)
		}
		for _, ip := range ips {
			if !ip.IsLoopback() {
				return fmt.Errorf("%s is not on loopback: pass --allow-remote to load another machine", host)
			}
		}
	}
	switch {
	case c.Mode != Hosted && c.Mode != Local:
		return fmt.Errorf("mode %q: hosted or local", c.Mode)
	case c.Users < 2 || c.Users > 100_000:
		return errors.New("users: 2 to 100000")
	case c.Active < 2 || c.Active%2 != 0 || c.Active > c.Users:
		return errors.New("active: an even number, at least 2, at most users")
	case c.Rate <= 0 || c.Rate > 100:
		return errors.New("rate: more than 0 and at most 100 messages a second per active user")
	case c.Duration <= 0:
		return errors.New("duration: more than 0")
	}
	if c.Parallel <= 0 {
		c.Parallel = 8
	}
	if c.HostKey == nil {
		c.HostKey = ssh.InsecureIgnoreHostKey() //nolint:gosec // loopback by default; the caller may pass known_hosts
	}
	if c.Log == nil {
		c.Log = io.Discard
	}
	return nil
}

// member is one enrolled user of the run.
type member struct {
	id     string
	signer ssh.Signer
	code   string
}

// user is a logged-in member: it sends to its peer and reports what
// reached its screen.
type user interface {
	// send sends text to peer.
	send(ctx context.Context, text string) error
	close()
}

// Run enrols the users, logs them in, lets the active ones chat for the
// duration, and reports. It cleans up what it created, also on error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	admin, err := cfg.dial(cfg.Admin)
	if err != nil {
		return nil, fmt.Errorf("admin login: %w", err)
	}
	defer admin.Close()
	var tag [4]byte
	_, _ = rand.Read(tag[:])
	tenant := "bench-" + hex.EncodeToString(tag[:])
	if _, err := exec(admin, "", fmt.Sprintf("tenant create %s --seats %d", tenant, cfg.Users)); err != nil {
		return nil, err
	}
	members := make([]member, 0, cfg.Users)
	defer func() { cleanup(cfg, admin, tenant, &members) }()
	fmt.Fprintf(cfg.Log, "enrolling %d users in tenant %s…\n", cfg.Users, tenant)
	for i := range cfg.Users {
		m, err := cfg.create(admin, tenant, i)
		if err != nil {
			return nil, err
		}
		members = append(members, m)
	}
	keys, err := cfg.enrol(ctx, members)
	if err != nil {
		return nil, err
	}

	r := newRecorder()
	r.ids = make(map[int]string, len(members))
	for i, m := range members {
		r.ids[i] = m.id
	}
	if cfg.ServerPID > 0 {
		time.Sleep(4 * time.Second) // the enrolments' KDF memory goes back first
	}
	before := sample(cfg.ServerPID)
	fmt.Fprintf(cfg.Log, "logging %d users in (%s)…\n", cfg.Users, cfg.Mode)
	users := make([]user, len(members))
	loginStart := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, cfg.Parallel)
	errs := make(chan error, len(members))
	for i := range members {
		peer := members[i^1].id // pairs: 0↔1, 2↔3, …
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			u, err := cfg.login(ctx, members[i], keys[i], peer, r)
			if err != nil {
				errs <- fmt.Errorf("user %d: %w", i, err)
				return
			}
			users[i] = u
		})
	}
	wg.Wait()
	close(errs)
	defer func() {
		for _, u := range users {
			if u != nil {
				u.close()
			}
		}
	}()
	if err := <-errs; err != nil {
		return nil, err
	}
	r.loginTime = time.Since(loginStart)
	time.Sleep(4 * time.Second) // let the sessions settle, and the logins' KDF memory go back
	idle := sample(cfg.ServerPID)

	fmt.Fprintf(cfg.Log, "%d users chatting at %g messages/s each for %s…\n", cfg.Active, cfg.Rate, cfg.Duration)
	cctx, cancel := context.WithTimeout(ctx, cfg.Duration)
	defer cancel()
	r.start = time.Now()
	for i := range cfg.Active {
		wg.Go(func() { chat(cctx, users[i], i, cfg.Rate, r) })
	}
	wg.Wait()
	r.end = time.Now()
	time.Sleep(2 * time.Second) // the last messages land
	after := sample(cfg.ServerPID)
	return r.report(cfg, before, idle, after), nil
}

// chat sends from one user at rate until ctx ends; each text carries the
// marker the recipient's screen is searched for.
func chat(ctx context.Context, u user, i int, rate float64, r *recorder) {
	t := time.NewTicker(time.Duration(float64(time.Second) / rate))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		// The send itself is not cut off by the end of the run.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		marker := r.sent(i)
		if err := u.send(sctx, marker); err != nil {
			r.fail(marker, err)
		}
		cancel()
	}
}

// dial connects as signer. A connection the server refuses before the
// handshake — its startup limits count a connection until it has seen the
// close, so a fast sequence of logins from one address can brush against
// them — is tried again after a pause, a few times.
func (c *Config) dial(signer ssh.Signer) (*ssh.Client, error) {
	cfg := &ssh.ClientConfig{User: "bench", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)},
		HostKeyCallback: c.HostKey, Timeout: time.Minute}
	var err error
	for try := range 8 {
		var cl *ssh.Client
		if cl, err = ssh.Dial("tcp", c.Addr, cfg); err == nil {
			return cl, nil
		}
		if !refusedEarly(err) {
			return nil, err
		}
		time.Sleep(time.Duration(try+1) * 100 * time.Millisecond)
	}
	return nil, err
}

// refusedEarly says the server closed the connection before the handshake
// finished: a startup limit, not a wrong key.
func refusedEarly(err error) bool {
	s := err.Error()
	return errors.Is(err, io.EOF) || strings.Contains(s, "connection reset by peer") || strings.Contains(s, "handshake failed: EOF")
}

// create makes one user through the admin commands.
func (c *Config) create(admin *ssh.Client, tenant string, i int) (member, error) {
	out, err := exec(admin, "", fmt.Sprintf("user create --tenant %s --name %q --json", tenant, "Bench User "+strconv.Itoa(i)))
	if err != nil {
		return member{}, err
	}
	var u struct {
		ID             string `json:"id"`
		ActivationCode string `json:"activation_code"`
	}
	if err := json.Unmarshal([]byte(out), &u); err != nil {
		return member{}, fmt.Errorf("user create: %w", err)
	}
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return member{}, err
	}
	signer, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		return member{}, err
	}
	return member{id: u.ID, signer: signer, code: u.ActivationCode}, nil
}

// exec runs one exec command and returns its standard output.
func exec(c *ssh.Client, stdin, cmd string) (string, error) {
	s, err := c.NewSession()
	if err != nil {
		return "", err
	}
	defer s.Close()
	s.Stdin = strings.NewReader(stdin)
	var out, errb strings.Builder
	s.Stdout, s.Stderr = &out, &errb
	if err := s.Run(cmd); err != nil {
		return "", fmt.Errorf("%s: %w: %s", strings.Fields(cmd)[0], err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// cleanup deletes the run's users and suspends its tenant (there is no
// command that deletes a tenant). The admin connection opened no session
// while the users chatted, so the server may have closed it as idle: it
// logs in again then.
func cleanup(cfg Config, admin *ssh.Client, tenant string, members *[]member) {
	if _, _, err := admin.SendRequest("keepalive@openssh.com", true, nil); err != nil {
		fresh, err := cfg.dial(cfg.Admin)
		if err != nil {
			fmt.Fprintf(cfg.Log, "cleanup: admin login: %v\n", err)
			return
		}
		defer fresh.Close()
		admin = fresh
	}
	failed := 0
	for _, m := range *members {
		if _, err := exec(admin, "", "user delete "+m.id+" --tenant "+tenant+" --keep-id=false --keep-app=false"); err != nil {
			if failed++; failed <= 3 {
				fmt.Fprintf(cfg.Log, "cleanup: %v\n", err)
			}
		}
	}
	if failed > 3 {
		fmt.Fprintf(cfg.Log, "cleanup: %d users not deleted\n", failed)
	}
	if _, err := exec(admin, "", "tenant suspend "+tenant); err != nil {
		fmt.Fprintf(cfg.Log, "cleanup: %v\n", err)
	}
}
