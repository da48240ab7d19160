package sshd

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/wish/v2/scp"
	"github.com/pkg/sftp"

	"github.com/parley-chat/parley/crypto"
)

// fakeFiles is a userFiles in memory: what was sent, and files to fetch.
type fakeFiles struct {
	limit int64 // Send refuses files larger than this

	mu    sync.Mutex
	sent  []sentFile
	inbox map[crypto.MessageID][]byte
	meta  map[crypto.MessageID]fileEntry
}

type sentFile struct {
	to, name string
	data     []byte
}

func newFakeFiles() *fakeFiles {
	return &fakeFiles{limit: 8 << 20, inbox: map[crypto.MessageID][]byte{}, meta: map[crypto.MessageID]fileEntry{}}
}

func (f *fakeFiles) Send(_ context.Context, to, name string, r io.Reader, size int64) error {
	b, err := io.ReadAll(io.LimitReader(r, f.limit+1))
	if err != nil {
		return err
	}
	if int64(len(b)) > f.limit {
		return fmt.Errorf("file too large: over the limit of %d bytes (parley_max_attachment_mib)", f.limit)
	}
	if size >= 0 && int64(len(b)) != size {
		return fmt.Errorf("got %d bytes, want %d", len(b), size)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, sentFile{to: to, name: name, data: b})
	return nil
}

func (f *fakeFiles) add(t *testing.T, name string, data []byte) crypto.MessageID {
	t.Helper()
	id, err := crypto.NewMessageID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.inbox[id] = data
	f.meta[id] = fileEntry{ID: id, Name: name, Size: int64(len(data)), Time: time.Unix(1700000000, 0)}
	return id
}

func (f *fakeFiles) List(context.Context) ([]fileEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []fileEntry
	for _, e := range f.meta {
		out = append(out, e)
	}
	return out, nil
}

func (f *fakeFiles) Stat(_ context.Context, id crypto.MessageID) (fileEntry, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e, ok := f.meta[id]
	if !ok {
		return fileEntry{}, errors.New("no such file")
	}
	return e, nil
}

func (f *fakeFiles) Fetch(_ context.Context, id crypto.MessageID, w io.Writer) error {
	f.mu.Lock()
	b, ok := f.inbox[id]
	f.mu.Unlock()
	if !ok {
		return errors.New("no such file")
	}
	_, err := w.Write(b)
	return err
}

func (f *fakeFiles) Close() {}

func (f *fakeFiles) sentFiles() []sentFile {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]sentFile(nil), f.sent...)
}

// syncBuffer is a bytes.Buffer safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// sftpPair runs the sftp handler over an in-memory connection and returns
// a client of it and the session's standard error.
func sftpPair(t *testing.T, files userFiles) (*sftp.Client, *syncBuffer) {
	t.Helper()
	a, b := net.Pipe()
	stderr := &syncBuffer{}
	h := &sftpHandler{ctx: t.Context(), files: files, stderr: stderr, budget: &sftpBudget{}}
	srv := sftp.NewRequestServer(a, sftp.Handlers{FileGet: h, FilePut: h, FileCmd: h, FileList: h})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve() }()
	c, err := sftp.NewClientPipe(b, b)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Close()
		_ = srv.Close()
		<-done
	})
	return c, stderr
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSFTPRoundTrip: a file written with concurrent writes arrives whole
// and in order; a received file read with concurrent reads matches.
func TestSFTPRoundTrip(t *testing.T) {
	files := newFakeFiles()
	c, stderr := sftpPair(t, files)
	fi, err := c.Stat("@K7ZP4Q2M")
	if err != nil || !fi.IsDir() {
		t.Fatalf("stat @K7ZP4Q2M = %v, %v; want a directory", fi, err)
	}
	data := randomBytes(t, 3<<20+12345)
	w, err := c.OpenFile("@K7ZP4Q2M/report.pdf", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.ReadFromWithConcurrency(bytes.NewReader(data), 16); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("close: %v (stderr %q)", err, stderr)
	}
	sent := files.sentFiles()
	if len(sent) != 1 || sent[0].to != "K7ZP4Q2M" || sent[0].name != "report.pdf" || !bytes.Equal(sent[0].data, data) {
		t.Fatalf("sent %d files; first to %q named %q, bytes equal: %t", len(sent), sent[0].to, sent[0].name,
			bytes.Equal(sent[0].data, data))
	}
	// A group name with a space.
	w, err = c.OpenFile("/@Sales Team/notes.txt", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := files.sentFiles()[1]; got.to != "Sales Team" || string(got.data) != "hello" {
		t.Fatalf("sent to %q: %q", got.to, got.data)
	}

	id := files.add(t, "budget.xlsx", data)
	empty := files.add(t, "empty.txt", nil)
	list, err := c.ReadDir("/inbox")
	if err != nil || len(list) != 2 {
		t.Fatalf("ls /inbox = %v, %v", list, err)
	}
	root, err := c.ReadDir("/")
	if err != nil || len(root) != 1 || root[0].Name() != "inbox" || !root[0].IsDir() {
		t.Fatalf("ls / = %v, %v", root, err)
	}
	r, err := c.Open("inbox/" + id.String())
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if _, err := r.WriteTo(&got); err != nil {
		t.Fatal(err)
	}
	_ = r.Close()
	if !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("downloaded %d bytes, different from the %d sent", got.Len(), len(data))
	}
	r, err = c.Open("/inbox/" + empty.String())
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(r); err != nil || len(b) != 0 {
		t.Fatalf("empty file: %q, %v", b, err)
	}
	_ = r.Close()
	if s := stderr.String(); s != "" {
		t.Fatalf("stderr %q after success", s)
	}
}

