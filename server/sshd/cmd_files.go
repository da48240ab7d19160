package sshd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"charm.land/ssh"
	"github.com/spf13/cobra"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/tui/core"
)

// scp runs a legacy scp exec command for the principal.
func (s *Server) scp(sess ssh.Session, p *auth.Principal) int {
	return s.serveSCP(sess, p, s.openFiles(p))
}

// sftp is the sftp subsystem. Subsystems bypass the session middleware,
// so New wraps it in the same chain.
func (s *Server) sftp(sess ssh.Session) {
	p := principal(sess)
	if p == nil {
		_ = sess.Exit(1)
		return
	}
	_ = sess.Exit(s.serveSFTP(sess, p, s.openFiles(p)))
}

// openFiles opens the principal's files: its hosted core, unlocked with
// the key of the unlock window.
func (s *Server) openFiles(p *auth.Principal) filesOpener {
	return func(ctx context.Context) (userFiles, error) {
		if !p.CanChat() {
			return nil, errNotChatUser
		}
		if err := s.deps.Directory.CanConnect(ctx, *p.User); err != nil {
			return nil, err
		}
		if err := s.needSealedKey(ctx, p); err != nil {
			return nil, err // local mode: `unlock` cannot help
		}
		c, err := hosted.OpenCore(ctx, s.deps.Hosted, p)
		if errors.Is(err, hosted.ErrLocked) {
			return nil, fmt.Errorf("%w: run `%s unlock` (or keep a chat session open), then try again", err, s.sshCommand(""))
		}
		if err != nil {
			return nil, err
		}
		return &coreFiles{c: c, blobs: s.deps.Hosted.Blobs}, nil
	}
}

// coreFiles is userFiles through the user's hosted core.
type coreFiles struct {
	c     *core.Core
	blobs *blobs.Store

	mu     sync.Mutex // guards synced
	synced bool
}

// sync brings the core's history up to date with the mailbox, once.
func (f *coreFiles) sync(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.synced {
		return nil
	}
	if err := f.c.Start(ctx, func() {}); err != nil {
		return err
	}
	if _, err := f.c.Sync(ctx); err != nil {
		return fmt.Errorf("read your messages: %w", err)
	}
	f.synced = true
	return nil
}

func (f *coreFiles) Send(ctx context.Context, to, name string, r io.Reader, size int64) error {
	if size > 0 && f.blobs != nil {
		l, err := f.blobs.Limits(ctx)
		if err != nil {
			return err
		}
		if size > l.MaxFile {
			return fmt.Errorf("%w: %s is %s, the limit is %s (parley_max_attachment_mib)", blobs.ErrTooLarge, name,
				sizeText(size), sizeText(l.MaxFile))
		}
	}
	var ref core.ConvRef
	if id, err := crypto.ParseID(to); err == nil {
		if _, err := f.c.Contact(ctx, id); err != nil {
			return fmt.Errorf("@%s: %w", to, err)
		}
		ref = core.Direct(id)
	} else {
		if err := f.sync(ctx); err != nil {
			return err
		}
		conv, err := f.c.FindConversation(ctx, to)
		if err != nil {
			return fmt.Errorf("@%s: no user, group or list of that name (%w)", to, err)
		}
		ref = conv.Ref
	}
	_, err := f.c.SendFile(ctx, ref, name, "", r, size)
	return err
}

func (f *coreFiles) List(ctx context.Context) ([]fileEntry, error) {
	if err := f.sync(ctx); err != nil {
		return nil, err
	}
	ms, err := f.c.Files(ctx)
	if err != nil {
		return nil, err
	}
	names := map[crypto.ID]string{}
	out := make([]fileEntry, len(ms))
	for i, m := range ms {
		name, ok := names[m.From]
		if !ok {
			if ct, err := f.c.Contact(ctx, m.From); err == nil {
				name = ct.Name
			}
			names[m.From] = name
		}
		out[i] = entryOf(m, name)
	}
	return out, nil
}

func (f *coreFiles) Stat(ctx context.Context, id crypto.MessageID) (fileEntry, error) {
	if err := f.sync(ctx); err != nil {
		return fileEntry{}, err
	}
	m, err := f.c.File(ctx, id)
	if err != nil {
		return fileEntry{}, err
	}
	return entryOf(m, ""), nil
}

