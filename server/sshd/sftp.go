package sshd

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"

	"charm.land/ssh"
	"github.com/pkg/sftp"

	"github.com/parley-chat/parley/server/auth"
)

// The sftp subsystem shows a user a small tree:
//
//	/                     the root: holds only inbox
//	/inbox/               the files the user received, one per message ID
//	/inbox/<message-id>   a received file (read only)
//	/@<ID or name>/       a recipient: writing <name> into it sends a file
//
// OpenSSH's scp (9 and later) uploads to "@K7ZP4Q2M" by asking whether it
// is a directory and then writing "@K7ZP4Q2M/report.pdf", which keeps the
// file's name; it downloads "inbox/<id>" by stat, open and reads.
//
// sftp clients do not show the server's error texts (only a code such as
// "Failure"), so every refusal is also written to the session's standard
// error, which the client prints.

// Limits of one sftp session.
const (
	// maxPendingWrite bounds the bytes of writes that arrived ahead of
	// their turn (clients keep several writes in flight), over all the
	// files a session writes.
	maxPendingWrite = 16 << 20
	// maxOpenFiles bounds the files a session has open at once.
	maxOpenFiles = 4
	// readWindow is how far back a download can be re-read without
	// starting it over.
	readWindow = 4 << 20
	// maxRestarts bounds how often a download starts over for reads that
	// go backwards.
	maxRestarts = 8
)

// serveSFTP runs the sftp subsystem for one user.
func (s *Server) serveSFTP(sess ssh.Session, p *auth.Principal, open filesOpener) int {
	ctx, end := context.WithCancelCause(auth.With(sess.Context(), p))
	defer end(nil)
	defer s.watchSession(p, true, end)()
	// An ended watch closes the session, which ends Serve.
	stop := context.AfterFunc(ctx, func() {
		if cause := context.Cause(ctx); !errors.Is(cause, context.Canceled) {
			fmt.Fprintf(sess.Stderr(), "Session ended: %s\n", capitalizeFirst(cause.Error()))
			_ = sess.Exit(1)
		}
	})
	defer stop()
	files, err := open(ctx)
	if err != nil {
		fmt.Fprintf(sess.Stderr(), "error: %s\n", oneLine(capitalizeFirst(err.Error())))
		return 1
	}
	defer files.Close()
	h := &sftpHandler{ctx: ctx, files: files, stderr: sess.Stderr(), budget: &sftpBudget{}}
	srv := sftp.NewRequestServer(sess, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
	// Serve returns when the client is done; its Close would close the
	// channel before the exit status goes out, which scp reports as a
	// failure: the caller's Exit closes it.
	err = srv.Serve()
	if err != nil && !errors.Is(err, io.EOF) {
		s.log.InfoContext(ctx, "sftp session ended", "err", err, "session", p.Session)
		return 1
	}
	return 0
}

// sftpHandler serves one sftp session of one user.
type sftpHandler struct {
	ctx    context.Context //nolint:containedctx // the session's context
	files  userFiles
	mu     sync.Mutex // serialises writes to stderr
	stderr io.Writer
	budget *sftpBudget
}

// sftpBudget holds one session's open files and bytes held for writes
// ahead of their turn, so that neither grows with the files it opens.
type sftpBudget struct {
	mu      sync.Mutex
	files   int
	pending int
}

// open takes a file place; the release gives it back, once.
func (b *sftpBudget) open() (release func(), ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.files >= maxOpenFiles {
		return nil, false
	}
	b.files++
	var once sync.Once
	return func() {
		once.Do(func() {
			b.mu.Lock()
			b.files--
			b.mu.Unlock()
		})
	}, true
}

// hold takes n bytes of the pending budget.
func (b *sftpBudget) hold(n int) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pending+n > maxPendingWrite {
		return false
	}
	b.pending += n
	return true
}

// free gives n bytes back.
func (b *sftpBudget) free(n int) {
	b.mu.Lock()
	b.pending -= n
	b.mu.Unlock()
}

// errTooManyFiles refuses a file beyond maxOpenFiles.
var errTooManyFiles = fmt.Errorf("at most %d files can be open at once in one session", maxOpenFiles)

