package directory

import (
	"context"
	"errors"
	"fmt"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// Hosted mode and the move to local mode.
//
// A hosted user's secret key is sealed on the server; parley_hosted_mode
// decides whether a user may have that at all. Moving to local mode
// (parley chat --migrate) is two steps, so that the key is never lost:
// ExportSecretKey hands the opened key to the user's own client, which
// keeps it; FinishMigration then deletes the server's sealed copy.

// HostedAllowed reports whether the user may use hosted mode now: the
// server holds a sealed key for them (ErrLocalMode otherwise) and policy
// allows it (a *policy.ForbiddenError otherwise).
func (s *Service) HostedAllowed(ctx context.Context, id crypto.ID) error {
	return s.db.View(ctx, func(tx store.Tx) error {
		u, err := tx.User(id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrUserNotFound
		} else if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		return hostedAllowedTx(tx, u)
	})
}

func hostedAllowedTx(tx store.Tx, u store.User) error {
	if u.Status == store.UserActive && len(u.SealedKey) == 0 {
		return ErrLocalMode
	}
	v, err := policy.EffectiveTx(tx, u.TenantID, u.ID)
	if err != nil {
		return fmt.Errorf("read policy: %w", err)
	}
	return policy.Allows(v, policy.Hosted)
}

// ExportSecretKey opens a hosted user's sealed key with their passphrase
// (throttled as an unlock) for their own client to keep: the first step
// of the move to local mode, or of linking one more device. Policy forbidding hosted mode does not stop
// it: that is when a user must move.
func (s *Service) ExportSecretKey(ctx context.Context, id crypto.ID, passphrase []byte, actor string) (*crypto.SecretKey, error) {
	sk, err := s.openSecretKey(ctx, id, passphrase)
	if err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(id)
		if err != nil {
			return err
		}
		return s.auditTx(tx, actor, u, AuditKeyExport, deviceAudit{Fingerprint: actor})
	})
	if err != nil {
		sk.Wipe()
		return nil, fmt.Errorf("audit the key export: %w", err)
	}
	s.log.InfoContext(ctx, "secret key handed to the user's client", "user", id.String(), "key", actor)
	return sk, nil
}

// FinishMigration deletes the user's sealed key once their client holds
// the key: public must be the user's public key; actor is the SSH key that
// asked, for the audit log. From then on the user is
// in local mode; open hosted sessions end within a second (Recheck).
func (s *Service) FinishMigration(ctx context.Context, id crypto.ID, public crypto.PublicKey, actor string) error {
	err := s.db.Update(ctx, func(tx store.Tx) error {
		u, err := tx.User(id)
		if errors.Is(err, store.ErrNotFound) {
			return ErrUserNotFound
		} else if err != nil {
			return fmt.Errorf("read user: %w", err)
		}
		if u.Status != store.UserActive {
			return ErrNotActive
		}
		if len(u.SealedKey) == 0 {
			return ErrLocalMode
		}
		if !u.PublicKey.Equal(public) {
			return invalid("that is not your public key: the server keeps your key until your client holds it")
		}
		u.SealedKey = nil
		if err := tx.PutUser(u); err != nil {
			return err
		}
		// No hosted core can open the mailbox any more: it holds nothing back.
		if err := tx.DropCursor(u.ID, store.HostedCursor); err != nil {
			return err
		}
		return s.auditTx(tx, actor, u, AuditMoveLocalMode, deviceAudit{Fingerprint: actor, LocalMode: true})
	})
	if err != nil {
		return err
	}
	s.forget(id)
	s.log.InfoContext(ctx, "user moved to local mode: sealed key deleted", "user", id.String())
	return nil
}
