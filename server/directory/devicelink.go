package directory

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/store"
)

// Adding a device to a local-mode account. The server holds no sealed key
// whose passphrase could confirm the new device, so the device proves that
// it holds the account's secret key (brought over from the user's other
// device, sealed in a transfer file the server never sees): the server
// hands out a one-time challenge key for the add-device code
// (DeviceChallenge), the device answers with a crypto.ProveKey proof over
// the statement crypto.DeviceStatement, and Activate checks it. A challenge lives
// challengeTTL and serves one proof; a new one replaces it.

const (
	challengeTTL = 5 * time.Minute
	// maxChallenges bounds the challenges held at once (each is 32 bytes
	// and an entry): beyond it the oldest go.
	maxChallenges = 1024
)

type challenge struct {
	sk      *crypto.SecretKey
	pub     crypto.PublicKey
	user    crypto.ID
	key     string // the SSH key the code may enrol with this challenge
	expires time.Time
}

type challenges struct {
	mu sync.Mutex
	m  map[string]challenge // by code hash
}

func newChallenges() *challenges { return &challenges{m: make(map[string]challenge)} }

func (c *challenges) put(hash []byte, ch challenge, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.m {
		if now.After(v.expires) {
			v.sk.Wipe()
			delete(c.m, k)
		}
	}
	if old, ok := c.m[string(hash)]; ok {
		old.sk.Wipe()
	}
	for len(c.m) >= maxChallenges {
		var oldest string
		for k, v := range c.m {
			if oldest == "" || v.expires.Before(c.m[oldest].expires) {
				oldest = k
			}
		}
		c.m[oldest].sk.Wipe()
		delete(c.m, oldest)
	}
	c.m[string(hash)] = ch
}

// take removes and returns the code's challenge, if one is live.
func (c *challenges) take(hash []byte, now time.Time) (challenge, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch, ok := c.m[string(hash)]
	delete(c.m, string(hash))
	if ok && now.After(ch.expires) {
		ch.sk.Wipe()
		return challenge{}, false
	}
	return ch, ok
}

// DeviceChallenge returns a challenge key for an add-device code of a
// local-mode account, for the SSH key fingerprint to enrol with it.
func (s *Service) DeviceChallenge(ctx context.Context, code, fingerprint string) (crypto.PublicKey, store.User, error) {
	hash, err := hashOf(code)
	if err != nil {
		return crypto.PublicKey{}, store.User{}, err
	}
	u, err := s.CheckActivation(ctx, code, fingerprint)
	if err != nil {
		return crypto.PublicKey{}, store.User{}, err
	}
	if u.Status != store.UserActive {
		return crypto.PublicKey{}, store.User{}, invalid("this code enrols a new account: activate with parley chat --activate CODE HOST")
	}
	local, err := s.LocalMode(ctx, u.ID)
	if err != nil {
		return crypto.PublicKey{}, store.User{}, err
	}
	if !local {
		return crypto.PublicKey{}, store.User{}, invalid("%s keeps its key on the server: add this device with ssh -t HOST activate CODE, or parley chat --link HOST", u.ID)
	}
	pub, sk, err := crypto.GenerateKeyPair(s.cfg.Rand)
	if err != nil {
		return crypto.PublicKey{}, store.User{}, err
	}
	now := s.now()
	s.challenges.put(hash, challenge{sk: sk, pub: pub, user: u.ID, key: fingerprint, expires: now.Add(challengeTTL)}, now)
	return pub, public(u), nil
}

// addLocalDevice enrols one more SSH key of a local-mode account whose
// device proved it holds the account's key.
func (s *Service) addLocalDevice(ctx context.Context, hash []byte, spec ActivateSpec, u store.User) (store.User, error) {
	ch, ok := s.challenges.take(hash, s.now())
	if !ok {
		return store.User{}, invalid("no live challenge for this code: ask for one first (parley chat --activate CODE --import FILE HOST does)")
	}
	defer ch.sk.Wipe()
	if ch.user != u.ID || ch.key != spec.Fingerprint {
		return store.User{}, invalid("the challenge was given for another SSH key")
	}
	if err := crypto.CheckKeyProof(spec.Proof, u.PublicKey, ch.sk, crypto.DeviceStatement(ch.pub, u.ID, spec.Fingerprint)); err != nil {
		s.log.WarnContext(ctx, "device refused: a wrong key proof", "user", u.ID.String(), "key", spec.Fingerprint)
		return store.User{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return s.enrolDevice(ctx, hash, spec)
}
