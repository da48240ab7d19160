package admin

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net/url"
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
	// totpIssuer names the service in authenticator apps.
	totpIssuer = "Parley"
	// recoveryCodes is how many recovery codes enabling TOTP hands out.
	recoveryCodes = 10
	// recoveryAlphabet is base32's: no 0/O or 1/I to confuse.
	recoveryAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
)

// ErrBadCode reports a wrong, expired or already used code.
var ErrBadCode = errors.New("wrong or expired code: use the current code of your authenticator app, or a recovery code")

// TOTPEnrolment is a new, pending TOTP secret: the admin adds it to an
// authenticator app (by the URL as a QR code, or the secret by hand) and
// confirms it with a code.
type TOTPEnrolment struct {
	// Secret is the base32 secret for typing in by hand.
	Secret string
	// URL is the otpauth:// URL authenticator apps read from a QR code.
	URL string
}

// TOTPState is the two-factor state of the caller's key.
type TOTPState struct {
	// Enabled: admin actions need a code once per session.
	Enabled bool
	// Pending: a secret was enrolled and is waiting for its first code.
	Pending bool
	// RecoveryLeft is the number of unused recovery codes.
	RecoveryLeft int
	// Proved: this session gave a valid code.
	Proved bool
}

// selfAdmin returns the caller when it is an admin's SSH key: two-factor
// authentication belongs to keys, not to API keys or chat users.
func (s *Service) selfAdmin(ctx context.Context) (*auth.Principal, error) {
	p := auth.From(ctx)
	if p == nil || p.APIKey != nil || p.KeyFingerprint == "" {
		return nil, ErrForbidden
	}
	// The key must hold a role now, not only when its session started.
	now, err := s.current(ctx, p)
	if err != nil {
		return nil, err
	}
	if len(now.Roles) == 0 {
		return nil, ErrForbidden
	}
	return p, nil
}

// EnrolTOTP creates a TOTP secret for the caller's own key. It stays
// pending, and admin actions need no code, until ConfirmTOTP; enrolling
// again replaces a pending secret. A key whose TOTP is on must disable it
// first.
func (s *Service) EnrolTOTP(ctx context.Context) (TOTPEnrolment, error) {
	p, err := s.selfAdmin(ctx)
	if err != nil {
		return TOTPEnrolment{}, err
	}
	account := s.totpAccount(ctx, p)
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: account,
		Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: s.rand})
	if err != nil {
		return TOTPEnrolment{}, fmt.Errorf("generate TOTP secret: %w", err)
	}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		t, err := tx.TOTP(p.KeyFingerprint)
		switch {
		case err == nil && t.Enabled:
			return fmt.Errorf("%w: two-factor authentication is already on for this key: to enrol a new secret, disable it first", ErrConflict)
		case err != nil && !errors.Is(err, store.ErrNotFound):
			return err
		}
		return tx.PutTOTP(store.TOTP{Fingerprint: p.KeyFingerprint, Secret: key.Secret(), CreatedAt: s.now()})
	})
	if err != nil {
		return TOTPEnrolment{}, err
	}
	return TOTPEnrolment{Secret: key.Secret(), URL: keyURL(account, key.Secret())}, nil
}

// keyURL is the otpauth URL of a key. It leaves out the parameters that
// say what every authenticator app assumes (SHA-1, 6 digits, 30 seconds):
// a shorter URL makes a smaller QR code, one that fits a 24-line terminal.
// The label is escaped as one path segment, its slash included.
func keyURL(account, secret string) string {
	q := url.Values{"issuer": {totpIssuer}, "secret": {secret}}
	return "otpauth://totp/" + url.PathEscape(totpIssuer+":"+account) + "?" + q.Encode()
}

// totpAccount names the key in authenticator apps: "tenant/label", or the
// key's fingerprint when it has no label.
func (s *Service) totpAccount(ctx context.Context, p *auth.Principal) string {
	var roles []store.Admin
	if now, err := s.current(ctx, p); err == nil {
		roles = now.Roles
	}
	label, tenantID, tenants, instance := "", "", 0, false
	for _, r := range roles {
		if label == "" {
			label = r.Label
		}
		if r.TenantID == "" {
			instance = true
		} else {
			tenantID = r.TenantID
			tenants++
		}
	}
	name := label
	if name == "" {
		name = p.KeyFingerprint
	}
	switch {
	case instance:
		name = "instance/" + name
	case tenants == 1:
		if t, err := s.dir.Tenant(ctx, tenantID); err == nil {
			name = t.Name + "/" + name
		}
	}
	return name
}

