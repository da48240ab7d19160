package admin_test

import (
	"context"
	"errors"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/audit"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// codeAt is the TOTP code of a secret at a time, as an authenticator app
// computes it.
func codeAt(t testing.TB, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, at, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enableTOTP enrols and confirms TOTP for the key of ctx and returns the
// secret and the recovery codes.
func enableTOTP(t testing.TB, e *env, ctx context.Context) (string, []string) {
	t.Helper()
	en, err := e.svc.EnrolTOTP(ctx)
	if err != nil {
		t.Fatal(err)
	}
	rec, err := e.svc.ConfirmTOTP(ctx, codeAt(t, en.Secret, e.clock.Now()))
	if err != nil {
		t.Fatal(err)
	}
	return en.Secret, rec
}

func totpRecord(t testing.TB, e *env, fp string) (store.TOTP, bool) {
	t.Helper()
	var rec store.TOTP
	found := false
	err := e.db.View(t.Context(), func(tx store.Tx) error {
		var err error
		rec, err = tx.TOTP(fp)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		found = err == nil
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return rec, found
}

func TestEnrolAndConfirmTOTP(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	first, err := e.svc.EnrolTOTP(owner)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(first.URL)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	// The defaults every app assumes (SHA-1, 6 digits, 30 s) are left out.
	if u.Scheme != "otpauth" || u.Host != "totp" || q.Get("issuer") != "Parley" || q.Get("secret") != first.Secret || len(q) != 2 {
		t.Errorf("URL = %q", first.URL)
	}
	if got, want := strings.TrimPrefix(u.Path, "/"), "Parley:acme/owner of acme"; got != want {
		t.Errorf("URL label = %q, want %q", got, want)
	}
	if len(first.Secret) < 32 {
		t.Errorf("secret %q: want at least 160 bits", first.Secret)
	}

	// Pending: nothing is required yet, and admin calls work without a code.
	if req, err := e.svc.SecondFactorRequired(owner); err != nil || req {
		t.Errorf("SecondFactorRequired while pending = %t, %v; want false", req, err)
	}
	if _, err := e.svc.Users(e.as(t, "SHA256:owner"), "acme", directory.UserFilter{}); err != nil {
		t.Errorf("admin call while pending: %v", err)
	}
	if st, err := e.svc.TOTPStatus(owner); err != nil || !st.Pending || st.Enabled {
		t.Errorf("TOTPStatus = %+v, %v; want pending", st, err)
	}

	// Enrolling again replaces the pending secret: the old one's codes fail.
	en, err := e.svc.EnrolTOTP(owner)
	if err != nil {
		t.Fatal(err)
	}
	if en.Secret == first.Secret {
		t.Fatal("re-enrolling kept the secret")
	}
	before := e.auditCount(t)
	for name, code := range map[string]string{
		"the replaced secret's code": codeAt(t, first.Secret, e.clock.Now()),
		"a wrong code":               "000000",
		"too short":                  "12345",
		"letters":                    "abcdef",
		"an old code":                codeAt(t, en.Secret, e.clock.Now().Add(-61*time.Second)),
	} {
		if _, err := e.svc.ConfirmTOTP(owner, code); !errors.Is(err, admin.ErrBadCode) {
			t.Errorf("ConfirmTOTP(%s) = %v, want ErrBadCode", name, err)
		}
	}
	if rec, _ := totpRecord(t, e, "SHA256:owner"); rec.Enabled || e.auditCount(t) != before {
		t.Fatalf("refused confirmations changed something: %+v", rec)
	}
	e.clock.Advance(5 * time.Minute) // past the lockout that five wrong codes earn

	code := codeAt(t, en.Secret, e.clock.Now())
	rec, err := e.svc.ConfirmTOTP(owner, code[:3]+" "+code[3:])
	if err != nil {
		t.Fatalf("ConfirmTOTP with a space in the code: %v", err)
	}
	if len(rec) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(rec))
	}
	shape := regexp.MustCompile(`^[A-Z2-7]{5}-[A-Z2-7]{5}$`)
	for i, c := range rec {
		if !shape.MatchString(c) || slices.Contains(rec[:i], c) {
			t.Errorf("recovery code %q: want XXXXX-XXXXX, all different", c)
		}
	}
	stored, _ := totpRecord(t, e, "SHA256:owner")
	if !stored.Enabled || len(stored.Recovery) != 10 {
		t.Fatalf("stored = %+v", stored)
	}
	for _, h := range stored.Recovery {
		if len(h) != 32 || slices.ContainsFunc(rec, func(c string) bool { return strings.Contains(string(h), c) }) {
			t.Fatalf("recovery codes are stored other than as SHA-256: %q", h)
		}
	}
	if got := lastAudit(t, e); got.Action != "admin.totp.enable" || got.Target != "SHA256:owner" || got.TenantID != e.acme.ID {
		t.Errorf("audit entry = %+v", got)
	}
	// The confirming session proved its factor; it goes on working.
	if req, err := e.svc.SecondFactorRequired(owner); err != nil || req {
		t.Errorf("SecondFactorRequired after confirming = %t, %v; want false", req, err)
	}
	if st, err := e.svc.TOTPStatus(owner); err != nil || !st.Enabled || st.Pending || st.RecoveryLeft != 10 || !st.Proved {
		t.Errorf("TOTPStatus = %+v, %v", st, err)
	}
	if _, err := e.svc.EnrolTOTP(owner); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("EnrolTOTP when on: %v, want ErrConflict", err)
	}
	if _, err := e.svc.ConfirmTOTP(owner, codeAt(t, en.Secret, e.clock.Now().Add(30*time.Second))); !errors.Is(err, admin.ErrConflict) {
		t.Errorf("ConfirmTOTP when on: %v, want ErrConflict", err)
	}
}

func TestConfirmTOTPWithoutEnrolment(t *testing.T) {
	e := newEnv(t)
	owner := e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	if _, err := e.svc.ConfirmTOTP(owner, "123456"); !errors.Is(err, admin.ErrInvalid) || !strings.Contains(err.Error(), "admin totp enable") {
		t.Errorf("ConfirmTOTP without enrolment: %v, want ErrInvalid pointing to admin totp enable", err)
	}
	if err := e.svc.DisableTOTP(owner, "123456"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("DisableTOTP without TOTP: %v, want ErrInvalid", err)
	}
	if err := e.svc.ProveSecondFactor(owner, "123456"); !errors.Is(err, admin.ErrInvalid) {
		t.Errorf("ProveSecondFactor without TOTP: %v, want ErrInvalid", err)
	}
}

// TestTOTPIsForAdminKeys: API keys, chat users and strangers have no
// second factor to manage.
func TestTOTPIsForAdminKeys(t *testing.T) {
	e := newEnv(t)
	for name, ctx := range map[string]context.Context{
		"stranger": e.as(t, "SHA256:stranger"),
		"api key":  e.apiKey(t, e.acme, admin.APIScopes()...),
		"nobody":   t.Context(),
	} {
		if _, err := e.svc.EnrolTOTP(ctx); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: EnrolTOTP = %v, want ErrForbidden", name, err)
		}
		if _, err := e.svc.ConfirmTOTP(ctx, "123456"); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: ConfirmTOTP = %v, want ErrForbidden", name, err)
		}
		if err := e.svc.DisableTOTP(ctx, "123456"); !errors.Is(err, admin.ErrForbidden) {
			t.Errorf("%s: DisableTOTP = %v, want ErrForbidden", name, err)
		}
	}
	// An instance admin's account is named after the instance.
	en, err := e.svc.EnrolTOTP(e.root)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(en.URL, "instance%2Fbootstrap") && !strings.Contains(en.URL, "instance/bootstrap") {
		t.Errorf("instance admin's URL %q: want the account instance/<label>", en.URL)
	}
}

