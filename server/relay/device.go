package relay

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/store"
)

// Every device of a user reads the mailbox with a cursor of its own (store
// package doc): the hosted core with store.HostedCursor, a client that
// speaks the protocol with the cursor of the SSH key it authenticated with.

type deviceKey struct{}

// WithDevice returns a context whose relay calls read and acknowledge with
// the named device's cursor. Without it, calls act for the hosted device.
func WithDevice(ctx context.Context, device string) context.Context {
	return context.WithValue(ctx, deviceKey{}, device)
}

// ClientDevice is the device of a client that authenticated as p.
func ClientDevice(p *auth.Principal) string { return store.KeyCursor(p.KeyFingerprint) }

// deviceOf returns the caller's device. A principal may act for the hosted
// device or for its own key's, never for another key's.
func deviceOf(ctx context.Context, p *auth.Principal) (string, error) {
	dev, _ := ctx.Value(deviceKey{}).(string)
	switch {
	case dev == "" || dev == store.HostedCursor:
		return store.HostedCursor, nil
	case p.KeyFingerprint != "" && dev == ClientDevice(p):
		return dev, nil
	}
	return "", fmt.Errorf("%w: device %q is not the caller's", ErrNotUser, dev)
}