// ConfirmTOTP checks a code against the caller's pending secret and turns
// two-factor authentication on. It returns the recovery codes, which are
// stored only as hashes and shown this once. The session counts as having
// proved its second factor.
func (s *Service) ConfirmTOTP(ctx context.Context, code string) ([]string, error) {
	p, err := s.selfAdmin(ctx)
	if err != nil {
		return nil, err
	}
	codes, err := newRecoveryCodes(s.rand, recoveryCodes)
	if err != nil {
		return nil, err
	}
	code = normalizeCode(code)
	now := s.now()
	if err := s.codes.allow(p.KeyFingerprint, now); err != nil {
		return nil, err
	}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		t, err := tx.TOTP(p.KeyFingerprint)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("%w: no two-factor enrolment is pending for this key: start one first (admin totp enable)", ErrInvalid)
		case err != nil:
			return err
		case t.Enabled:
			return fmt.Errorf("%w: two-factor authentication is already on for this key", ErrConflict)
		}
		step, ok := verifyTOTP(t.Secret, code, now, t.LastStep)
		if !ok {
			return ErrBadCode
		}
		t.Enabled, t.LastStep, t.Recovery = true, step, nil
		for _, c := range codes {
			t.Recovery = append(t.Recovery, recoveryHash(c))
		}
		if err := tx.PutTOTP(t); err != nil {
			return err
		}
		return s.recordKey(tx, p, "admin.totp.enable", nil, map[string]int{"recovery_codes": len(codes)})
	})
	s.noteCode(p.KeyFingerprint, now, err)
	if err != nil {
		return nil, err
	}
	p.MarkSecondFactor()
	return codes, nil
}

// DisableTOTP turns two-factor authentication off for the caller's key;
// it needs a current code or an unused recovery code.
func (s *Service) DisableTOTP(ctx context.Context, code string) error {
	p, err := s.selfAdmin(ctx)
	if err != nil {
		return err
	}
	code = normalizeCode(code)
	now := s.now()
	if err := s.codes.allow(p.KeyFingerprint, now); err != nil {
		return err
	}
	err = s.db.Update(ctx, func(tx store.Tx) error {
		t, err := tx.TOTP(p.KeyFingerprint)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && !t.Enabled):
			return fmt.Errorf("%w: two-factor authentication is not on for this key", ErrInvalid)
		case err != nil:
			return err
		}
		_, okCode := verifyTOTP(t.Secret, code, now, t.LastStep)
		if !okCode && recoveryIndex(t.Recovery, code) < 0 {
			return ErrBadCode
		}
		if err := tx.DeleteTOTP(p.KeyFingerprint); err != nil {
			return err
		}
		return s.recordKey(tx, p, "admin.totp.disable", nil, nil)
	})
	s.noteCode(p.KeyFingerprint, now, err)
	if err != nil {
		return err
	}
	return nil
}

// SecondFactorRequired reports whether the caller's key has two-factor
// authentication on and has not proved it in this session: admin calls
// fail with ErrSecondFactor until ProveSecondFactor.
func (s *Service) SecondFactorRequired(ctx context.Context) (bool, error) {
	p := auth.From(ctx)
	if p == nil {
		return false, ErrForbidden
	}
	err := s.checkSecondFactor(ctx, p)
	if errors.Is(err, ErrSecondFactor) {
		return true, nil
	}
	return false, err
}

// TOTPStatus reports the two-factor state of the caller's own key.
func (s *Service) TOTPStatus(ctx context.Context) (TOTPState, error) {
	p, err := s.selfAdmin(ctx)
	if err != nil {
		return TOTPState{}, err
	}
	st := TOTPState{Proved: p.ProvedSecondFactor()}
	err = s.db.View(ctx, func(tx store.Tx) error {
		t, err := tx.TOTP(p.KeyFingerprint)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		} else if err != nil {
			return err
		}
		st.Enabled, st.Pending, st.RecoveryLeft = t.Enabled, !t.Enabled, len(t.Recovery)
		return nil
	})
	if err != nil {
		return TOTPState{}, fmt.Errorf("read second factor: %w", err)
	}
	return st, nil
}

