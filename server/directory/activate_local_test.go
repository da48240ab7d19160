package directory_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// lockedBuffer collects log output written from any goroutine.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// clientKey is a public key as a local client makes it.
func clientKey(t testing.TB) crypto.PublicKey {
	t.Helper()
	pk, sk, err := crypto.GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	sk.Wipe()
	return pk
}

// activateLocal activates code in local mode with the client-made key pk.
func (e *env) activateLocal(t testing.TB, code, fingerprint string, pk crypto.PublicKey) store.User {
	t.Helper()
	u, err := e.dir.Activate(t.Context(), directory.ActivateSpec{
		Code: code, Fingerprint: fingerprint, AuthorizedKey: "ssh-ed25519 AAAA " + fingerprint, PublicKey: &pk,
	})
	if err != nil {
		t.Fatalf("Activate(%q, %q, local): %v", code, fingerprint, err)
	}
	return u
}

// TestActivateClientMadeKey: with a client-made public key, the first
// activation asks no passphrase, stores that key and no sealed key, and
// otherwise is a first activation: presets, the device, the code used up,
// the log line (without the code).
func TestActivateClientMadeKey(t *testing.T) {
	logs := &lockedBuffer{}
	e := &policyEnv{env: newEnv(t, func(c *directory.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(logs, nil))
	})}
	ctx := t.Context()
	tn := e.tenant(t, "acme")
	created, code, err := e.dir.CreateUser(ctx, directory.UserSpec{TenantID: tn.ID, FirstName: "Ada", LastName: "King"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	e.set(t, tn.ID, global, policy.Category, "Engineering")
	const fp = "SHA256:ada-laptop"
	pk := clientKey(t)

	e.clock.Advance(time.Hour)
	got := e.activateLocal(t, code.Code, fp, pk)
	want := created
	want.Status = store.UserActive
	want.PublicKey = pk
	want.Category = "Engineering" // the preset
	want.ActivatedAt = e.clock.Now()
	want.ActivationHash = nil
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Activate returned (-want +got):\n%s", diff)
	}
	st := e.stored(t, got.ID)
	if st.SealedKey != nil || st.ActivationHash != nil || st.PublicKey != pk {
		t.Errorf("stored user: sealed key %d bytes, activation hash %x, key %s; want none, none, %s",
			len(st.SealedKey), st.ActivationHash, st.PublicKey, pk)
	}
	if r := e.resolveUser(t, fp); r == nil || r.ID != got.ID {
		t.Fatalf("Resolve(%s) = %v, want %s", fp, r, got.ID)
	}
	if _, err := e.dir.CheckActivation(ctx, code.Code, "SHA256:other"); !errors.Is(err, directory.ErrCodeUsed) {
		t.Errorf("CheckActivation of the used code = %v, want ErrCodeUsed", err)
	}
	if local, err := e.dir.LocalMode(ctx, got.ID); err != nil || !local {
		t.Errorf("LocalMode = %v, %v; want true", local, err)
	}
	w, err := e.dir.Whoami(ctx, got.ID)
	if err != nil || w.SealedKey || w.PublicKey != pk {
		t.Errorf("Whoami: sealed %v, key %s, %v; want no sealed key, %s", w.SealedKey, w.PublicKey, err, pk)
	}
	log := logs.String()
	if !strings.Contains(log, `"msg":"user activated"`) || !strings.Contains(log, `"local":true`) ||
		!strings.Contains(log, `"key":"`+fp+`"`) {
		t.Errorf("log has no line for the local activation of %s:\n%s", fp, log)
	}
	if strings.Contains(log, code.Code) || strings.Contains(log, pk.String()) {
		t.Errorf("log holds the activation code or the public key:\n%s", log)
	}
}

// TestOpenSecretKeyLocalMode: there is nothing to open for a local-mode
// user; refusing it is no failed attempt, so nothing is throttled.
func TestOpenSecretKeyLocalMode(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	_, code := e.user(t, tn.ID, "Ada", "")
	u := e.activateLocal(t, code.Code, "SHA256:ada", clientKey(t))
	for i := range 5 {
		sk, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte(passphrase))
		if !errors.Is(err, directory.ErrLocalMode) || sk != nil {
			t.Fatalf("attempt %d: OpenSecretKey = %v, %v; want ErrLocalMode", i, sk, err)
		}
	}
}

// TestActivateClientMadeKeyRefused: a key that is no X25519 public key, or
// one sent with a passphrase, changes nothing; the code still works.
func TestActivateClientMadeKeyRefused(t *testing.T) {
	e := newEnv(t)
	tn := e.tenant(t, "acme")
	u, code := e.user(t, tn.ID, "Ada", "")
	zero, pk := crypto.PublicKey{}, clientKey(t)
	for _, tt := range []struct {
		name string
		spec directory.ActivateSpec
	}{
		{"all zeros", directory.ActivateSpec{PublicKey: &zero}},
		{"with a passphrase", directory.ActivateSpec{PublicKey: &pk, Passphrase: []byte(passphrase)}},
	} {
		spec := tt.spec
		spec.Code, spec.Fingerprint, spec.AuthorizedKey = code.Code, "SHA256:ada", "ssh-ed25519 AAAA ada"
		if _, err := e.dir.Activate(t.Context(), spec); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("%s: Activate = %v, want ErrInvalid", tt.name, err)
		}
	}
	if st := e.stored(t, u.ID); st.Status != store.UserPending || !st.PublicKey.IsZero() {
		t.Errorf("after the refusals the user is %s with key %s; want pending without a key", st.Status, st.PublicKey)
	}
	e.activateLocal(t, code.Code, "SHA256:ada", pk)
}

