package sshd

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"charm.land/ssh"
	"charm.land/wish/v2/scp"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
)

// Files travel with the tools a terminal user already has:
//
//	scp report.pdf HOST:@K7ZP4Q2M         send to a user
//	scp report.pdf "HOST:@Sales Team"     send to a group or list by name
//	scp report.pdf HOST:@K7ZP4Q2M/q3.pdf  send under another name
//	scp HOST:inbox/MESSAGE-ID .           fetch a received file
//
// OpenSSH up to 8 speaks the legacy scp protocol (an `scp -t`/`scp -f`
// exec command, served here through wish's scp package); from 9 on, scp
// speaks sftp by default (sftp.go). Both reach the same userFiles.

// fileEntry is a file message as the file fronts show it.
type fileEntry struct {
	ID       crypto.MessageID
	From     crypto.ID
	FromName string
	// Name is the sender's file name, cleaned for saving.
	Name    string
	Mime    string
	Size    int64 // plaintext bytes
	Time    time.Time
	Caption string
}

// userFiles is what the file fronts do for one user, through the user's
// hosted core unlocked with the key of the unlock window. Errors are meant
// for the user.
type userFiles interface {
	// Send sends a file to a target ("K7ZP4Q2M", or a group or list name);
	// size is negative when unknown.
	Send(ctx context.Context, to, name string, r io.Reader, size int64) error
	// List lists the received files, newest first.
	List(ctx context.Context) ([]fileEntry, error)
	// Stat describes one file message.
	Stat(ctx context.Context, id crypto.MessageID) (fileEntry, error)
	// Fetch writes a file's plaintext to w.
	Fetch(ctx context.Context, id crypto.MessageID, w io.Writer) error
	Close()
}

// filesOpener opens the user's files, or fails (locked, not a user).
type filesOpener func(ctx context.Context) (userFiles, error)

// uploadTarget is where an uploaded file goes.
type uploadTarget struct {
	// To is the recipient without the "@": a Parley ID or a group or
	// list name.
	To string
	// Name replaces the file's own name when the target gives one.
	Name string
}

// maxTargetLen bounds a target's recipient part, in bytes.
const maxTargetLen = 200

// errBadTarget explains the paths the file fronts take.
var errBadTarget = errors.New("send to @ID or @GROUP (e.g. HOST:@K7ZP4Q2M), fetch from inbox/MESSAGE-ID")

// parseUploadTarget reads "@TO" or "@TO/NAME", with or without a leading
// "/" (sftp paths are absolute). Anything else, and any path that would
// climb ("..") or name a folder, is refused.
func parseUploadTarget(path string) (uploadTarget, error) {
	p := strings.TrimPrefix(path, "/")
	if !strings.HasPrefix(p, "@") {
		return uploadTarget{}, fmt.Errorf("scp target %q: %w", clipPath(path), errBadTarget)
	}
	to, name, hasName := strings.Cut(p[1:], "/")
	if err := checkRecipient(to); err != nil {
		return uploadTarget{}, fmt.Errorf("scp target %q: %w", clipPath(path), err)
	}
	if hasName {
		if err := crypto.CheckFileName(name); err != nil {
			return uploadTarget{}, fmt.Errorf("scp target %q: %w", clipPath(path), err)
		}
	}
	return uploadTarget{To: to, Name: name}, nil
}

