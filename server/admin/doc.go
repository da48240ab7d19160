// Package admin is the administrative use cases — tenants, users — each
// one a service call that first checks what the calling principal may do.
// Every front (exec commands today; the admin console and HTTP API later)
// goes through these calls, so a rule holds whichever front asks.
//
// It knows nothing about SSH, HTTP or the terminal.
package admin
