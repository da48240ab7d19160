package e2e

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pkg/sftp"
	gossh "golang.org/x/crypto/ssh"
)

// The tests in this file play the abuser of the hardening issue's
// denial-of-service findings against the real binary, each next to a
// normal client that must keep working.

// dialFrom opens a TCP connection from a loopback address of its own
// (127.0.0.0/8 is all loopback on Linux), so that the server sees another
// source than the normal clients on 127.0.0.1.
func dialFrom(t *testing.T, src, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src)}, Timeout: 5 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("dial from %s: %v", src, err)
	}
	return c
}

// closedWithin reports whether the server closes c within d (reading
// whatever it sends meanwhile, such as its version line).
func closedWithin(c net.Conn, d time.Duration) bool {
	_ = c.SetReadDeadline(time.Now().Add(d))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// greets reports whether the server sends its version line on c.
func greets(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.HasPrefix(line, "SSH-2.0-")
}

func gosshConfig(signer gossh.Signer) *gossh.ClientConfig {
	return &gossh.ClientConfig{User: "x", Auth: []gossh.AuthMethod{gossh.PublicKeys(signer)},
		HostKeyCallback: gossh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second} //nolint:gosec // test server on loopback
}

// rssKiB is a process's resident memory.
func rssKiB(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestHandshakeDeadlineInForce (finding 1): sockets that never speak SSH
// are closed at the handshake timeout; a source beyond its share of
// unauthenticated connections is refused before the handshake and, once
// its connections timed out, penalised; a normal user on another address
// is not held up; an authenticated connection without a session, or whose
// session ended, is closed too.
func TestHandshakeDeadlineInForce(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	root := newKey(t, dir, "root")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub",
		"--max-sessions", "50", "--handshake-timeout", "2s")

	// 60 raw sockets from one source: 10 get the server's greeting (its
	// share of unauthenticated connections), the others are closed at once.
	var held []net.Conn
	refused := 0
	for range 60 {
		c := dialFrom(t, "127.0.0.2", srv.sshAddr)
		defer c.Close()
		if greets(c) {
			held = append(held, c)
		} else {
			refused++
		}
	}
	if len(held) != 10 || refused != 50 {
		t.Fatalf("from one source: %d greeted, %d refused; want 10 and 50", len(held), refused)
	}
	// Meanwhile the admin on 127.0.0.1 works as usual.
	start := time.Now()
	if out := srv.mustSSH(root, "", "tenant", "list"); !strings.Contains(out, "NAME") {
		t.Fatalf("tenant list during the flood: %q", out)
	}
	t.Logf("an admin command took %s while one source held its share of unauthenticated connections", time.Since(start))
	// The server closes the silent sockets at the handshake timeout.
	for i, c := range held {
		if !closedWithin(c, 10*time.Second) {
			t.Fatalf("silent socket %d still open after the handshake timeout", i)
		}
	}
	// Ten timed-out connections earned the source a penalty: it is
	// refused before the handshake, the admin is not.
	c := dialFrom(t, "127.0.0.2", srv.sshAddr)
	if !closedWithin(c, 2*time.Second) {
		t.Fatal("a penalised source got a connection")
	}
	c.Close()
	srv.mustSSH(root, "", "tenant", "list")
	if !strings.Contains(srv.logText(), "connections refused") {
		t.Error("refused connections are not logged")
	}

	// An authenticated connection that opens no session is closed.
	cl, err := gossh.Dial("tcp", srv.sshAddr, gosshConfig(root.signer))
	if err != nil {
		t.Fatal(err)
	}
	waitClosed(t, cl, 10*time.Second, "an authenticated connection without a session")

	// One whose session ended gets the same time to start another.
	cl, err = gossh.Dial("tcp", srv.sshAddr, gosshConfig(root.signer))
	if err != nil {
		t.Fatal(err)
	}
	s, _ := cl.NewSession()
	if out, err := s.Output("tenant list"); err != nil || !strings.Contains(string(out), "NAME") {
		t.Fatalf("tenant list: %v %q", err, out)
	}
	waitClosed(t, cl, 10*time.Second, "a connection whose session ended")
}

// waitClosed waits for the server to close a client connection.
func waitClosed(t *testing.T, cl *gossh.Client, d time.Duration, what string) {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = cl.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
		cl.Close()
		t.Fatalf("%s is still open after %s", what, d)
	}
}