// report writes a refusal where the user sees it and returns err.
func (h *sftpHandler) report(err error) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	fmt.Fprintf(h.stderr, "error: %s\n", oneLine(capitalizeFirst(err.Error())))
	return err
}

// notFound is an sftp "no such file" (the library needs a *PathError to
// tell it from other failures).
func notFound(p string) error {
	return &fs.PathError{Op: "open", Path: clipPath(p), Err: fs.ErrNotExist}
}

// Fileread opens a received file for download.
func (h *sftpHandler) Fileread(r *sftp.Request) (io.ReaderAt, error) {
	id, err := parseInboxPath(r.Filepath)
	if err != nil {
		return nil, h.report(err)
	}
	e, err := h.files.Stat(h.ctx, id)
	if err != nil {
		return nil, h.report(err)
	}
	release, ok := h.budget.open()
	if !ok {
		return nil, h.report(errTooManyFiles)
	}
	ra := &streamReaderAt{size: e.Size, open: func() io.ReadCloser { return fetchStream(h.ctx, h.files, id) }, release: release}
	if err := ra.prime(); err != nil {
		_ = ra.Close()
		return nil, h.report(err)
	}
	return ra, nil
}

// Filewrite starts sending a file: the bytes stream into the upload as
// they arrive; Close completes it.
func (h *sftpHandler) Filewrite(r *sftp.Request) (io.WriterAt, error) {
	t, err := parseUploadTarget(r.Filepath)
	if err == nil && t.Name == "" {
		err = fmt.Errorf("%q: name the file: @%s/NAME", clipPath(r.Filepath), t.To)
	}
	if err != nil {
		return nil, h.report(err)
	}
	flags := r.Pflags()
	if flags.Read || flags.Append {
		return nil, h.report(errors.New("files can only be written from the start, once"))
	}
	release, ok := h.budget.open()
	if !ok {
		return nil, h.report(errTooManyFiles)
	}
	w := newUploadWriter(func(rd io.Reader) error {
		return h.files.Send(h.ctx, t.To, t.Name, rd, -1)
	}, h.report)
	w.budget, w.release = h.budget, release
	return w, nil
}

// Filecmd accepts setting times and modes (scp -p does) and refuses the
// rest: nothing here can be renamed, removed or made.
func (h *sftpHandler) Filecmd(r *sftp.Request) error {
	if r.Method == "Setstat" {
		if _, err := parseInboxPath(r.Filepath); err == nil {
			return nil
		}
		if _, err := parseUploadTarget(r.Filepath); err == nil {
			return nil
		}
		return notFound(r.Filepath)
	}
	return h.report(fmt.Errorf("%s %q: files cannot be changed here (%w)", r.Method, clipPath(r.Filepath), sftp.ErrSSHFxPermissionDenied))
}

// Filelist answers stat and directory listings.
func (h *sftpHandler) Filelist(r *sftp.Request) (sftp.ListerAt, error) {
	p := path.Clean("/" + r.Filepath)
	switch r.Method {
	case "Stat", "Lstat":
		fi, err := h.stat(p)
		if err != nil {
			return nil, err
		}
		return listerAt{fi}, nil
	case "List":
		switch p {
		case "/":
			return listerAt{dirInfo("inbox")}, nil
		case "/inbox":
			es, err := h.files.List(h.ctx)
			if err != nil {
				return nil, h.report(err)
			}
			out := make(listerAt, len(es))
			for i, e := range es {
				out[i] = entryInfo(e)
			}
			return out, nil
		}
		if _, err := parseUploadTarget(p); err == nil {
			return listerAt{}, nil // a recipient: nothing to list
		}
		return nil, notFound(p)
	}
	return nil, sftp.ErrSSHFxOpUnsupported
}

// stat describes one path of the tree.
func (h *sftpHandler) stat(p string) (os.FileInfo, error) {
	switch p {
	case "/":
		return dirInfo("/"), nil
	case "/inbox":
		return dirInfo("inbox"), nil
	}
	if id, err := parseInboxPath(p); err == nil {
		e, err := h.files.Stat(h.ctx, id)
		if err != nil {
			return nil, notFound(p)
		}
		return entryInfo(e), nil
	}
	if t, err := parseUploadTarget(p); err == nil && t.Name == "" {
		return dirInfo(path.Base(p)), nil
	}
	return nil, notFound(p)
}

