package directory

import (
	"errors"
	"fmt"
	"time"
)

// Errors of the directory. Their texts are written for the person at the
// terminal: short, and saying what to do where there is something to do.
var (
	ErrTenantNotFound  = errors.New("no such tenant")
	ErrUserNotFound    = errors.New("no such user")
	ErrTenantExists    = errors.New("a tenant with that name already exists")
	ErrDomainTaken     = errors.New("that e-mail domain belongs to another tenant")
	ErrEmailTaken      = errors.New("that e-mail address is already in use")
	ErrInvalid         = errors.New("invalid input")
	ErrCodeUnknown     = errors.New("unknown activation code: check it, or ask your admin for a new one")
	ErrCodeUsed        = errors.New("this activation code was already used: ask your admin for a new one")
	ErrCodeExpired     = errors.New("this activation code has expired: ask your admin for a new one")
	ErrKeyBound        = errors.New("this SSH key is already enrolled: use another key or just connect")
	ErrNotActive       = errors.New("this Parley ID is not active")
	ErrNotActivated    = errors.New("has not activated Parley yet")
	ErrWrongPassphrase = errors.New("wrong passphrase")
	ErrThrottled       = errors.New("too many failed unlocks")
	ErrTenantSuspended = errors.New("this tenant is suspended: contact your admin")
	ErrLicenseExpired  = errors.New("your organisation's Parley license has expired: contact your admin")
	ErrRevoked         = errors.New("this Parley ID was revoked")
	ErrRevokedID       = errors.New("was revoked: it cannot be used any more")
	ErrDeviceNotFound  = errors.New("no such device of this user")
	ErrDeviceRemoved   = errors.New("this device (SSH key) was removed from your Parley ID")
	// ErrLocalMode says the server holds no sealed secret key for the user:
	// the key pair was made on the user's own device (local mode), so
	// nothing that opens the key on the server can work.
	ErrLocalMode = errors.New("this account keeps its secret key on your own device (local mode)")
	// ErrLocalAddDevice refuses an add-device code for an account that is,
	// or would be, in local mode: nothing the server holds could confirm
	// the new device (a public key is no secret).
	ErrLocalAddDevice = errors.New("this account keeps its key on your own device: add this device from there — export the key with parley chat --export-key FILE HOST on a device that has it, then here: parley chat --activate CODE --import FILE HOST")
	// ErrOrganisationOnly refuses a message to a recipient in a closed
	// user group (th_block_unknown) from outside its tenant.
	ErrOrganisationOnly = errors.New("this recipient accepts messages from its organisation only")
)

// ThrottledError says how long to wait before the next unlock attempt.
type ThrottledError struct{ RetryAfter time.Duration }

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many failed unlocks: try again in %s", e.RetryAfter.Round(time.Second))
}

// Is makes errors.Is(err, ErrThrottled) true.
func (e *ThrottledError) Is(target error) bool { return target == ErrThrottled }

// invalidError is bad input: errors.Is(err, ErrInvalid) holds, and its text
// says only what is wrong.
type invalidError struct{ err error }

func (e invalidError) Error() string   { return e.err.Error() }
func (e invalidError) Unwrap() []error { return []error{ErrInvalid, e.err} }

func invalid(format string, args ...any) error {
	return invalidError{fmt.Errorf(format, args...)}
}

// invalidErr marks err as bad input, keeping its text.
func invalidErr(err error) error { return invalidError{err} }