// TestSFTPRefusals: bad paths, oversize files and changes are refused with
// a message on standard error, and nothing is sent.
func TestSFTPRefusals(t *testing.T) {
	files := newFakeFiles()
	files.limit = 1 << 20
	c, stderr := sftpPair(t, files)
	write := func(path string, data []byte) error {
		w, err := c.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
		if err != nil {
			return err
		}
		_, werr := w.ReadFromWithConcurrency(bytes.NewReader(data), 8)
		cerr := w.Close()
		return errors.Join(werr, cerr)
	}
	for _, tc := range []struct{ path, want string }{
		{"/etc/passwd", "send to @ID or @GROUP"},
		{"../../../etc/passwd", "send to @ID or @GROUP"},
		{"@K7ZP4Q2M", "name the file"},
		{"@K7ZP4Q2M/../../etc/passwd", "send to @ID or @GROUP"}, // cleaned to /etc/passwd
		{"@/x", "no recipient"},
		{"inbox/0011223344556677", "send to @ID or @GROUP"},
	} {
		if err := write(tc.path, []byte("x")); err == nil {
			t.Errorf("write %s succeeded", tc.path)
		}
		if !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("write %s: stderr %q lacks %q", tc.path, stderr, tc.want)
		}
	}
	if err := write("@K7ZP4Q2M/big.bin", randomBytes(t, 3<<20)); err == nil {
		t.Error("an oversize upload succeeded")
	}
	if !strings.Contains(stderr.String(), "over the limit") {
		t.Errorf("stderr %q does not explain the refusal", stderr)
	}
	if sent := files.sentFiles(); len(sent) != 0 {
		t.Fatalf("refused uploads sent %d files", len(sent))
	}
	id := files.add(t, "a.txt", []byte("abc"))
	if err := c.Remove("/inbox/" + id.String()); err == nil {
		t.Error("remove succeeded")
	}
	if err := c.Rename("/inbox/"+id.String(), "/inbox/x"); err == nil {
		t.Error("rename succeeded")
	}
	if err := c.Mkdir("/@K7ZP4Q2M/x"); err == nil {
		t.Error("mkdir succeeded")
	}
	if _, err := c.Stat("/inbox/0011223344556677"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat of a missing file: %v", err)
	}
	if _, err := c.Stat("/etc"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stat /etc: %v", err)
	}
	if _, err := c.Open("/inbox/0011223344556677"); err == nil {
		t.Error("opened a missing file")
	}
	// Setting times on an upload target or a file is accepted (scp -p).
	if err := c.Chtimes("/inbox/"+id.String(), time.Now(), time.Now()); err != nil {
		t.Errorf("chtimes: %v", err)
	}
}