func TestParseClientKey(t *testing.T) {
	pk := clientKey(t)
	got, err := directory.ParseClientKey(pk.String())
	if err != nil || got != pk {
		t.Fatalf("ParseClientKey(%s) = %s, %v", pk, got, err)
	}
	if got, err := directory.ParseClientKey(strings.ToUpper(pk.String())); err != nil || got != pk {
		t.Errorf("ParseClientKey(upper case) = %s, %v; want %s", got, err, pk)
	}
	for _, s := range []string{
		"", "not hex", pk.String()[:62], pk.String() + "00", "zz" + pk.String()[2:], strings.Repeat("0", 64),
	} {
		if _, err := directory.ParseClientKey(s); !errors.Is(err, directory.ErrInvalid) {
			t.Errorf("ParseClientKey(%q) = %v, want ErrInvalid", s, err)
		}
	}
}

// TestActivateClientMadeKeyAddDevice: an add-device code cannot enrol a
// device of a local-mode account, neither with a (copyable) public key nor
// with a passphrase; a hosted account's add-device code refuses a
// client-made key, and still adds a device with the passphrase.
func TestActivateClientMadeKeyAddDevice(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	tn := e.tenant(t, "acme")
	_, code := e.user(t, tn.ID, "Ada", "")
	pk := clientKey(t)
	ada := e.activateLocal(t, code.Code, "SHA256:ada-laptop", pk)
	_, more, err := e.dir.ReissueCode(ctx, tn.ID, ada.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := clientKey(t)
	for _, tt := range []struct {
		name string
		spec directory.ActivateSpec
	}{
		{"her own public key", directory.ActivateSpec{PublicKey: &pk}},
		{"another public key", directory.ActivateSpec{PublicKey: &other}},
		{"a passphrase", directory.ActivateSpec{Passphrase: []byte(passphrase)}},
	} {
		spec := tt.spec
		spec.Code, spec.Fingerprint, spec.AuthorizedKey = more.Code, "SHA256:copycat", "ssh-ed25519 AAAA copycat"
		if _, err := e.dir.Activate(ctx, spec); !errors.Is(err, directory.ErrLocalAddDevice) {
			t.Errorf("local account, add-device code with %s: Activate = %v, want ErrLocalAddDevice", tt.name, err)
		}
	}
	if r := e.resolveUser(t, "SHA256:copycat"); r != nil {
		t.Errorf("the refused key resolves to %s", r.ID)
	}
	if _, err := e.dir.CheckActivation(ctx, more.Code, "SHA256:copycat"); err != nil {
		t.Errorf("the add-device code after the refusals: %v, want still unused", err)
	}
	if st := e.stored(t, ada.ID); st.PublicKey != pk || st.SealedKey != nil {
		t.Errorf("Ada's key changed: %s, sealed %d bytes", st.PublicKey, len(st.SealedKey))
	}

	bob := e.activeUser(t, tn.ID, "Bob", "SHA256:bob-laptop")
	_, bobCode, err := e.dir.ReissueCode(ctx, tn.ID, bob.ID, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name string
		key  crypto.PublicKey
		want error
	}{
		{"his own public key", bob.PublicKey, directory.ErrLocalAddDevice},
		{"another public key", other, directory.ErrInvalid},
	} {
		_, err := e.dir.Activate(ctx, directory.ActivateSpec{Code: bobCode.Code, Fingerprint: "SHA256:bob-phone",
			AuthorizedKey: "ssh-ed25519 AAAA bob-phone", PublicKey: &tt.key})
		if !errors.Is(err, tt.want) {
			t.Errorf("hosted account, add-device code with %s: Activate = %v, want %v", tt.name, err, tt.want)
		}
	}
	e.activate(t, bobCode.Code, "SHA256:bob-phone") // the passphrase path is unchanged
	if r := e.resolveUser(t, "SHA256:bob-phone"); r == nil || r.ID != bob.ID {
		t.Errorf("Bob's new device resolves to %v, want %s", r, bob.ID)
	}
	if st := e.stored(t, bob.ID); st.PublicKey != bob.PublicKey || len(st.SealedKey) == 0 {
		t.Errorf("Bob's key changed: %s, sealed %d bytes", st.PublicKey, len(st.SealedKey))
	}
}

func TestLocalMode(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	tn := e.tenant(t, "acme")
	pending, _ := e.user(t, tn.ID, "Pat", "")
	hosted := e.activeUser(t, tn.ID, "Hal", "SHA256:hal")
	_, code := e.user(t, tn.ID, "Lou", "")
	local := e.activateLocal(t, code.Code, "SHA256:lou", clientKey(t))
	for _, tt := range []struct {
		name string
		id   crypto.ID
		want bool
	}{
		{"pending", pending.ID, false},
		{"hosted", hosted.ID, false},
		{"local", local.ID, true},
	} {
		if got, err := e.dir.LocalMode(ctx, tt.id); err != nil || got != tt.want {
			t.Errorf("LocalMode(%s) = %v, %v; want %v", tt.name, got, err, tt.want)
		}
	}
	unknown, err := crypto.ParseID("ZZZZ9999")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.dir.LocalMode(ctx, unknown); !errors.Is(err, directory.ErrUserNotFound) {
		t.Errorf("LocalMode(unknown) = %v, want ErrUserNotFound", err)
	}
}
