// Package httpapi is Parley's HTTP front. For now it serves /healthz, which
// reports whether the store answers; the Gateway API for bots, the admin
// API and metrics join it here.
package httpapi