// TestSecondFactorCodes checks the codes with the injected clock: the
// current code works once, a wrong or two-periods-old code never, and a
// recovery code once.
func TestSecondFactorCodes(t *testing.T) {
	e := newEnv(t)
	e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	secret, recovery := enableTOTP(t, e, e.as(t, "SHA256:owner"))
	// Each session is a fresh principal for the same key.
	session := func() context.Context { return e.as(t, "SHA256:owner") }
	prove := func(code string) error { return e.svc.ProveSecondFactor(session(), code) }
	now := e.clock.Now

	if err := prove(codeAt(t, secret, now())); !errors.Is(err, admin.ErrBadCode) {
		t.Errorf("the code used to confirm, again: %v, want ErrBadCode (replay)", err)
	}
	e.clock.Advance(5*time.Minute + 30*time.Second) // forget that wrong code: five more follow

	before := e.auditCount(t)
	for name, code := range map[string]string{
		"wrong":             "123456",
		"two periods old":   codeAt(t, secret, now().Add(-60*time.Second)),
		"two periods ahead": codeAt(t, secret, now().Add(60*time.Second)),
		"empty":             "",
		"unknown recovery":  "AAAAA-BBBBB",
	} {
		if err := prove(code); !errors.Is(err, admin.ErrBadCode) {
			t.Errorf("%s code: %v, want ErrBadCode", name, err)
		}
	}
	if e.auditCount(t) != before {
		t.Errorf("refused codes wrote audit entries")
	}
	e.clock.Advance(5 * time.Minute) // past the lockout that six wrong codes earn
	ctx := session()
	if err := e.svc.ProveSecondFactor(ctx, codeAt(t, secret, now())); err != nil {
		t.Fatalf("the current code: %v", err)
	}
	if req, _ := e.svc.SecondFactorRequired(ctx); req {
		t.Error("the session that proved its code still needs one")
	}
	if err := prove(codeAt(t, secret, now())); !errors.Is(err, admin.ErrBadCode) {
		t.Errorf("the same code in another session: %v, want ErrBadCode (replay)", err)
	}
	// The next period's code is accepted early (clock skew), once.
	if err := prove(codeAt(t, secret, now().Add(30*time.Second))); err != nil {
		t.Errorf("the next period's code: %v", err)
	}
	e.clock.Advance(30 * time.Second)
	if err := prove(codeAt(t, secret, now())); !errors.Is(err, admin.ErrBadCode) {
		t.Errorf("a code of a period already used: %v, want ErrBadCode", err)
	}

	// A recovery code works once, in any case and with or without its dash.
	if err := prove(strings.ToLower(strings.ReplaceAll(recovery[3], "-", ""))); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	if got := lastAudit(t, e); got.Action != "admin.totp.recovery-used" || !strings.Contains(string(got.After), `"recovery_codes_left":9`) {
		t.Errorf("audit entry = %s %s", got.Action, got.After)
	}
	if err := prove(recovery[3]); !errors.Is(err, admin.ErrBadCode) {
		t.Errorf("a used recovery code: %v, want ErrBadCode", err)
	}
	if err := prove(recovery[4]); err != nil {
		t.Errorf("another recovery code: %v", err)
	}
	if st, _ := e.svc.TOTPStatus(session()); st.RecoveryLeft != 8 {
		t.Errorf("recovery codes left = %d, want 8", st.RecoveryLeft)
	}
}

