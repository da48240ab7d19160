package directory

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// ActivateSpec is what a user brings to enrol: the code, the SSH key they
// authenticated with, and either a new passphrase (hosted mode: the server
// makes the key pair and keeps the secret key sealed with it) or the
// public key of a pair made on the user's own device (local mode: the
// server never holds the secret key).
type ActivateSpec struct {
	Code          string
	Fingerprint   string
	AuthorizedKey string
	Passphrase    []byte
	// PublicKey, when set, is the user's X25519 public key, made by their
	// client; Passphrase must then be empty.
	PublicKey *crypto.PublicKey
	// Proof confirms an add-device code of a local-mode account: the
	// crypto.ProveKey answer to DeviceChallenge (devicelink.go).
	Proof []byte
}

// CheckActivation validates a code and key without changing anything, so a
// front can refuse early, before asking for a passphrase.
func (s *Service) CheckActivation(ctx context.Context, code, fingerprint string) (store.User, error) {
	hash, err := hashOf(code)
	if err != nil {
		return store.User{}, err
	}
	var u store.User
	err = s.db.View(ctx, func(tx store.Tx) error {
		u, err = s.checkActivation(tx, hash, fingerprint)
		return err
	})
	u.SealedKey, u.ActivationHash = nil, nil
	return u, err
}

func hashOf(code string) ([]byte, error) {
	n := normalizeCode(code)
	if n == "" {
		return nil, ErrCodeUnknown
	}
	return codeHash(n), nil
}

func (s *Service) checkActivation(tx store.Tx, hash []byte, fingerprint string) (store.User, error) {
	a, err := tx.Activation(hash)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrCodeUnknown
	} else if err != nil {
		return store.User{}, err
	}
	if !a.UsedAt.IsZero() {
		return store.User{}, ErrCodeUsed
	}
	if !s.now().Before(a.ExpiresAt) {
		return store.User{}, ErrCodeExpired
	}
	u, err := tx.User(a.UserID)
	if err != nil {
		return store.User{}, fmt.Errorf("user of activation code: %w", err)
	}
	switch {
	case u.Status == store.UserPending && !a.AddDevice:
	case u.Status == store.UserActive && a.AddDevice:
	case u.Status == store.UserActive:
		return store.User{}, ErrCodeUsed
	default:
		return store.User{}, ErrNotActive
	}
	if err := tenantUsable(tx, u.TenantID, s.now()); err != nil {
		return store.User{}, err
	}
	if _, err := tx.Device(fingerprint); err == nil {
		return store.User{}, ErrKeyBound
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.User{}, err
	}
	return u, nil
}

