// Package logctx follows one request through the logs: it gives a request
// (an SSH connection, an HTTP request) a short random ID, carries it with
// a few attributes in a context.Context, and wraps a slog.Handler so that
// every record logged with that context (log.InfoContext(ctx, …)) says
// req=ID and the attributes.
//
// The attributes are identifiers a front learns as the request goes on:
// which front, the fingerprint of the key that authenticated, the Parley
// ID or API key ID acting. Never a name, a message, a passphrase, a code
// or anything else a person typed: the fronts decide what to set, and
// this package writes it to every line.
//
// It knows nothing about SSH, HTTP or the services.
package logctx