// TestSecondFactorGatesEveryCall: once TOTP is on, every admin call of a
// session without proof fails with ErrSecondFactor and changes nothing;
// after ProveSecondFactor the same calls work.
func TestSecondFactorGatesEveryCall(t *testing.T) {
	e := newEnv(t)
	ok := newTestKey(t, "Olga Owner")
	if _, err := e.svc.AddAdmin(e.root, "acme", admin.AdminSpec{AuthorizedKey: ok.line, Role: store.RoleOwner}); err != nil {
		t.Fatal(err)
	}
	e.admin(t, e.acme, store.RoleOwner, "SHA256:second-owner")
	e.admin(t, e.acme, store.RoleAuditor, "SHA256:auditor")
	ada := e.user(t, e.acme, "Ada Acme")
	secret, _ := enableTOTP(t, e, e.as(t, ok.fp))
	e.clock.Advance(30 * time.Second)

	calls := map[string]func(ctx context.Context) error{
		"Users": func(ctx context.Context) error {
			_, err := e.svc.Users(ctx, "acme", directory.UserFilter{})
			return err
		},
		"User": func(ctx context.Context) error { _, err := e.svc.User(ctx, "acme", ada.User.ID); return err },
		"CreateUser": func(ctx context.Context) error {
			_, err := e.svc.CreateUser(ctx, "acme", directory.UserSpec{Name: "New Person"})
			return err
		},
		"EditUser": func(ctx context.Context) error {
			nick := "ada"
			_, err := e.svc.EditUser(ctx, "acme", ada.User.ID, directory.ProfileChange{Nickname: &nick})
			return err
		},
		"ReissueCode": func(ctx context.Context) error { _, _, err := e.svc.ReissueCode(ctx, "acme", ada.User.ID); return err },
		"Admins":      func(ctx context.Context) error { _, err := e.svc.Admins(ctx, "acme"); return err },
		"AddAdmin": func(ctx context.Context) error {
			_, err := e.svc.AddAdmin(ctx, "acme", admin.AdminSpec{AuthorizedKey: newTestKey(t, "").line, Role: store.RoleAuditor})
			return err
		},
		"RemoveAdmin": func(ctx context.Context) error {
			_, err := e.svc.RemoveAdmin(ctx, "acme", "SHA256:auditor")
			return err
		},
		"License": func(ctx context.Context) error { _, err := e.svc.License(ctx, "acme"); return err },
		"Tenant":  func(ctx context.Context) error { _, err := e.svc.Tenant(ctx, "acme"); return err },
		"Brand": func(ctx context.Context) error {
			name := "ACME Corp"
			_, err := e.svc.Brand(ctx, "acme", &name, nil)
			return err
		},
		"Audit":       func(ctx context.Context) error { _, err := e.svc.Audit(ctx, "acme", audit.Filter{}); return err },
		"VerifyAudit": func(ctx context.Context) error { _, err := e.svc.VerifyAudit(ctx, "acme"); return err },
	}
	names := make([]string, 0, len(calls))
	for n := range calls {
		names = append(names, n)
	}
	slices.Sort(names)

	unproved := e.as(t, ok.fp)
	if req, err := e.svc.SecondFactorRequired(unproved); err != nil || !req {
		t.Fatalf("SecondFactorRequired = %t, %v; want true", req, err)
	}
	before := e.auditCount(t)
	users := len(mustUsers(t, e))
	for _, n := range names {
		if err := calls[n](unproved); !errors.Is(err, admin.ErrSecondFactor) {
			t.Errorf("%s without proof: %v, want ErrSecondFactor", n, err)
		}
	}
	if e.auditCount(t) != before || len(mustUsers(t, e)) != users || len(adminsOf(t, e, "acme")) != 3 {
		t.Fatalf("calls without proof changed something")
	}
	// A wrong code proves nothing.
	if err := e.svc.ProveSecondFactor(unproved, "000000"); !errors.Is(err, admin.ErrBadCode) {
		t.Fatalf("wrong code: %v", err)
	}
	if err := calls["Users"](unproved); !errors.Is(err, admin.ErrSecondFactor) {
		t.Errorf("after a wrong code: %v, want ErrSecondFactor", err)
	}

	if err := e.svc.ProveSecondFactor(unproved, codeAt(t, secret, e.clock.Now())); err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if err := calls[n](unproved); err != nil {
			t.Errorf("%s after proof: %v", n, err)
		}
	}
	// Another session of the same key has to prove it again.
	if err := calls["Users"](e.as(t, ok.fp)); !errors.Is(err, admin.ErrSecondFactor) {
		t.Errorf("a new session: %v, want ErrSecondFactor", err)
	}
	// Keys without TOTP are not affected.
	if err := calls["Users"](e.as(t, "SHA256:second-owner")); err != nil {
		t.Errorf("another owner without TOTP: %v", err)
	}
}