// TestUploadWriterOrder: writes out of order are put in order; a gap, a
// rewrite or too much held back fails.
func TestUploadWriterOrder(t *testing.T) {
	upload := func() (*uploadWriter, *bytes.Buffer, *[]error) {
		var got bytes.Buffer
		var reported []error
		w := newUploadWriter(func(r io.Reader) error {
			_, err := io.Copy(&got, r)
			return err
		}, func(err error) error { reported = append(reported, err); return err })
		return w, &got, &reported
	}
	w, got, rep := upload()
	for _, p := range []struct {
		off  int64
		data string
	}{{5, "fghij"}, {0, "abcde"}, {15, "p"}, {10, "klmno"}} {
		if _, err := w.WriteAt([]byte(p.data), p.off); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got.String() != "abcdefghijklmnop" || len(*rep) != 0 {
		t.Fatalf("got %q, reported %v", got, *rep)
	}

	w, _, rep = upload()
	_, _ = w.WriteAt([]byte("abc"), 0)
	_, _ = w.WriteAt([]byte("xyz"), 10)
	if err := w.Close(); err == nil || !strings.Contains(err.Error(), "gaps") || len(*rep) != 1 {
		t.Fatalf("a file with a gap: %v, reported %v", err, *rep)
	}

	w, _, _ = upload()
	_, _ = w.WriteAt([]byte("abc"), 0)
	if _, err := w.WriteAt([]byte("abc"), 1); err == nil {
		t.Fatal("a rewrite was accepted")
	}
	if _, err := w.WriteAt([]byte("d"), 3); err == nil {
		t.Fatal("a write after a failure was accepted")
	}
	_ = w.Close()

	w, _, _ = upload()
	if _, err := w.WriteAt(make([]byte, maxPendingWrite+1), 1); err == nil {
		t.Fatal("more than maxPendingWrite was held back")
	}
	_ = w.Close()

	// An upload that fails makes the writes fail with its reason.
	w = newUploadWriter(func(r io.Reader) error {
		_, _ = io.CopyN(io.Discard, r, 3)
		return errors.New("file too large")
	}, func(err error) error { return err })
	var err error
	for i := range 10 {
		if _, err = w.WriteAt([]byte("abc"), int64(3*i)); err != nil {
			break
		}
	}
	if err == nil || !strings.Contains(err.Error(), "file too large") {
		t.Fatalf("write into a failed upload: %v", err)
	}
	if err := w.Close(); err == nil {
		t.Fatal("close of a failed upload succeeded")
	}
}

// TestStreamReaderAt: reads in any order within the window, backwards
// beyond it (a restart), and a stream that ends early.
func TestStreamReaderAt(t *testing.T) {
	data := randomBytes(t, 3*readWindow+1000)
	opens := 0
	r := &streamReaderAt{size: int64(len(data)), open: func() io.ReadCloser {
		opens++
		return io.NopCloser(bytes.NewReader(data))
	}}
	check := func(off int64, n int) {
		t.Helper()
		b := make([]byte, n)
		k, err := r.ReadAt(b, off)
		end := min(off+int64(n), int64(len(data)))
		if int64(k) != end-off || (err != nil && !errors.Is(err, io.EOF)) || !bytes.Equal(b[:k], data[off:end]) {
			t.Fatalf("ReadAt(%d, %d) = %d, %v", off, n, k, err)
		}
	}
	for _, off := range []int64{32768, 0, 98304, 65536} {
		check(off, 32768)
	}
	check(int64(len(data))-100, 32768) // the end: a short read
	if opens != 1 {
		t.Fatalf("opened %d times for reads within the window", opens)
	}
	check(0, 100) // far behind: starts over
	if opens != 2 {
		t.Fatalf("opened %d times, want 2", opens)
	}
	if _, err := r.ReadAt(make([]byte, 1), int64(len(data))); !errors.Is(err, io.EOF) {
		t.Fatalf("read at the end: %v", err)
	}
	if _, err := r.ReadAt(make([]byte, readWindow+1), 0); err == nil {
		t.Fatal("a read larger than the window was accepted")
	}
	for range maxRestarts - 1 { // one restart happened above
		check(int64(len(data))-10, 10)
		check(0, 10)
	}
	check(int64(len(data))-10, 10)
	if _, err := r.ReadAt(make([]byte, 10), 0); err == nil {
		t.Fatal("endless restarts were allowed")
	}
	_ = r.Close()

	short := &streamReaderAt{size: 100, open: func() io.ReadCloser { return io.NopCloser(bytes.NewReader(data[:50])) }}
	if _, err := short.ReadAt(make([]byte, 100), 0); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("a stream that ends early: %v", err)
	}
	failing := &streamReaderAt{size: 100, open: func() io.ReadCloser {
		pr, pw := io.Pipe()
		pw.CloseWithError(errors.New("no such file"))
		return pr
	}}
	if err := failing.prime(); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("prime of a missing file: %v", err)
	}
}

