package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/parley-chat/parley/store"
)

// MaxBodyBytes bounds a request body; a larger one is refused with 413.
const MaxBodyBytes = 1 << 20

// Deps are what the HTTP front serves from.
type Deps struct {
	// DB answers the health check.
	DB store.DB
	// Admin serves the admin API under /api/v1/; nil leaves the API out.
	Admin Admin
	// Logger receives server errors and, at debug level, one line per
	// API request. It never sees keys or request bodies.
	Logger *slog.Logger
	// Now is the clock of the failed-authentication limiter (default time.Now).
	Now func() time.Time
	// Metrics serves /metrics (Prometheus); nil leaves it out.
	Metrics http.Handler
	// Ready says the server's fronts are up (for /readyz); nil: always.
	Ready func() bool
	// Observer counts requests by route and status; nil: not counted.
	Observer Observer
}

// Handler returns the HTTP front's handler.
func Handler(d Deps) http.Handler {
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		status, code := "ok", http.StatusOK
		if err := d.DB.View(ctx, func(store.Tx) error { return nil }); err != nil {
			d.Logger.WarnContext(r.Context(), "health check failed", "err", err)
			status, code = "unavailable", http.StatusServiceUnavailable
		}
		writeJSON(w, code, map[string]string{"status": status})
	})
	// /readyz: the store answers and every front is up (a load balancer
	// sends no one here before, or once the server is shutting down).
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if d.Ready != nil && !d.Ready() {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "starting or stopping"})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := d.DB.View(ctx, func(store.Tx) error { return nil }); err != nil {
			d.Logger.WarnContext(r.Context(), "readiness check failed", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "store unavailable"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	if d.Metrics != nil {
		mux.Handle("GET /metrics", d.Metrics)
	}
	if d.Admin != nil {
		a := &api{admin: d.Admin, log: d.Logger, now: d.Now, fails: newFailLimiter()}
		// The chain, outermost first: log the request, bound its body,
		// refuse addresses that failed too often, authenticate the key.
		mux.Handle("/api/", a.apiHeaders(limitBody(a.authenticate(a.routes()))))
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "not found")
	})
	// Outermost: the request ID, the request line and its metrics.
	return requests(d.Logger, d.Observer, d.Now, mux)
}

// api is the admin API of one Handler.
type api struct {
	admin Admin
	log   *slog.Logger
	now   func() time.Time
	fails *failLimiter
}

// routes is the admin API's resources. Each path answers the methods
// registered for it and 405 (with Allow) for any other.
func (a *api) routes() http.Handler {
	mux := http.NewServeMux()
	r := router{mux: mux, a: a}
	r.handle("/api/v1/users", methods{"GET": a.listUsers, "POST": a.createUser})
	r.handle("/api/v1/users/{id}", methods{"GET": a.getUser, "PATCH": a.editUser, "DELETE": a.deleteUser})
	r.handle("/api/v1/users/{id}/revoke", methods{"POST": a.revokeUser})
	r.handle("/api/v1/users/{id}/activation-code", methods{"POST": a.reissueCode})
	r.handle("/api/v1/users/{id}/devices", methods{"GET": a.listDevices})
	r.handle("/api/v1/users/{id}/devices/{fingerprint...}", methods{"DELETE": a.removeDevice})
	r.handle("/api/v1/license", methods{"GET": a.license})
	r.handle("/api/v1/audit", methods{"GET": a.listAudit})
	r.handle("/api/v1/audit/verify", methods{"GET": a.verifyAudit})
	r.handle("/api/v1/groups", methods{"GET": a.listGroups, "POST": a.createGroup})
	r.handle("/api/v1/groups/{ref}", methods{"GET": a.getGroup, "PATCH": a.renameGroup, "DELETE": a.deleteGroup})
	r.handle("/api/v1/groups/{ref}/members", methods{"POST": a.addMembers, "DELETE": a.removeMembers})
	r.handle("/api/v1/stats", methods{"GET": a.stats})
	r.handle("/api/v1/policies", methods{"GET": a.listPolicies})
	r.handle("/api/v1/policies/{key}", methods{"PUT": a.setPolicy, "DELETE": a.unsetPolicy})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, http.StatusNotFound, "no such resource: see the admin guide for the routes of /api/v1/")
	})
	return recordRoute(mux)
}