// fileInfo is an os.FileInfo of the tree.
type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	mtime time.Time
}

func (f fileInfo) Name() string       { return f.name }
func (f fileInfo) Size() int64        { return f.size }
func (f fileInfo) Mode() fs.FileMode  { return f.mode }
func (f fileInfo) ModTime() time.Time { return f.mtime }
func (f fileInfo) IsDir() bool        { return f.mode.IsDir() }
func (f fileInfo) Sys() any           { return nil }

func dirInfo(name string) fileInfo { return fileInfo{name: name, mode: fs.ModeDir | 0o700} }

func entryInfo(e fileEntry) fileInfo {
	return fileInfo{name: e.ID.String(), size: e.Size, mode: 0o400, mtime: e.Time}
}

// listerAt is a fixed listing.
type listerAt []os.FileInfo

func (l listerAt) ListAt(out []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(out, l[off:])
	if int(off)+n == len(l) {
		return n, io.EOF
	}
	return n, nil
}

// uploadWriter turns an sftp client's writes, which may arrive out of
// order, into the sequential stream an upload reads.
type uploadWriter struct {
	pw     *io.PipeWriter
	done   chan struct{} // closed when the upload returned
	err    error         // the upload's result, once done
	report func(error) error
	// budget is the session's, shared by its files (nil: this file's
	// own maxPendingWrite); release gives the file's place back.
	budget  *sftpBudget
	release func()

	mu      sync.Mutex // guards the fields below
	off     int64      // the next offset the stream takes
	pending map[int64][]byte
	held    int   // bytes in pending
	failed  error // a write failed: every later one does
	closed  bool
}

// newUploadWriter starts upload, which reads the file from its reader.
func newUploadWriter(upload func(io.Reader) error, report func(error) error) *uploadWriter {
	pr, pw := io.Pipe()
	w := &uploadWriter{pw: pw, done: make(chan struct{}), report: report, pending: map[int64][]byte{}}
	go func() {
		err := upload(pr)
		pr.CloseWithError(cmp.Or(err, io.ErrClosedPipe)) // writes still in flight fail with the reason
		w.err = err
		close(w.done)
	}()
	return w
}