// checkRecipient checks the "TO" of "@TO": a Parley ID or a name.
func checkRecipient(to string) error {
	switch {
	case strings.TrimSpace(to) == "":
		return fmt.Errorf("no recipient: %w", errBadTarget)
	case len(to) > maxTargetLen:
		return fmt.Errorf("recipient longer than %d bytes: %w", maxTargetLen, errBadTarget)
	case !utf8.ValidString(to) || strings.ContainsFunc(to, unicode.IsControl) || strings.Contains(to, `\`):
		return fmt.Errorf("recipient with control characters: %w", errBadTarget)
	case to == "." || to == "..":
		return errBadTarget
	}
	return nil
}

// parseInboxPath reads "inbox/MESSAGE-ID" (or "/inbox/...") and returns
// the message ID (16 hex characters).
func parseInboxPath(path string) (crypto.MessageID, error) {
	var id crypto.MessageID
	p := strings.TrimPrefix(path, "/")
	rest, ok := strings.CutPrefix(p, "inbox/")
	if !ok || len(rest) != 2*crypto.MessageIDLen {
		return id, fmt.Errorf("%q: %w", clipPath(path), errBadTarget)
	}
	if _, err := hex.Decode(id[:], []byte(strings.ToLower(rest))); err != nil {
		return id, fmt.Errorf("%q: %w", clipPath(path), errBadTarget)
	}
	return id, nil
}

// clipPath shortens a path quoted back in an error.
func clipPath(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > 80 {
		return string(r[:80]) + "…"
	}
	return s
}

// scpError is an error the scp middleware prints (after its own prefix,
// such as `failed to write file: "a.pdf": `) on a line of its own.
type scpError struct{ err error }

func (e scpError) Error() string { return oneLine(e.err.Error()) + "\n" }
func (e scpError) Unwrap() error { return e.err }

// serveSCP runs a legacy scp exec command (`scp -t` to send, `scp -f` to
// fetch) and returns the exit status.
func (s *Server) serveSCP(sess ssh.Session, p *auth.Principal, open filesOpener) int {
	info := scp.GetInfo(sess.Command())
	fail := func(err error) int {
		fmt.Fprintf(sess.Stderr(), "error: %s\n", oneLine(capitalizeFirst(err.Error())))
		return 1
	}
	if info.Recursive {
		return fail(errors.New("scp -r: send and fetch files one by one, not folders"))
	}
	h := &scpHandler{ctx: auth.With(sess.Context(), p)}
	switch info.Op {
	case scp.OpCopyFromClient:
		t, err := parseUploadTarget(info.Path)
		if err != nil {
			return fail(err)
		}
		h.target = t
	case scp.OpCopyToClient:
		if _, err := parseInboxPath(info.Path); err != nil {
			return fail(err)
		}
	default:
		return fail(errors.New("scp: neither -t nor -f"))
	}
	files, err := open(h.ctx)
	if err != nil {
		return fail(err)
	}
	defer files.Close()
	h.files = files
	// On an error the middleware prints it and ends the session itself.
	scp.Middleware(h, h)(func(ssh.Session) {})(sess)
	if h.failed {
		return 1
	}
	if info.Op == scp.OpCopyToClient {
		awaitAcks(sess, scpFetchAcks)
	}
	return 0
}

// scpFetchAcks is how many acknowledgements an scp client sends when it
// fetches one file: ready, after the times line, after the file line and
// after the data.
const scpFetchAcks = 4

// awaitAcks reads the client's acknowledgements, which the scp package
// does not wait for: ending the session before the client has sent its
// last one makes OpenSSH's scp report "lost connection" although the file
// arrived whole. It gives up after a few seconds.
func awaitAcks(sess ssh.Session, n int) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, n)
		_, _ = io.ReadFull(sess, buf)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
}

// scpHandler serves one legacy scp command for one user.
type scpHandler struct {
	ctx    context.Context //nolint:containedctx // one command's context
	files  userFiles
	target uploadTarget
	failed bool
}

var _ scp.Handler = (*scpHandler)(nil)

func (h *scpHandler) fail(err error) error {
	h.failed = true
	return scpError{err}
}

// Mkdir refuses folders: a file message holds one file.
func (h *scpHandler) Mkdir(ssh.Session, *scp.DirEntry) error {
	return h.fail(errors.New("folders cannot be sent: send the files one by one, or an archive"))
}

// Write sends one file the client copies.
func (h *scpHandler) Write(_ ssh.Session, e *scp.FileEntry) (int64, error) {
	name := e.Name
	if h.target.Name != "" {
		name = h.target.Name
	}
	if err := h.files.Send(h.ctx, h.target.To, name, e.Reader, e.Size); err != nil {
		return 0, h.fail(err)
	}
	return e.Size, nil
}

// Glob takes no patterns: the path must name one received file.
func (h *scpHandler) Glob(_ ssh.Session, path string) ([]string, error) {
	if _, err := parseInboxPath(path); err != nil {
		return nil, h.fail(err)
	}
	return []string{path}, nil
}

// WalkDir refuses recursive copies.
func (h *scpHandler) WalkDir(ssh.Session, string, fs.WalkDirFunc) error {
	return h.fail(errors.New("scp -r: fetch files one by one"))
}

// NewDirEntry refuses folders.
func (h *scpHandler) NewDirEntry(ssh.Session, string) (*scp.DirEntry, error) {
	return nil, h.fail(errors.New("inbox entries are files, not folders"))
}

// NewFileEntry opens a received file for the client. The file is fetched
// and checked to start before its header goes out, so a file that cannot
// be fetched fails cleanly.
func (h *scpHandler) NewFileEntry(_ ssh.Session, path string) (*scp.FileEntry, func() error, error) {
	id, err := parseInboxPath(path)
	if err != nil {
		return nil, nil, h.fail(err)
	}
	e, err := h.files.Stat(h.ctx, id)
	if err != nil {
		return nil, nil, h.fail(err)
	}
	rc := fetchStream(h.ctx, h.files, id)
	br := bufio.NewReaderSize(rc, 64<<10)
	if e.Size > 0 {
		if _, err := br.Peek(1); err != nil {
			_ = rc.Close()
			return nil, nil, h.fail(err)
		}
	}
	mtime := e.Time.Unix()
	// OpenSSH's scp accepts only the name it asked for (its defence
	// against a server that renames files), so the file goes out under
	// its message ID; `scp HOST:inbox/ID report.pdf` names it.
	return &scp.FileEntry{Name: id.String(), Filepath: path, Mode: 0o600, Size: e.Size, Reader: io.LimitReader(br, e.Size),
		Mtime: mtime, Atime: mtime}, rc.Close, nil
}

// fetchStream fetches a file in the background; closing the reader stops
// the fetch.
func fetchStream(ctx context.Context, files userFiles, id crypto.MessageID) io.ReadCloser {
	pr, pw := io.Pipe()
	go func() {
		pw.CloseWithError(files.Fetch(ctx, id, pw)) // nil: EOF
	}()
	return pr
}
