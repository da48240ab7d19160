package device

import (
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// testKDF is cheap: these tests are about the files, not the KDF's cost.
var testKDF = crypto.KDFParams{Time: 1, MemoryKiB: 1 << 10, Threads: 1} //nolint:gochecknoglobals // a constant struct

func enrol(t *testing.T, dir string) Account {
	t.Helper()
	pub, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	defer sk.Wipe()
	id, _ := crypto.NewID(rand.Reader)
	sealed, err := crypto.SealSecretKey(rand.Reader, []byte("a good passphrase"), sk, testKDF)
	if err != nil {
		t.Fatal(err)
	}
	a := Account{Server: "chat.example.com", UserID: id, Name: "Ada", Tenant: "acme", PublicKey: pub}
	if err := Write(dir, a, sealed); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAccountRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "parley", "chat.example.com")
	if _, err := Open(dir); !errors.Is(err, ErrNoAccount) {
		t.Fatalf("open before enrolment: %v", err)
	}
	a := enrol(t, dir)
	if err := Write(dir, a, []byte("x")); !errors.Is(err, ErrExists) {
		t.Fatalf("a second account in one directory: %v", err)
	}
	if err := Prepare(dir); !errors.Is(err, ErrExists) {
		t.Fatalf("prepare over an account: %v", err)
	}
	for _, name := range []string{accountFile, keyFile} {
		st, err := os.Stat(filepath.Join(dir, name))
		if err != nil || st.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v", name, err, st.Mode())
		}
	}
	if st, _ := os.Stat(dir); st.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v", st.Mode())
	}

	d, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Identity().ID != a.UserID || d.Account.PublicKey != a.PublicKey || d.Account.Tenant != "acme" {
		t.Fatalf("identity %+v", d.Account)
	}
	if _, err := Open(dir); !errors.Is(err, ErrInUse) {
		t.Fatalf("a second client on the same account: %v", err)
	}
	if _, err := d.OpenSecretKey(t.Context(), []byte("the wrong one")); !errors.Is(err, core.ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	sk, err := d.OpenSecretKey(t.Context(), []byte("a good passphrase"))
	if err != nil || sk.Public() != a.PublicKey {
		t.Fatalf("open the key: %v", err)
	}
	sk.Wipe()

	st := d.Store()
	if err := st.Update(t.Context(), func(tx core.Tx) error { return tx.Space("history").Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	d, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var got []byte
	if err := d.Store().View(t.Context(), func(tx core.Tx) error {
		var err error
		got, err = tx.Space("history").Get([]byte("k"))
		return err
	}); err != nil || string(got) != "v" {
		t.Fatalf("the store after reopening: %q %v", got, err)
	}
}

func TestServerDirStaysInside(t *testing.T) {
	for _, server := range []string{"../../etc", "a/b", "..", ".", "", "host:2222", "[::1]:22"} {
		dir := ServerDir("/data/parley", server)
		if filepath.Dir(dir) != "/data/parley" {
			t.Errorf("ServerDir(%q) = %q: outside the data directory", server, dir)
		}
	}
	if got := ServerDir("/d", "host:2222"); got != "/d/host:2222" {
		t.Errorf("host:2222 → %q", got)
	}
}

func TestDataDirFollowsXDG(t *testing.T) {
	t.Setenv("XDG_DATA_HOME", "/x/share")
	if d, _ := DataDir(); d != "/x/share/parley" {
		t.Fatalf("DataDir = %q", d)
	}
	t.Setenv("XDG_DATA_HOME", "relative") // ignored, as the spec says
	t.Setenv("HOME", "/home/ada")
	if d, _ := DataDir(); d != "/home/ada/.local/share/parley" {
		t.Fatalf("DataDir = %q", d)
	}
}
