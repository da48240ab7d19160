package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/store"
)

// apiError is an error the front itself answers, with its status.
type apiError struct {
	code int
	msg  string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(msg string) error { return &apiError{code: http.StatusBadRequest, msg: msg} }
func invalid(msg string) error    { return &apiError{code: http.StatusUnprocessableEntity, msg: msg} }
func notFound(msg string) error   { return &apiError{code: http.StatusNotFound, msg: msg} }

// status maps an error to its HTTP status and the message the client sees:
//
//	400  malformed request: JSON, unknown field, unknown query parameter
//	401  no, unknown or revoked API key (answered by authenticate)
//	403  the key's scopes do not allow the call
//	404  no such resource in the key's tenant (another tenant's reads the same)
//	409  the change contradicts the current state (already revoked, ...)
//	413  body larger than MaxBodyBytes
//	422  invalid input: a bad e-mail, a taken address, a domain of another tenant
//	500  anything else: logged, answered with a generic message
func status(err error) (int, string) {
	var ae *apiError
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		return ae.code, ae.msg
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge, tooLarge
	case errors.Is(err, admin.ErrBadAPIKey):
		return http.StatusUnauthorized, err.Error()
	case errors.Is(err, admin.ErrForbidden), errors.Is(err, admin.ErrSecondFactor):
		return http.StatusForbidden, err.Error()
	case errors.Is(err, admin.ErrNotFound), errors.Is(err, store.ErrNotFound), errors.Is(err, directory.ErrUserNotFound),
		errors.Is(err, directory.ErrDeviceNotFound), errors.Is(err, directory.ErrTenantNotFound):
		return http.StatusNotFound, err.Error()
	case errors.Is(err, admin.ErrInvalid), errors.Is(err, directory.ErrEmailTaken), errors.Is(err, directory.ErrDomainTaken):
		return http.StatusUnprocessableEntity, err.Error()
	case errors.Is(err, admin.ErrConflict), errors.Is(err, directory.ErrRevoked), errors.Is(err, directory.ErrTenantExists),
		errors.Is(err, directory.ErrKeyBound), errors.Is(err, directory.ErrNotActive), errors.Is(err, directory.ErrTenantSuspended),
		errors.Is(err, directory.ErrLicenseExpired):
		return http.StatusConflict, err.Error()
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled), errors.Is(err, store.ErrClosed):
		return http.StatusServiceUnavailable, "the server is busy or shutting down: try again"
	}
	return http.StatusInternalServerError, "internal error: the server log has the details"
}