// ProveSecondFactor checks a TOTP code (or an unused recovery code) for
// the caller's key and, when it is right, marks the session as having
// proved its second factor: it sets SecondFactor on the principal in ctx,
// which the fronts keep for the whole session, and opens the key's
// second-factor window (sudo.go). A code is accepted once: a second use
// within its period is refused, as is a recovery code used before.
func (s *Service) ProveSecondFactor(ctx context.Context, code string) error {
	p := auth.From(ctx)
	if p == nil || p.KeyFingerprint == "" {
		return ErrForbidden
	}
	code = normalizeCode(code)
	now := s.now()
	if err := s.codes.allow(p.KeyFingerprint, now); err != nil {
		return err
	}
	err := s.db.Update(ctx, func(tx store.Tx) error {
		t, err := tx.TOTP(p.KeyFingerprint)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Enabled) {
			return fmt.Errorf("%w: this key has no two-factor authentication: leave out the code", ErrInvalid)
		} else if err != nil {
			return err
		}
		if step, ok := verifyTOTP(t.Secret, code, now, t.LastStep); ok {
			t.LastStep = step
			if err := tx.PutTOTP(t); err != nil {
				return err
			}
			return s.openWindow(tx, p, now)
		}
		if i := recoveryIndex(t.Recovery, code); i >= 0 {
			t.Recovery = append(t.Recovery[:i:i], t.Recovery[i+1:]...)
			if err := tx.PutTOTP(t); err != nil {
				return err
			}
			if err := s.recordKey(tx, p, "admin.totp.recovery-used", nil, map[string]int{"recovery_codes_left": len(t.Recovery)}); err != nil {
				return err
			}
			return s.openWindow(tx, p, now)
		}
		return ErrBadCode
	})
	s.noteCode(p.KeyFingerprint, now, err)
	if err != nil {
		return err
	}
	p.MarkSecondFactor()
	if s.sudoWindow > 0 {
		s.sudo.open(p.KeyFingerprint, now.Add(s.sudoWindow))
	}
	return nil
}

// openWindow audits the second-factor window a proved code opens (the
// window itself is set after the commit).
func (s *Service) openWindow(tx store.Tx, p *auth.Principal, now time.Time) error {
	if s.sudoWindow <= 0 {
		return nil
	}
	return s.recordKey(tx, p, "admin.2fa.window", nil, map[string]string{"until": now.Add(s.sudoWindow).Format(time.RFC3339)})
}

// recordKey writes an audit entry about the caller's own key into every
// tenant it holds a role in (the instance's log for instance admins), so
// each tenant's auditors see what its admins' keys did.
func (s *Service) recordKey(tx store.Tx, p *auth.Principal, action string, before, after any) error {
	roles, err := tx.AdminRoles(p.KeyFingerprint)
	if err != nil {
		return err
	}
	p = &auth.Principal{KeyFingerprint: p.KeyFingerprint, AuthorizedKey: p.AuthorizedKey, User: p.User, Roles: roles, Session: p.Session}
	seen := map[string]bool{}
	for _, r := range p.Roles {
		if seen[r.TenantID] {
			continue
		}
		seen[r.TenantID] = true
		if err := s.record(tx, p, r.TenantID, action, p.KeyFingerprint, before, after); err != nil {
			return err
		}
	}
	if len(seen) == 0 {
		return s.record(tx, p, "", action, p.KeyFingerprint, before, after)
	}
	return nil
}

// normalizeCode drops the spaces people type into codes.
func normalizeCode(code string) string {
	return strings.Join(strings.Fields(code), "")
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

// newRecoveryCodes returns n random recovery codes such as "K7QXM-2PZAD"
// (50 bits each).
func newRecoveryCodes(rand io.Reader, n int) ([]string, error) {
	out := make([]string, n)
	buf := make([]byte, 10)
	for i := range out {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return nil, fmt.Errorf("read randomness: %w", err)
		}
		var b strings.Builder
		for j, x := range buf {
			if j == 5 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[int(x)%len(recoveryAlphabet)])
		}
		out[i] = b.String()
	}
	return out, nil
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

// recoveryHash is what is stored of a recovery code: a SHA-256 of its
// letters, upper-cased, without dashes.
func recoveryHash(code string) []byte {
	sum := sha256.Sum256([]byte("parley recovery v1\x00" + strings.ToUpper(strings.ReplaceAll(code, "-", ""))))
	return sum[:]
}

// noteCode feeds the outcome of a checked code to the guessing limiter.
func (s *Service) noteCode(fp string, now time.Time, err error) {
	switch {
	case err == nil:
		s.codes.record(fp, now, true)
	case errors.Is(err, ErrBadCode):
		s.codes.record(fp, now, false)
	default:
		s.codes.release(fp)
	}
}
