// Package httpapi is Parley's HTTP front: /healthz, which reports whether
// the store answers, and the admin API under /api/v1/.
//
// The admin API mirrors the exec commands resource by resource, with the
// same JSON field names as their --json output. A caller authenticates with
// an API key (Authorization: Bearer parley_...), which belongs to exactly
// one tenant: every request is about that tenant. The front translates HTTP
// into calls of the admin service and holds no rules of its own: the
// service checks the key's scopes on every call. Errors are always
// {"error": "..."} with a status that says what kind of error it is (see
// status); server faults are logged and answered with a generic message.
//
// The Gateway API for bots and metrics will join it here. The package knows
// nothing about SSH.
package httpapi