// TestStartupsNeverCrowdOutOpenConnections (finding 1): when unknown
// clients from many sources fill every startup place, new handshakes are
// refused, but a connection that already showed an enrolled key keeps
// opening sessions.
func TestStartupsNeverCrowdOutOpenConnections(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	root := newKey(t, dir, "root")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub",
		"--max-sessions", "50", "--max-startups", "20", "--max-startups-per-source", "5", "--handshake-timeout", "20s")
	admin, err := gossh.Dial("tcp", srv.sshAddr, gosshConfig(root.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	s, _ := admin.NewSession() // shows an enrolled key: the connection leaves the startup pool
	if out, err := s.Output("tenant list"); err != nil || !strings.Contains(string(out), "NAME") {
		t.Fatalf("tenant list: %v %q", err, out)
	}
	greeted := 0
	for i := range 25 {
		c := dialFrom(t, fmt.Sprintf("127.0.1.%d", 1+i/5), srv.sshAddr)
		defer c.Close()
		if greets(c) {
			greeted++
		}
	}
	if greeted != 20 {
		t.Fatalf("%d of 25 unknown connections greeted, want the 20 startup places", greeted)
	}
	for range 3 {
		s2, err := admin.NewSession()
		if err != nil {
			t.Fatalf("the admin's open connection could not open a session: %v", err)
		}
		if out, err := s2.Output("tenant list"); err != nil || !strings.Contains(string(out), "NAME") {
			t.Fatalf("tenant list on the open connection: %v %q", err, out)
		}
	}
}

// TestChannelsAndRequestsBounded (finding 3): channels per connection are
// capped, a channel that asks for nothing is closed, and env and other
// requests are capped in count and size.
func TestChannelsAndRequestsBounded(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	root := newKey(t, dir, "root")
	stranger := newKey(t, dir, "stranger") // not enrolled: any key may try
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub", "--handshake-timeout", "3s")
	pid := srv.cmd.Process.Pid
	before := rssKiB(t, pid)

	cl, err := gossh.Dial("tcp", srv.sshAddr, gosshConfig(stranger.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var chans []gossh.Channel
	for i := range 10 {
		ch, reqs, err := cl.OpenChannel("session", nil)
		if err != nil {
			t.Fatalf("channel %d: %v", i, err)
		}
		go gossh.DiscardRequests(reqs)
		chans = append(chans, ch)
	}
	_, _, err = cl.OpenChannel("session", nil)
	var oc *gossh.OpenChannelError
	if !errors.As(err, &oc) || oc.Reason != gossh.ResourceShortage {
		t.Fatalf("an 11th channel on one connection: %v, want a resource shortage", err)
	}
	// Channels that never ask for a shell, a command or a subsystem are
	// closed by the server.
	for i, ch := range chans {
		done := make(chan struct{})
		go func() { _, _ = io.Copy(io.Discard, ch); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatalf("idle channel %d still open", i)
		}
	}

	// env: accepted names only, 16 at most, short values.
	cl2, err := gossh.Dial("tcp", srv.sshAddr, gosshConfig(root.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer cl2.Close()
	ch, reqs, err := cl2.OpenChannel("session", nil)
	if err != nil {
		t.Fatal(err)
	}
	go gossh.DiscardRequests(reqs)
	setenv := func(k, v string) bool {
		ok, err := ch.SendRequest("env", true, gossh.Marshal(struct{ Key, Value string }{k, v}))
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if setenv("LD_PRELOAD", "/tmp/x.so") || setenv("TZ", strings.Repeat("x", 30<<10)) {
		t.Fatal("an env name the server does not take, or a 30 KiB value, was accepted")
	}
	accepted := 0
	for i := range 40 {
		if setenv(fmt.Sprintf("LC_X%d", i), "de_DE.UTF-8") {
			accepted++
		}
	}
	if accepted != 16 {
		t.Fatalf("%d env requests accepted, want 16", accepted)
	}
	// Requests beyond the cap are refused, the command too.
	for range 30 {
		_, _ = ch.SendRequest("no-such-request", true, nil)
	}
	ok, err := ch.SendRequest("exec", true, gossh.Marshal(struct{ Value string }{"tenant list"}))
	if err != nil || ok {
		t.Fatalf("exec after 72 requests: %v %v, want refused", ok, err)
	}
	ch.Close()

	// A normal session on the same connection still works.
	s, _ := cl2.NewSession()
	if err := s.Setenv("TZ", "Europe/Berlin"); err != nil {
		t.Fatalf("TZ refused: %v", err)
	}
	if out, err := s.Output("tenant list"); err != nil || !strings.Contains(string(out), "NAME") {
		t.Fatalf("tenant list: %v %q", err, out)
	}
	if grown := rssKiB(t, pid) - before; grown > 100<<10 {
		t.Errorf("server RSS grew by %d MiB", grown>>10)
	}
}

// TestPTYSizeClamped (finding 2): a terminal of 80×40,000,000 at the
// passphrase prompt, and 16,000×16,000 in an open chat, are drawn at the
// clamped size: the server's memory stays flat, the session works, and
// another user is served promptly meanwhile.
func TestPTYSizeClamped(t *testing.T) {
	need(t, "ssh")
	dir := t.TempDir()
	root := newKey(t, dir, "root")
	ada := newKey(t, dir, "ada")
	srv := startServer(t, filepath.Join(dir, "data"), "--bootstrap-admin-key", root.path+".pub")
	srv.mustSSH(root, "", "tenant", "create", "acme", "--seats", "2")
	var u struct {
		ActivationCode string `json:"activation_code"`
	}
	mustJSON(t, srv.mustSSH(root, "", "user", "create", "--tenant", "acme", "--name", "Ada", "--json"), &u)
	srv.mustSSH(ada, "the passphrase\n", "activate", u.ActivationCode)
	pid := srv.cmd.Process.Pid
	before := rssKiB(t, pid)

	cl, err := gossh.Dial("tcp", srv.sshAddr, gosshConfig(ada.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	s, _ := cl.NewSession()
	if err := s.RequestPty("xterm-256color", 40_000_000, 80, gossh.TerminalModes{}); err != nil {
		t.Fatal(err)
	}
	in, _ := s.StdinPipe()
	out, _ := s.StdoutPipe()
	if err := s.Shell(); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(out)
	if err := waitOutput(r, "Passphrase"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendRequest("window-change", false, gossh.Marshal(struct{ W, H, PW, PH uint32 }{80, 40_000_000, 0, 0})); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(in, "the passphrase\r")
	if err := waitOutput(r, "Welcome to Parley"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SendRequest("window-change", false, gossh.Marshal(struct{ W, H, PW, PH uint32 }{16000, 16000, 0, 0})); err != nil {
		t.Fatal(err)
	}
	go func() { _, _ = io.Copy(io.Discard, r) }()
	time.Sleep(2 * time.Second) // let it draw
	if grown := rssKiB(t, pid) - before; grown > 200<<10 {
		t.Errorf("server RSS grew by %d MiB with huge terminals", grown>>10)
	}
	// Another user on the same server, while the huge terminal is open.
	start := time.Now()
	srv.mustSSH(root, "", "tenant", "list")
	took := time.Since(start)
	t.Logf("another user's command took %v while a 16000×16000 terminal was open", took.Round(time.Millisecond))
	if took > 5*time.Second {
		t.Fatalf("another user's command took %v while a huge terminal was open", took)
	}
	_, _ = io.WriteString(in, "/quit\r")
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("the chat did not end after /quit")
	}
	srv.mustSSH(root, "", "tenant", "list")
}

// TestHTTPSlowClientsBounded (limits: HTTP slowloris): a source that sends
// its headers a byte at a time holds at most its share of connections,
// each only until the header timeout; beyond its share, and beyond the
// listener's total, connections are closed at once; oversized headers are
// refused with 431; a normal client on another address is served
// promptly all the while.
func TestHTTPSlowClientsBounded(t *testing.T) {
	srv := startServer(t, t.TempDir(), "--http-header-timeout", "3s",
		"--http-max-conns-per-source", "8", "--http-max-conns", "30")
	healthz := func() time.Duration {
		t.Helper()
		start := time.Now()
		c := dialFrom(t, "127.0.0.1", srv.http)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
			t.Fatalf("healthz: %v", err)
		}
		b, err := io.ReadAll(c)
		if err != nil || !strings.HasPrefix(string(b), "HTTP/1.1 200") {
			t.Fatalf("healthz while slow clients hold connections: %v %q", err, b)
		}
		return time.Since(start)
	}
	// slow opens a connection that starts a request and sends one more
	// header byte every 200 ms, until the server closes it.
	type slowConn struct {
		c      net.Conn
		closed chan time.Time
	}
	slow := func(src string) slowConn {
		c := dialFrom(t, src, srv.http)
		t.Cleanup(func() { _ = c.Close() })
		s := slowConn{c: c, closed: make(chan time.Time, 1)}
		go func() {
			if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nX-Slow: "); err == nil {
				for {
					time.Sleep(200 * time.Millisecond) // the abuser's pace
					if _, err := io.WriteString(c, "a"); err != nil {
						break
					}
				}
			}
			s.closed <- time.Now()
		}()
		return s
	}

	// One source, its share of 8 held, then two more closed at once.
	start := time.Now()
	var held []slowConn
	for range 8 {
		held = append(held, slow("127.0.3.1"))
	}
	time.Sleep(300 * time.Millisecond) // the server has accepted them
	for range 2 {
		c := dialFrom(t, "127.0.3.1", srv.http)
		if !closedWithin(c, 2*time.Second) {
			t.Fatal("a connection beyond the source's share stayed open")
		}
		_ = c.Close()
	}
	var worst time.Duration
	for range 5 {
		worst = max(worst, healthz())
	}
	t.Logf("healthz took at most %v while one source held its share", worst.Round(time.Millisecond))
	if worst > 2*time.Second {
		t.Fatalf("a normal client waited %v while a slow source held its share", worst)
	}
	// The header timeout closes every held connection, trickle or not.
	for i, s := range held {
		select {
		case at := <-s.closed:
			if took := at.Sub(start); took > 3*time.Second+5*time.Second {
				t.Fatalf("slow connection %d held for %v, past the 3 s header timeout", i, took)
			}
		case <-time.After(15 * time.Second):
			t.Fatalf("slow connection %d is still open long after the header timeout", i)
		}
	}

	// Many sources: the listener holds at most 30 at once, whatever the
	// sources; the one beyond is closed at once.
	for i := range 30 {
		slow(fmt.Sprintf("127.0.4.%d", 1+i/6))
	}
	time.Sleep(300 * time.Millisecond)
	extra := dialFrom(t, "127.0.5.1", srv.http)
	if !closedWithin(extra, 2*time.Second) {
		t.Fatal("a connection beyond the listener's total stayed open")
	}
	_ = extra.Close()
	// Once the header timeout has passed, the places are free again.
	deadline := time.Now().Add(15 * time.Second)
	for {
		c := dialFrom(t, "127.0.0.1", srv.http)
		_ = c.SetDeadline(time.Now().Add(2 * time.Second))
		_, _ = io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
		b, _ := io.ReadAll(c)
		_ = c.Close()
		if strings.HasPrefix(string(b), "HTTP/1.1 200") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the listener's places did not come back after the header timeout")
		}
		time.Sleep(200 * time.Millisecond) // the slow connections are still being closed
	}

	// Headers beyond 64 KiB are refused.
	c := dialFrom(t, "127.0.0.1", srv.http)
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	big := "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + strings.Repeat("b", 100<<10) + "\r\n\r\n"
	_, _ = io.WriteString(c, big)
	b, _ := io.ReadAll(c)
	if !strings.HasPrefix(string(b), "HTTP/1.1 431") {
		t.Fatalf("a 100 KiB header: %q, want 431", b[:min(len(b), 80)])
	}
}

// TestMessageFloodThrottled (limits: message floods): a user who pastes
// hundreds of lines at a server with --rate 5 gets the excess refused
// ("sending too fast", each marked to retry), and a user on another key
// sending meanwhile is delivered promptly.
func TestMessageFloodThrottled(t *testing.T) {
	f := newAdminFx(t, "--rate", "5")
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob, cat, dan := f.key("ann"), f.key("bob"), f.key("cat"), f.key("dan")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	c := f.activeUser("acme", []key{cat}, "--name", "Cat Cooper")
	d := f.activeUser("acme", []key{dan}, "--name", "Dan Dunn")
	x := f.x
	for _, s := range []struct {
		name string
		k    key
	}{{"ann", ann}, {"bob", bob}, {"cat", cat}, {"dan", dan}} {
		f.chat(s.name, s.k)
	}
	x.line("ann", "/open "+b.ID)
	x.line("bob", "/open "+c.ID) // Bob looks elsewhere: no read receipts of his own add to the count
	x.line("cat", "/open "+d.ID)
	x.line("dan", "/open "+c.ID)
	x.line("cat", "warm up")
	x.waitFor("dan", "warm up")

	burst(x, "ann", "flood", 400) // far beyond the burst of 50
	var worst time.Duration
	for i := range 5 {
		text := fmt.Sprintf("while flooding %d", i)
		start := time.Now()
		x.line("cat", text)
		x.waitFor("dan", text)
		worst = max(worst, time.Since(start))
		time.Sleep(300 * time.Millisecond) // a person's pace
	}
	t.Logf("a normal user's messages took at most %v to arrive during the flood", worst.Round(time.Millisecond))
	if worst > 5*time.Second {
		t.Fatalf("a normal user's message took %v to arrive during another user's flood", worst)
	}
	x.waitFor("ann", "sending too fast")
}

// TestSFTPHandlesBoundedNormalUserServed (finding 4, limits): over real
// SSH, an sftp session holds at most its cap of open files and of bytes
// written ahead of order, whatever it asks; while it holds them, another
// user's scp upload goes through promptly and the server's memory stays
// flat.
func TestSFTPHandlesBoundedNormalUserServed(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "5")
	ann, bob, cat := f.key("ann"), f.key("bob"), f.key("cat")
	f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	f.activeUser("acme", []key{cat}, "--name", "Cat Cooper")
	for _, k := range []key{ann, cat} {
		f.srv.mustSSH(k, "the passphrase\n", "unlock")
	}
	pid := f.srv.cmd.Process.Pid
	before := rssKiB(t, pid)

	cl, err := gossh.Dial("tcp", f.srv.sshAddr, gosshConfig(ann.signer))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	sc, err := sftp.NewClient(cl)
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	var open []*sftp.File
	for i := range 20 {
		fh, err := sc.OpenFile(fmt.Sprintf("@%s/part%02d", b.ID, i), os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			break
		}
		open = append(open, fh)
	}
	if len(open) != 4 {
		t.Fatalf("%d files open in one sftp session, want the cap of 4", len(open))
	}
	chunk := make([]byte, 10<<20)
	held := 0
	for _, fh := range open {
		if _, err := fh.WriteAt(chunk, 1); err == nil { // ahead of order: held until byte 0 comes
			held++
		}
	}
	if held != 1 {
		t.Fatalf("%d files hold 10 MiB ahead of order, want 1 (16 MiB for the session)", held)
	}

	// A normal user, meanwhile.
	file := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(file, []byte("minutes of the meeting\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if r := f.srv.scp(cat, file, "HOST:@"+b.ID); r.code != 0 {
		t.Fatalf("a normal user's upload during the abuse: %+v", r)
	}
	took := time.Since(start)
	t.Logf("a normal user's scp upload took %v while another session held its sftp caps", took.Round(time.Millisecond))
	if took > 10*time.Second {
		t.Fatalf("a normal user's upload took %v", took)
	}
	if grown := rssKiB(t, pid) - before; grown > 100<<10 {
		t.Errorf("server RSS grew by %d MiB", grown>>10)
	}
}
