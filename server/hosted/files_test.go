package hosted

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/tui/core"
)

// withFiles gives the world a blob store and a keyring.
func (w *world) withFiles() {
	w.t.Helper()
	bs, err := blobs.Open(w.db, blobs.Config{Dir: filepath.Join(w.dir, "blobs")})
	if err != nil {
		w.t.Fatal(err)
	}
	w.d.Blobs = bs
	w.d.Keyring = NewKeyring()
	w.t.Cleanup(w.d.Keyring.Close)
}

func randomFile(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// blobFiles lists the ciphertext files under the blob directory.
func (w *world) blobFiles() []string {
	w.t.Helper()
	var out []string
	_ = filepath.WalkDir(filepath.Join(w.dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// TestFilesEndToEnd: a file goes encrypted through the blob store; the
// recipient lists and opens it; the server's copy is ciphertext.
func TestFilesEndToEnd(t *testing.T) {
	w := newWorld(t, 0)
	w.withFiles()
	ada, bob := w.user("Ada"), w.user("Bob")
	sa, sb := w.session(ada, "a1"), w.session(bob, "b1")
	data := append([]byte("the quarterly numbers: "), randomFile(t, 200<<10)...)
	m, err := sa.SendFile(bg, core.Direct(bob.ID), "q3.xlsx", "", bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if m.Kind != core.KindFile || m.File == nil || m.File.Size != int64(len(data)) || m.State != core.StateSent ||
		m.File.Mime != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" && m.File.Mime != crypto.DefaultMime {
		t.Fatalf("sent %+v", m)
	}
	// The server holds ciphertext: no plaintext run of the file in it.
	for _, p := range w.blobFiles() {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte("the quarterly numbers")) || bytes.Contains(b, data[100:132]) {
			t.Fatal("the blob holds plaintext")
		}
	}
	sb.sync(true)
	files, err := sb.Files(bg)
	if err != nil || len(files) != 1 || files[0].File.Name != "q3.xlsx" || files[0].From != ada.ID || files[0].ID != m.ID {
		t.Fatalf("bob's files: %+v, %v", files, err)
	}
	var got bytes.Buffer
	fi, err := sb.OpenFile(bg, m.ID, &got)
	if err != nil || !bytes.Equal(got.Bytes(), data) || fi.Name != "q3.xlsx" {
		t.Fatalf("open: %v; %d bytes, equal %t", err, got.Len(), bytes.Equal(got.Bytes(), data))
	}
	// The sender can open what she sent; her own list of received files is empty.
	got.Reset()
	if _, err := sa.OpenFile(bg, m.ID, &got); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Fatalf("sender open: %v", err)
	}
	if files, _ := sa.Files(bg); len(files) != 0 {
		t.Fatalf("ada received files: %+v", files)
	}
	if _, err := sb.OpenFile(bg, crypto.MessageID{1}, &got); !errors.Is(err, core.ErrNoFile) {
		t.Fatalf("unknown message: %v", err)
	}
}

// TestFilesRefusals: limits, bad names, self, unknown users: a clear
// error, and nothing stored or sent.
func TestFilesRefusals(t *testing.T) {
	w := newWorld(t, 0)
	w.withFiles()
	ada, bob := w.user("Ada"), w.user("Bob")
	sa, sb := w.session(ada, "a1"), w.session(bob, "b1")
	w.setPolicy(crypto.ID{}, policy.MaxAttachmentMiB, "1")
	big := randomFile(t, 1<<20+1)
	for _, size := range []int64{int64(len(big)), -1} {
		_, err := sa.SendFile(bg, core.Direct(bob.ID), "big.bin", "", bytes.NewReader(big), size)
		if !errors.Is(err, blobs.ErrTooLarge) || !strings.Contains(err.Error(), "limit of 1 MiB") {
			t.Fatalf("size %d: %v", size, err)
		}
	}
	exact := randomFile(t, 1<<20)
	if _, err := sa.SendFile(bg, core.Direct(bob.ID), "exact.bin", "", bytes.NewReader(exact), -1); err != nil {
		t.Fatalf("a file of exactly the limit: %v", err)
	}
	w.setPolicy(crypto.ID{}, policy.StorageQuotaMiB, "1")
	if _, err := sa.SendFile(bg, core.Direct(bob.ID), "more.bin", "", bytes.NewReader([]byte("x")), 1); !errors.Is(err, blobs.ErrQuota) {
		t.Fatalf("over quota: %v", err)
	}
	for _, tc := range []struct {
		name string
		to   crypto.ID
		want string
	}{
		{"../../etc/passwd", bob.ID, "file name"},
		{"", bob.ID, "empty file name"},
		{"a.txt", ada.ID, core.ErrSelf.Error()},
		{"a.txt", crypto.ID{'N', 'O', 'B', 'O', 'D', 'Y', '9', '9'}, ""},
	} {
		if _, err := sa.SendFile(bg, core.Direct(tc.to), tc.name, "", strings.NewReader("x"), 1); err == nil ||
			!strings.Contains(err.Error(), tc.want) {
			t.Fatalf("send %q to %s: %v", tc.name, tc.to, err)
		}
	}
	if n := len(w.blobFiles()); n != 1 {
		t.Fatalf("%d blobs stored, want only the one sent", n)
	}
	sb.sync(true)
	if files, _ := sb.Files(bg); len(files) != 1 {
		t.Fatalf("bob got %d files, want 1", len(files))
	}
}

// TestOpenCoreNeedsTheWindow: scp's core opens only with a key the unlock
// window keeps.
func TestOpenCoreNeedsTheWindow(t *testing.T) {
	w := newWorld(t, 0)
	w.withFiles()
	ada := w.user("Ada")
	p := &auth.Principal{User: ada, Session: "scp-1"}
	if _, err := OpenCore(bg, w.d, p); !errors.Is(err, ErrLocked) {
		t.Fatalf("locked: %v", err)
	}
	sk, err := w.dirSvc.OpenSecretKey(bg, ada.ID, []byte("passphrase of Ada"))
	if err != nil {
		t.Fatal(err)
	}
	w.d.Keyring.Unlock(ada.ID, sk, 15*time.Minute)
	sk.Wipe()
	c, err := OpenCore(bg, w.d, p)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Unlocked() {
		t.Fatal("the core is locked")
	}
	c.Close()
	// Closing the core wipes its copy, not the keyring's.
	if _, _, ok := w.d.Keyring.Key(ada.ID, 15*time.Minute); !ok {
		t.Fatal("closing a core took the key from the keyring")
	}
}

// TestBlobPortRanges: the subsystem's port reads a blob in ranges, each
// checked as Get is: a user who is neither uploader nor recipient, and a
// range starting past the end, are refused; without a store there is no
// port.
func TestBlobPortRanges(t *testing.T) {
	w := newWorld(t, 0)
	if PortsFor(w.d, &auth.Principal{User: w.user("Nobody")}).Blobs != nil {
		t.Fatal("a port without a blob store")
	}
	w.withFiles()
	ada, bob, eve := w.user("Ada"), w.user("Bob"), w.user("Eve")
	pa := PortsFor(w.d, &auth.Principal{User: ada, Session: "a"}).Blobs
	pb := PortsFor(w.d, &auth.Principal{User: bob, Session: "b"}).Blobs
	pe := PortsFor(w.d, &auth.Principal{User: eve, Session: "e"}).Blobs
	data := randomFile(t, 100_000)
	blob, err := pa.Put(bg, bytes.NewReader(data), int64(len(data)), []crypto.ID{bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	var got []byte
	buf := make([]byte, 30_000)
	for off := int64(0); off < int64(len(data)); {
		n, size, err := pb.ReadAt(bg, blob, buf, off)
		if err != nil || size != int64(len(data)) || n != min(len(buf), len(data)-int(off)) {
			t.Fatalf("range at %d: %d bytes of %d, %v", off, n, size, err)
		}
		got = append(got, buf[:n]...)
		off += int64(n)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("the ranges do not make up the blob")
	}
	if n, size, err := pb.ReadAt(bg, blob, buf, int64(len(data))); n != 0 || size != int64(len(data)) || err != nil {
		t.Fatalf("a range at the end: %d, %d, %v", n, size, err)
	}
	if _, _, err := pb.ReadAt(bg, blob, buf, int64(len(data))+1); !errors.Is(err, ErrBlobRange) {
		t.Fatalf("a range past the end: %v", err)
	}
	if _, _, err := pb.ReadAt(bg, blob, buf, -1); !errors.Is(err, ErrBlobRange) {
		t.Fatalf("a negative offset: %v", err)
	}
	if _, _, err := pe.ReadAt(bg, blob, buf, 0); !errors.Is(err, blobs.ErrNotFound) {
		t.Fatalf("a user who is no recipient: %v", err)
	}
}