// Activate enrols a device: it binds the SSH key to the code's user and
// gives the user its X25519 key pair. In hosted mode it creates the pair
// and stores the secret key sealed with the passphrase; in local mode
// (spec.PublicKey set) it stores the client-made public key and no secret
// key at all. On the first activation the profile presets in effect for
// the user fill its profile (applyPresets). It changes nothing unless
// everything succeeds.
func (s *Service) Activate(ctx context.Context, spec ActivateSpec) (store.User, error) {
	if spec.Fingerprint == "" || spec.AuthorizedKey == "" {
		return store.User{}, invalid("an SSH key is required to activate")
	}
	if spec.PublicKey != nil {
		if err := checkClientKey(*spec.PublicKey); err != nil {
			return store.User{}, err
		}
		if len(spec.Passphrase) > 0 {
			return store.User{}, invalid("a key made on your device needs no passphrase on the server")
		}
	}
	hash, err := hashOf(spec.Code)
	if err != nil {
		return store.User{}, err
	}
	cur, err := s.CheckActivation(ctx, spec.Code, spec.Fingerprint)
	if err != nil {
		return store.User{}, err
	}
	if len(spec.Proof) > 0 && (cur.Status != store.UserActive || len(spec.Passphrase) > 0 || spec.PublicKey != nil) {
		return store.User{}, invalid("a key proof goes only with an add-device code of a local-mode account, alone")
	}
	if cur.Status == store.UserActive {
		if len(spec.Proof) > 0 {
			return s.addLocalDevice(ctx, hash, spec, cur)
		}
		if spec.PublicKey != nil {
			return store.User{}, s.refuseClientKeyForDevice(ctx, cur, *spec.PublicKey, spec.Fingerprint)
		}
		return s.addDevice(ctx, hash, spec)
	}
	local := spec.PublicKey != nil
	var pub crypto.PublicKey
	var sealed []byte // stays nil in local mode: the server holds no secret key
	if local {
		pub = *spec.PublicKey
	} else {
		if pub, sealed, err = s.newSealedKeyPair(ctx, spec.Passphrase); err != nil {
			return store.User{}, err
		}
	}
	now := s.now()
	var u store.User
	var applied, skipped []string
	err = s.db.Update(ctx, func(tx store.Tx) error {
		var err error
		// Check again inside the transaction: the code may have been used meanwhile.
		if u, err = s.checkActivation(tx, hash, spec.Fingerprint); err != nil {
			return err
		}
		v, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
		if err != nil {
			return fmt.Errorf("read profile presets: %w", err)
		}
		if !local {
			if err := policy.Allows(v, policy.Hosted); err != nil {
				return err
			}
		}
		applied, skipped = applyPresets(&u, v)
		a, err := tx.Activation(hash)
		if err != nil {
			return err
		}
		a.UsedAt = now
		if err := tx.PutActivation(hash, a); err != nil {
			return err
		}
		u.Status = store.UserActive
		u.PublicKey = pub
		u.SealedKey = sealed
		u.ActivatedAt = now
		u.ActivationHash = nil
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if err := tx.PutDevice(store.Device{
			Fingerprint: spec.Fingerprint, UserID: u.ID, AuthorizedKey: spec.AuthorizedKey, AddedAt: now, LastSeen: now,
		}); err != nil {
			return err
		}
		return s.auditTx(tx, spec.Fingerprint, u, AuditActivate, deviceAudit{Fingerprint: spec.Fingerprint, LocalMode: local})
	})
	if err != nil {
		return store.User{}, fmt.Errorf("activate: %w", err)
	}
	s.forget(u.ID)
	u.SealedKey, u.ActivationHash = nil, nil
	if len(skipped) > 0 {
		s.log.WarnContext(ctx, "profile presets not applied: not valid names", "user", u.ID.String(), "keys", skipped)
	}
	s.log.InfoContext(ctx, "user activated", "user", u.ID.String(), "tenant", u.TenantID, "key", spec.Fingerprint, "presets", applied,
		"local", local)
	return u, nil
}

// newSealedKeyPair makes a hosted user's key pair and seals the secret key
// with the passphrase.
func (s *Service) newSealedKeyPair(ctx context.Context, passphrase []byte) (crypto.PublicKey, []byte, error) {
	if err := crypto.CheckPassphrase(passphrase); err != nil {
		return crypto.PublicKey{}, nil, invalidErr(err)
	}
	pub, sec, err := crypto.GenerateKeyPair(s.cfg.Rand)
	if err != nil {
		return crypto.PublicKey{}, nil, err
	}
	defer sec.Wipe()
	if err := s.acquireKDF(ctx); err != nil {
		return crypto.PublicKey{}, nil, err
	}
	sealed, err := crypto.SealSecretKey(s.cfg.Rand, passphrase, sec, s.cfg.KDF)
	s.releaseKDF()
	if err != nil {
		return crypto.PublicKey{}, nil, fmt.Errorf("seal secret key: %w", err)
	}
	return pub, sealed, nil
}

// ParseClientKey reads the public key a local client made: 64 hex
// characters of an X25519 public key. It refuses what is malformed or all
// zeros as invalid input.
func ParseClientKey(s string) (crypto.PublicKey, error) {
	pk, err := crypto.ParsePublicKey(strings.TrimSpace(s))
	if err != nil {
		return crypto.PublicKey{}, invalid("public key %q: give the 64 hex characters of an X25519 public key", clip(s))
	}
	if err := checkClientKey(pk); err != nil {
		return crypto.PublicKey{}, err
	}
	return pk, nil
}

