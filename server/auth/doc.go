// Package auth defines who is calling: the Principal a front resolves from
// the SSH key (or, later, API key) that authenticated, and how it travels in
// a context.Context to the services. It holds no rules of its own; services
// decide what a principal may do.
package auth