// WriteAt takes the bytes at off: in order they go to the stream,
// ahead of order they wait (up to maxPendingWrite).
func (w *uploadWriter) WriteAt(b []byte, off int64) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.failed != nil {
		return 0, w.failed
	}
	switch {
	case w.closed:
		return 0, w.fail(errors.New("write after close"))
	case off < w.off:
		return 0, w.fail(errors.New("the file must be written once, from start to end"))
	case off > w.off:
		if _, dup := w.pending[off]; dup || w.held+len(b) > maxPendingWrite {
			return 0, w.fail(errors.New("the file must be written once, from start to end"))
		}
		if w.budget != nil && !w.budget.hold(len(b)) {
			return 0, w.fail(fmt.Errorf("more than %d MiB written ahead of order in this session", maxPendingWrite>>20))
		}
		w.pending[off] = append([]byte(nil), b...)
		w.held += len(b)
		return len(b), nil
	}
	if err := w.write(b); err != nil {
		return 0, err
	}
	for {
		next, ok := w.pending[w.off]
		if !ok {
			break
		}
		delete(w.pending, w.off)
		w.held -= len(next)
		if w.budget != nil {
			w.budget.free(len(next))
		}
		if err := w.write(next); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// write sends b to the stream; w.mu is held.
func (w *uploadWriter) write(b []byte) error {
	if _, err := w.pw.Write(b); err != nil {
		return w.fail(err)
	}
	w.off += int64(len(b))
	return nil
}

// fail records and reports the first failure; w.mu is held.
func (w *uploadWriter) fail(err error) error {
	if w.failed == nil {
		w.failed = err
		_ = w.report(err)
		w.pw.CloseWithError(err)
	}
	w.drop()
	return w.failed
}

// drop lets go of the writes held ahead of order; w.mu is held.
func (w *uploadWriter) drop() {
	if w.budget != nil {
		w.budget.free(w.held)
	}
	clear(w.pending)
	w.held = 0
}

// finish gives the file's place back.
func (w *uploadWriter) finish() {
	if w.release != nil {
		w.release()
	}
}

// Close ends the file and waits for the upload: its result is the
// client's answer.
func (w *uploadWriter) Close() error {
	defer w.finish()
	w.mu.Lock()
	if !w.closed {
		w.closed = true
		if w.failed == nil && len(w.pending) > 0 {
			_ = w.fail(errors.New("the file has gaps: the client did not write every byte"))
		}
		_ = w.pw.Close()
	}
	reported := w.failed != nil
	w.mu.Unlock()
	<-w.done
	if w.err != nil && !reported {
		return w.report(w.err)
	}
	return w.err
}

// TransferError aborts the upload when the session breaks.
func (w *uploadWriter) TransferError(err error) {
	w.mu.Lock()
	w.closed = true
	if w.failed == nil {
		w.failed = err
	}
	w.drop()
	w.pw.CloseWithError(err)
	w.mu.Unlock()
	<-w.done
	w.finish()
}

// streamReaderAt serves a client's reads at offsets from a stream read
// front to back: reads a little out of order come from the recent bytes;
// a read further back starts the stream over.
type streamReaderAt struct {
	size int64
	open func() io.ReadCloser
	// release gives the file's place back (nil: none taken).
	release func()

	mu       sync.Mutex // guards the fields below
	rc       io.ReadCloser
	pos      int64  // bytes read from rc
	win      []byte // the last bytes read: [pos-len(win), pos)
	restarts int
	closed   bool
}

// prime starts the stream and reads its first bytes, so a file that cannot
// be fetched fails at open.
func (r *streamReaderAt) prime() error {
	if r.size == 0 {
		return nil
	}
	_, err := r.ReadAt(make([]byte, 1), 0)
	if errors.Is(err, io.EOF) {
		err = nil
	}
	return err
}

// ReadAt reads len(b) bytes at off.
func (r *streamReaderAt) ReadAt(b []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("negative offset")
	}
	if off >= r.size {
		return 0, io.EOF
	}
	end := min(off+int64(len(b)), r.size)
	if end-off > readWindow {
		return 0, errors.New("read larger than the download window")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return 0, os.ErrClosed
	}
	if r.rc == nil || off < r.pos-int64(len(r.win)) {
		if err := r.restart(); err != nil {
			return 0, err
		}
	}
	for r.pos < end {
		if err := r.fill(); err != nil {
			return 0, err
		}
	}
	start := off - (r.pos - int64(len(r.win)))
	n := copy(b, r.win[start:start+(end-off)])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// restart opens the stream from its start; r.mu is held.
func (r *streamReaderAt) restart() error {
	if r.rc != nil {
		if r.restarts++; r.restarts > maxRestarts {
			return errors.New("download read out of order too often")
		}
		_ = r.rc.Close()
	}
	r.rc, r.pos, r.win = r.open(), 0, r.win[:0]
	return nil
}

// fill reads the next piece of the stream into the window; r.mu is held.
func (r *streamReaderAt) fill() error {
	var buf [64 << 10]byte
	n, err := r.rc.Read(buf[:])
	r.win = append(r.win, buf[:n]...)
	r.pos += int64(n)
	if len(r.win) > 2*readWindow {
		r.win = append(r.win[:0], r.win[len(r.win)-readWindow:]...)
	}
	switch {
	case n > 0:
		return nil
	case errors.Is(err, io.EOF):
		return fmt.Errorf("the file ended after %d of %d bytes: %w", r.pos, r.size, io.ErrUnexpectedEOF)
	case err != nil:
		return err
	}
	return nil
}

// Close stops the stream.
func (r *streamReaderAt) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if r.release != nil {
		r.release()
	}
	if r.rc != nil {
		return r.rc.Close()
	}
	return nil
}
