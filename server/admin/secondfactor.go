package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/store"
)

// TOTP parameters: RFC 6238 defaults, what authenticator apps expect.
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// totpSkew accepts the code of the previous and the next period.
	totpSkew = 1
)

// ErrBadCode reports a wrong, expired or already used code.
var ErrBadCode = errors.New("wrong or expired code: use the current code of your authenticator app, or a recovery code")

// ProveSecondFactor checks a TOTP code (or an unused recovery code) for
// the caller's key and, when it is right, marks the session as having
// proved its second factor. A code is accepted once: a second use within
// its period is refused, as is a recovery code used before.
func (s *Service) ProveSecondFactor(ctx context.Context, code string) error {
	p := auth.From(ctx)
	if p == nil || p.KeyFingerprint == "" {
		return ErrForbidden
	}
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	now := s.now()
	err := s.db.Update(ctx, func(tx store.Tx) error {
		t, err := tx.TOTP(p.KeyFingerprint)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Enabled) {
			return fmt.Errorf("%w: this key has no two-factor authentication", ErrInvalid)
		} else if err != nil {
			return err
		}
		if step, ok := verifyTOTP(t.Secret, code, now, t.LastStep); ok {
			t.LastStep = step
			return tx.PutTOTP(t)
		}
		if i := recoveryIndex(t.Recovery, code); i >= 0 {
			t.Recovery = append(t.Recovery[:i:i], t.Recovery[i+1:]...)
			if err := tx.PutTOTP(t); err != nil {
				return err
			}
			return s.record(tx, p, "", "admin.totp.recovery-used", p.KeyFingerprint, nil,
				map[string]int{"recovery_codes_left": len(t.Recovery)})
		}
		return ErrBadCode
	})
	if err != nil {
		return err
	}
	p.SecondFactor = true
	return nil
}

// verifyTOTP checks code against the secret around now and returns the
// time step it matched; steps up to last were used already.
func verifyTOTP(secret, code string, now time.Time, last int64) (int64, bool) {
	if len(code) != int(totpDigits) {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	for d := int64(-totpSkew); d <= totpSkew; d++ {
		s := step + d
		if s <= last {
			continue
		}
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
		})
		if err == nil && subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// recoveryIndex finds an unused recovery code by its hash.
func recoveryIndex(hashes [][]byte, code string) int {
	if code == "" {
		return -1
	}
	h := recoveryHash(code)
	for i, r := range hashes {
		if subtle.ConstantTimeCompare(r, h) == 1 {
			return i
		}
	}
	return -1
}

func recoveryHash(code string) []byte {
	sum := sha256.Sum256([]byte("parley recovery v1\x00" + strings.ToUpper(strings.ReplaceAll(code, "-", ""))))
	return sum[:]
}
