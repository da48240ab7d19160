package relay

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Ephemeral envelopes are typing indicators (crypto.TypeTyping); the relay
// cannot read them but knows whom they concern. It passes one only between
// users of the same tenant whose effective parley_typing_indicators are
// both true, and drops the others without a word: the sender's core learns
// nothing about the recipient's policy from the answer.

// ephemeralAllowed reports whether an ephemeral envelope from sender may
// reach recipient.
func ephemeralAllowed(tx store.Tx, sender *store.User, recipient crypto.ID) (bool, error) {
	to, err := tx.User(recipient)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read recipient: %w", err)
	}
	if to.TenantID != sender.TenantID {
		return false, nil
	}
	for _, u := range []struct {
		tenant string
		id     crypto.ID
	}{{sender.TenantID, sender.ID}, {to.TenantID, to.ID}} {
		v, err := policy.EffectiveKeysTx(tx, u.tenant, u.id, policy.TypingIndicators)
		if err != nil {
			return false, fmt.Errorf("read typing policy: %w", err)
		}
		if !v.Bool(policy.TypingIndicators) {
			return false, nil
		}
	}
	return true, nil
}

// checkEphemeral is ephemeralAllowed in a read transaction of its own.
func (s *Service) checkEphemeral(ctx context.Context, sender *store.User, recipient crypto.ID) (bool, error) {
	var ok bool
	err := s.db.View(ctx, func(tx store.Tx) error {
		var err error
		ok, err = ephemeralAllowed(tx, sender, recipient)
		return err
	})
	return ok, err
}
