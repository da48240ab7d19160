package directory_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/store"
)

// sender is a user as the relay sees one: a principal in a context and
// the secret key to seal with.
type sender struct {
	u   store.User
	ctx context.Context
	sk  *crypto.SecretKey
}

func (e *policyEnv) sender(t *testing.T, u store.User) sender {
	t.Helper()
	sk, err := e.dir.OpenSecretKey(t.Context(), u.ID, []byte(passphrase))
	if err != nil {
		t.Fatalf("OpenSecretKey(%s): %v", u.Name, err)
	}
	ctx := auth.With(t.Context(), &auth.Principal{KeyFingerprint: "SHA256:" + u.Name, User: &u})
	return sender{u: u, ctx: ctx, sk: sk}
}

func (s sender) seal(t *testing.T, to store.User, text string) []byte {
	t.Helper()
	mid, err := crypto.NewMessageID(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	env, err := crypto.SealEnvelope(rand.Reader, crypto.Header{Sender: s.u.ID, Recipient: to.ID, MessageID: mid, Time: time.Now()},
		crypto.Precompute(to.PublicKey, s.sk), crypto.TypeText, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return env.Marshal()
}

// TestRelayEnforcesPolicies sends through the relay over the real
// directory: a refusal reaches the sender as an error that says why, and
// the recipient's mailbox stays empty.
func TestRelayEnforcesPolicies(t *testing.T) {
	e := newPolicyEnv(t, true)
	p := newCrossPair(t, e)
	r := relay.New(e.db, e.dir, relay.NewHub(0), relay.Config{})
	ada, gus, gina := e.sender(t, p.ada), e.sender(t, p.gus), e.sender(t, p.gina)

	mailbox := func(s sender) int {
		t.Helper()
		ds, err := r.Fetch(s.ctx, 0, 100)
		if err != nil {
			t.Fatalf("Fetch(%s): %v", s.u.Name, err)
		}
		return len(ds)
	}
	refused := func(step string, from sender, to store.User, want error, says string) {
		t.Helper()
		before := mailbox(e.sender(t, to))
		_, err := r.Send(from.ctx, from.seal(t, to, "hello from "+from.u.Name))
		if !errors.Is(err, relay.ErrUnreachable) || !errors.Is(err, want) {
			t.Errorf("%s: Send(%s → %s) = %v, want ErrUnreachable and %v", step, from.u.Name, to.Name, err, want)
		} else if !strings.Contains(err.Error(), says) {
			t.Errorf("%s: error %q does not say %q", step, err, says)
		}
		if after := mailbox(e.sender(t, to)); after != before {
			t.Errorf("%s: %s's mailbox went from %d to %d envelopes, want nothing stored", step, to.Name, before, after)
		}
	}
	delivered := func(step string, from sender, to store.User) {
		t.Helper()
		before := mailbox(e.sender(t, to))
		if _, err := r.Send(from.ctx, from.seal(t, to, "hello")); err != nil {
			t.Errorf("%s: Send(%s → %s) = %v, want delivered", step, from.u.Name, to.Name, err)
		}
		if after := mailbox(e.sender(t, to)); after != before+1 {
			t.Errorf("%s: %s's mailbox went from %d to %d envelopes, want one more", step, to.Name, before, after)
		}
	}

	delivered("tenants list each other", ada, p.gus)

	e.set(t, p.globex.ID, global, policy.BlockUnknown, "true")
	refused("closed user group", ada, p.gus, directory.ErrOrganisationOnly, "accepts messages from its organisation only")
	delivered("closed user group, same tenant", gina, p.gus)
	e.unset(t, p.globex.ID, global, policy.BlockUnknown)

	e.set(t, p.acme.ID, p.ada.ID, policy.DisableAddContact, "true")
	refused("th_disable_add_contact", ada, p.gus, policy.ErrForbiddenByPolicy, "of your organisation only")
	delivered("th_disable_add_contact binds the sender only", gus, p.ada)
	e.unset(t, p.acme.ID, p.ada.ID, policy.DisableAddContact)

	e.set(t, p.globex.ID, global, policy.CrossTenant, "")
	refused("cross-tenant withdrawn", ada, p.gus, directory.ErrUserNotFound, "no such user")
	refused("cross-tenant withdrawn, other way", gus, p.ada, directory.ErrUserNotFound, "no such user")
}