func (f *coreFiles) Fetch(ctx context.Context, id crypto.MessageID, w io.Writer) error {
	_, err := f.c.OpenFile(ctx, id, w)
	return err
}

func (f *coreFiles) Close() { f.c.Close() }

func entryOf(m core.Message, fromName string) fileEntry {
	return fileEntry{ID: m.ID, From: m.From, FromName: fromName, Name: crypto.SafeFileName(m.File.Name), Mime: m.File.Mime,
		Size: m.File.Size, Time: m.Time, Caption: m.File.Caption}
}

// sizeText prints a size for people: 512 B, 3.4 KiB, 1.2 MiB, 2.0 GiB.
func sizeText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f, u := float64(n)/unit, "KiB"
	for _, next := range []string{"MiB", "GiB", "TiB"} {
		if f < unit {
			break
		}
		f, u = f/unit, next
	}
	return fmt.Sprintf("%.1f %s", f, u)
}

func (e *cmdEnv) filesCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "files",
		Short: "List the files you received (fetch one with scp HOST:inbox/ID .)",
		Long: `Lists the files you received, newest first: message ID, sender, name, size and
time. Fetch one with scp HOST:inbox/MESSAGE-ID . and send one with
scp FILE HOST:@ID. Your key must be unlocked: a chat session of yours is open,
or you ran unlock within the unlock window.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error { return e.files() },
	}
}

// fileJSON is one file of `files --json`.
type fileJSON struct {
	ID       string    `json:"id"`
	From     string    `json:"from"`
	FromName string    `json:"from_name,omitempty"`
	Name     string    `json:"name"`
	Size     int64     `json:"size"`
	Mime     string    `json:"mime"`
	Caption  string    `json:"caption,omitempty"`
	Time     time.Time `json:"time"`
}

func (e *cmdEnv) files() error {
	f, err := e.s.openFiles(e.p)(e.ctx)
	if err != nil {
		return err
	}
	defer f.Close()
	es, err := f.List(e.ctx)
	if err != nil {
		return err
	}
	if e.json {
		out := make([]fileJSON, len(es))
		for i, x := range es {
			out[i] = fileJSON{ID: x.ID.String(), From: x.From.String(), FromName: x.FromName, Name: x.Name, Size: x.Size,
				Mime: x.Mime, Caption: x.Caption, Time: x.Time.UTC()}
		}
		return e.printJSON(out)
	}
	if len(es) == 0 {
		_, err := fmt.Fprintln(e.out(), "No files received.")
		return err
	}
	loc := sessionZone(e.sess.Environ())
	rows := [][]string{{"ID", "FROM", "NAME", "SIZE", "RECEIVED"}}
	for _, x := range es {
		from := x.From.String()
		if x.FromName != "" {
			from = sanitizeCell(x.FromName) + " (" + from + ")"
		}
		rows = append(rows, []string{x.ID.String(), from, sanitizeCell(x.Name), sizeText(x.Size), x.Time.In(loc).Format("2006-01-02 15:04")})
	}
	if err := e.table(rows); err != nil {
		return err
	}
	_, err = fmt.Fprintf(e.out(), "\nFetch one with:  %s\n", e.s.scpCommand("HOST:inbox/"+es[0].ID.String(), shellWord(es[0].Name)))
	return err
}

// sanitizeCell keeps a name on one line of a table: control characters
// and tabs become spaces.
func sanitizeCell(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// scpCommand shows an scp command for this server: "scp [-P PORT] ARGS",
// with HOST replaced by the public host.
func (s *Server) scpCommand(args ...string) string {
	parts := []string{"scp"}
	if s.cfg.PublicPort != 22 {
		parts = append(parts, "-P", fmt.Sprint(s.cfg.PublicPort))
	}
	host := s.cfg.PublicHost
	if host == "" {
		host = "HOST"
	}
	for _, a := range args {
		parts = append(parts, strings.ReplaceAll(a, "HOST:", host+":"))
	}
	return strings.Join(parts, " ")
}

// shellWord quotes a file name for a command line the user may paste.
func shellWord(s string) string {
	plain := func(r rune) bool {
		return r == '.' || r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
	}
	if s != "" && strings.IndexFunc(s, func(r rune) bool { return !plain(r) }) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