// TestSCPHandler: the legacy scp handler sends under the target's name
// when it gives one, refuses folders and bad paths, and serves files.
func TestSCPHandler(t *testing.T) {
	files := newFakeFiles()
	h := &scpHandler{ctx: t.Context(), files: files, target: uploadTarget{To: "K7ZP4Q2M"}}
	if n, err := h.Write(nil, &scp.FileEntry{Name: "a.txt", Size: 3, Reader: strings.NewReader("abc")}); err != nil || n != 3 {
		t.Fatalf("write = %d, %v", n, err)
	}
	h.target.Name = "renamed.txt"
	if _, err := h.Write(nil, &scp.FileEntry{Name: "b.txt", Size: 2, Reader: strings.NewReader("de")}); err != nil {
		t.Fatal(err)
	}
	sent := files.sentFiles()
	if len(sent) != 2 || sent[0].name != "a.txt" || sent[1].name != "renamed.txt" || string(sent[1].data) != "de" {
		t.Fatalf("sent %+v", sent)
	}
	if h.failed {
		t.Fatal("failed after successful writes")
	}
	if err := h.Mkdir(nil, &scp.DirEntry{Name: "dir"}); err == nil || !strings.HasSuffix(err.Error(), "\n") {
		t.Fatalf("mkdir: %q", err)
	}
	if !h.failed {
		t.Fatal("a refusal does not mark the command failed")
	}
	if _, err := h.Glob(nil, "inbox/../../etc/passwd"); err == nil {
		t.Fatal("glob of a traversal succeeded")
	}
	id := files.add(t, "report.pdf", []byte("the report"))
	e, closer, err := h.NewFileEntry(nil, "inbox/"+id.String())
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(e.Reader)
	_ = closer()
	if err != nil || string(b) != "the report" || e.Name != id.String() || e.Size != 10 || e.Mode != 0o600 {
		t.Fatalf("file entry %+v: %q, %v", e, b, err)
	}
	if _, _, err := h.NewFileEntry(nil, "inbox/0011223344556677"); err == nil {
		t.Fatal("a missing file was served")
	}
}

func TestParseTargets(t *testing.T) {
	for _, tc := range []struct {
		in       string
		to, name string
		err      string
	}{
		{"@K7ZP4Q2M", "K7ZP4Q2M", "", ""},
		{"/@K7ZP4Q2M/report.pdf", "K7ZP4Q2M", "report.pdf", ""},
		{"@Sales Team", "Sales Team", "", ""},
		{"@Sales Team/q3 numbers.xlsx", "Sales Team", "q3 numbers.xlsx", ""},
		{"K7ZP4Q2M", "", "", "send to @ID"},
		{"", "", "", "send to @ID"},
		{".", "", "", "send to @ID"},
		{"~/x", "", "", "send to @ID"},
		{"@", "", "", "no recipient"},
		{"@ ", "", "", "no recipient"},
		{"@..", "", "", "send to @ID"},
		{"@K7ZP4Q2M/..", "", "", "file name"},
		{"@K7ZP4Q2M/a/b", "", "", "file name"},
		{"@a\x1bb", "", "", "control characters"},
		{"@a\\b", "", "", "control characters"},
		{"@" + strings.Repeat("x", 201), "", "", "longer than 200"},
		{"../../etc/passwd", "", "", "send to @ID"},
	} {
		got, err := parseUploadTarget(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("parseUploadTarget(%q) = %+v, %v; want an error with %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got.To != tc.to || got.Name != tc.name {
			t.Errorf("parseUploadTarget(%q) = %+v, %v; want %q %q", tc.in, got, err, tc.to, tc.name)
		}
	}
	for in, ok := range map[string]bool{
		"inbox/0011223344556677": true, "/inbox/00112233445566AA": true, "inbox/001122334455667": false,
		"inbox/00112233445566778": false, "inbox/001122334455667g": false, "inbox/../../../etc/pa": false,
		"outbox/0011223344556677": false, "inbox/0011223344556677/x": false,
	} {
		if _, err := parseInboxPath(in); (err == nil) != ok {
			t.Errorf("parseInboxPath(%q): %v, want ok=%t", in, err, ok)
		}
	}
}

func FuzzParseUploadTarget(f *testing.F) {
	for _, s := range []string{"@K7ZP4Q2M", "/@Sales Team/a.pdf", "@../x", "@a/..", "inbox/x", "@a\x00/b", "@\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := parseUploadTarget(in)
		if err != nil {
			return
		}
		if got.To == "" || strings.Contains(got.To, "/") || got.To == ".." || strings.ContainsAny(got.To, "\x00\\") {
			t.Fatalf("parseUploadTarget(%q) accepted recipient %q", in, got.To)
		}
		if got.Name != "" && crypto.CheckFileName(got.Name) != nil {
			t.Fatalf("parseUploadTarget(%q) accepted file name %q", in, got.Name)
		}
	})
}

func FuzzParseInboxPath(f *testing.F) {
	for _, s := range []string{"inbox/0011223344556677", "/inbox/AABBCCDDEEFF0011", "inbox/..", "inbox/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, err := parseInboxPath(in)
		if err != nil {
			return
		}
		if want := "inbox/" + id.String(); strings.ToLower(strings.TrimPrefix(in, "/")) != want {
			t.Fatalf("parseInboxPath(%q) = %s", in, id)
		}
	})
}