func checkClientKey(pk crypto.PublicKey) error {
	if pk.IsZero() {
		return invalid("public key is all zeros: it is no X25519 public key")
	}
	return nil
}

// refuseClientKeyForDevice answers an add-device code that came with a
// client-made public key. Nothing the server holds could confirm such a
// device: the key's owner proves nothing by sending a public key (anyone
// may have copied it), and a local-mode account has no sealed key whose
// passphrase would prove it.
func (s *Service) refuseClientKeyForDevice(ctx context.Context, u store.User, pk crypto.PublicKey, fingerprint string) error {
	local, err := s.LocalMode(ctx, u.ID)
	if err != nil {
		return err
	}
	s.log.WarnContext(ctx, "device refused: an add-device code came with a client-made key", "user", u.ID.String(), "key", fingerprint)
	if local || pk.Equal(u.PublicKey) {
		return ErrLocalAddDevice
	}
	return invalid("this code adds a device to %s, which has its key pair already: a new device cannot bring a key of its own", u.ID)
}

// LocalMode reports whether the active user id is in local mode: the
// server holds their public key but no sealed secret key, which stays on
// the user's own device. Pending and removed users are not.
func (s *Service) LocalMode(ctx context.Context, id crypto.ID) (bool, error) {
	var u store.User
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		u, err = tx.User(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("%s: %w", id, ErrUserNotFound)
	} else if err != nil {
		return false, fmt.Errorf("read user: %w", err)
	}
	return u.Status == store.UserActive && len(u.SealedKey) == 0, nil
}

// addDevice enrols one more SSH key of an active user, once the user's
// passphrase opens their sealed key (throttled like an unlock).
func (s *Service) addDevice(ctx context.Context, hash []byte, spec ActivateSpec) (store.User, error) {
	a, err := s.activation(ctx, hash)
	if err != nil {
		return store.User{}, err
	}
	sk, err := s.OpenSecretKey(ctx, a.UserID, spec.Passphrase)
	if errors.Is(err, ErrLocalMode) {
		return store.User{}, ErrLocalAddDevice
	}
	if err != nil {
		return store.User{}, err
	}
	sk.Wipe()
	return s.enrolDevice(ctx, hash, spec)
}

// enrolDevice adds the spec's SSH key to the code's active user, once the
// caller confirmed the device (passphrase or key proof).
func (s *Service) enrolDevice(ctx context.Context, hash []byte, spec ActivateSpec) (store.User, error) {
	now := s.now()
	var u store.User
	err := s.db.Update(ctx, func(tx store.Tx) error {
		var err error
		if u, err = s.checkActivation(tx, hash, spec.Fingerprint); err != nil {
			return err
		}
		a, err := tx.Activation(hash)
		if err != nil {
			return err
		}
		a.UsedAt = now
		if err := tx.PutActivation(hash, a); err != nil {
			return err
		}
		u.ActivationHash = nil
		if err := tx.PutUser(u); err != nil {
			return err
		}
		if err := tx.PutDevice(store.Device{Fingerprint: spec.Fingerprint, UserID: u.ID, AuthorizedKey: spec.AuthorizedKey, AddedAt: now, LastSeen: now}); err != nil {
			return err
		}
		return s.auditTx(tx, spec.Fingerprint, u, AuditAddDevice, deviceAudit{Fingerprint: spec.Fingerprint})
	})
	if err != nil {
		return store.User{}, fmt.Errorf("add device: %w", err)
	}
	s.forget(u.ID)
	s.log.InfoContext(ctx, "device added", "user", u.ID.String(), "key", spec.Fingerprint)
	return public(u), nil
}

func (s *Service) activation(ctx context.Context, hash []byte) (store.Activation, error) {
	var a store.Activation
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		a, err = tx.Activation(hash)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return a, ErrCodeUnknown
	}
	return a, err
}