func mustUsers(t testing.TB, e *env) []directory.UserInfo {
	t.Helper()
	us, err := e.svc.Users(e.root, "acme", directory.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	return us
}

func TestDisableTOTP(t *testing.T) {
	e := newEnv(t)
	e.admin(t, e.acme, store.RoleOwner, "SHA256:owner")
	e.admin(t, e.acme, store.RoleAdmin, "SHA256:admin")
	for _, by := range []string{"code", "recovery code"} {
		t.Run(by, func(t *testing.T) {
			secret, recovery := enableTOTP(t, e, e.as(t, "SHA256:owner"))
			e.clock.Advance(30 * time.Second)
			ctx := e.as(t, "SHA256:owner")
			before := e.auditCount(t)
			for _, bad := range []string{"000000", codeAt(t, secret, e.clock.Now().Add(-60*time.Second)), "AAAAA-BBBBB"} {
				if err := e.svc.DisableTOTP(ctx, bad); !errors.Is(err, admin.ErrBadCode) {
					t.Errorf("DisableTOTP(%q) = %v, want ErrBadCode", bad, err)
				}
			}
			if rec, found := totpRecord(t, e, "SHA256:owner"); !found || !rec.Enabled || e.auditCount(t) != before {
				t.Fatalf("refused disabling changed something")
			}
			code := codeAt(t, secret, e.clock.Now())
			if by == "recovery code" {
				code = recovery[0]
			}
			// Disabling needs no proof beforehand: the code is the proof.
			if err := e.svc.DisableTOTP(ctx, code); err != nil {
				t.Fatal(err)
			}
			if _, found := totpRecord(t, e, "SHA256:owner"); found {
				t.Error("the TOTP record is still there")
			}
			if got := lastAudit(t, e); got.Action != "admin.totp.disable" || got.Target != "SHA256:owner" {
				t.Errorf("audit entry = %+v", got)
			}
			if _, err := e.svc.Users(e.as(t, "SHA256:owner"), "acme", directory.UserFilter{}); err != nil {
				t.Errorf("admin call after disabling: %v", err)
			}
			e.clock.Advance(30 * time.Second)
		})
	}
}

// TestTOTPAuditInEveryTenant: changes to a key's second factor show in the
// audit log of every tenant the key administers, and in no other.
func TestTOTPAuditInEveryTenant(t *testing.T) {
	e := newEnv(t)
	e.tenant(t, "initech")
	e.admin(t, e.acme, store.RoleAdmin, "SHA256:both")
	ctx := e.admin(t, e.globex, store.RoleAuditor, "SHA256:both")
	enableTOTP(t, e, ctx)
	for tenant, want := range map[string]int{"acme": 1, "globex": 1, "initech": 0} {
		es, err := e.svc.Audit(e.root, tenant, audit.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, en := range es {
			if en.Action == "admin.totp.enable" {
				n++
			}
		}
		if n != want {
			t.Errorf("%s: %d admin.totp.enable entries, want %d", tenant, n, want)
		}
	}
}
