// Package admin is the admin console: a keyboard-driven terminal UI shown
// to admins inside their ssh session (`ssh -t host admin`). It asks for a
// second factor when the key needs one, lets admins of several tenants pick
// one, and then shows the tenant's screens: a dashboard (license use and
// warnings, statistics), users and their devices, admins, managed groups,
// the audit log and API keys.
//
// It is a Bubble Tea model that reaches the administration service only
// through the Service interface it declares (service.go), with its own
// plain data types: it knows nothing about storage, SSH or the server's
// packages. Update does no I/O: every call runs in a command bound to the
// session's context. The console adds no rules of its own: each action is a
// service call, and what the service refuses ("permission denied") is shown
// in the status line. Keys the role may not use (the service's answer,
// Service.Permissions) are greyed out and open no form: pressing one says
// why. Destructive actions wait behind a dialog that says
// what will happen.
package admin