// OpenSecretKey opens a user's sealed secret key with their passphrase.
// Failed attempts are throttled per user with a growing delay; while
// throttled, it returns a *ThrottledError without trying. A user in local
// mode has no sealed key: ErrLocalMode.
func (s *Service) OpenSecretKey(ctx context.Context, id crypto.ID, passphrase []byte) (*crypto.SecretKey, error) {
	if err := s.HostedAllowed(ctx, id); err != nil && !errors.Is(err, ErrLocalMode) {
		return nil, err // forbidden by policy; ErrLocalMode is told below, after the throttle
	}
	return s.openSecretKey(ctx, id, passphrase)
}

func (s *Service) openSecretKey(ctx context.Context, id crypto.ID, passphrase []byte) (sk *crypto.SecretKey, err error) {
	wait, err := s.throttle.begin(ctx, id)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return nil, &ThrottledError{RetryAfter: wait}
	}
	result := aborted
	defer func() { s.throttle.end(id, result) }()
	var u store.User
	err = s.db.View(ctx, func(tx store.Tx) error {
		var err error
		u, err = tx.User(id)
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrUserNotFound
	} else if err != nil {
		return nil, fmt.Errorf("read user: %w", err)
	}
	if u.Status != store.UserActive {
		return nil, ErrNotActive
	}
	if len(u.SealedKey) == 0 {
		return nil, ErrLocalMode
	}
	if err := s.acquireKDF(ctx); err != nil {
		return nil, err
	}
	sk, err = crypto.OpenSecretKey(passphrase, u.SealedKey, u.PublicKey)
	s.releaseKDF()
	if errors.Is(err, crypto.ErrWrongPassphrase) {
		result = wrong
		s.log.WarnContext(ctx, "unlock failed", "user", id.String())
		return nil, ErrWrongPassphrase
	}
	if err != nil {
		return nil, fmt.Errorf("open secret key: %w", err)
	}
	result = opened
	return sk, nil
}

func (s *Service) acquireKDF(ctx context.Context) error { return s.kdf.acquire(ctx) }

func (s *Service) releaseKDF() { s.kdf.release() }

// Contact is what one user may know of another: enough to address and
// encrypt to them.
type Contact struct {
	ID   crypto.ID
	Name string
	// Nickname is the name the user chose (or an admin set) besides the
	// display name.
	Nickname string
	// NameSet says an administrator set the display name: users are
	// created with one, so it holds whenever Name is not empty.
	NameSet   bool
	PublicKey crypto.PublicKey
	TenantID  string
	Status    store.UserStatus
}

// Contact returns the contact viewer may see for id. Users of another
// tenant are visible only when both tenants list each other in
// parley_cross_tenant; otherwise they look like unknown IDs. Whether a
// message may go to them is Reachable's answer.
func (s *Service) Contact(ctx context.Context, viewer, id crypto.ID) (Contact, error) {
	v, err := s.User(ctx, viewer)
	if err != nil {
		return Contact{}, err
	}
	u, err := s.User(ctx, id)
	if err != nil {
		return Contact{}, err
	}
	if u.TenantID != v.TenantID {
		ps, err := s.effective(ctx, v, u)
		if err != nil {
			return Contact{}, err
		}
		if !crossTenant(ps[0].tenant, ps[0].values, ps[1].tenant, ps[1].values) {
			return Contact{}, fmt.Errorf("%s: %w", id, ErrUserNotFound)
		}
	}
	c := Contact{ID: u.ID, Name: u.Name, Nickname: u.Nickname, NameSet: u.Name != "", PublicKey: u.PublicKey,
		TenantID: u.TenantID, Status: u.Status}
	switch u.Status {
	case store.UserActive:
		return c, nil
	case store.UserPending:
		return c, fmt.Errorf("%s %w", id, ErrNotActivated)
	case store.UserRevoked:
		return c, fmt.Errorf("%s: %w", id, ErrRevoked)
	default:
		return c, fmt.Errorf("%s: %w", id, ErrNotActive)
	}
}
