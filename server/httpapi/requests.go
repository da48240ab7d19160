package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parley-chat/parley/server/logctx"
)

// Observer counts answered requests for metrics (metrics.Metrics
// implements it): route is the pattern that matched, never the raw path.
type Observer interface {
	ObserveHTTP(route string, code int, took time.Duration)
}

// routeRecord is where the innermost ServeMux that matched a request
// leaves its pattern, for the request line and metrics.
type routeRecord struct{ route string }

type routeKey struct{}

// recordRoute serves mux and records the pattern it matched. ServeMux
// sets Pattern on the request it is given, so it is read after serving.
func recordRoute(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if rec, ok := r.Context().Value(routeKey{}).(*routeRecord); ok && r.Pattern != "" {
			rec.route = r.Pattern
		}
	})
}

// routeOf is a pattern without its method: "GET /api/v1/users/{id}" is
// "/api/v1/users/{id}".
func routeOf(pattern string) string {
	if _, path, ok := strings.Cut(pattern, " "); ok {
		return path
	}
	if pattern == "" {
		return "other"
	}
	return pattern
}

// quiet are the routes probes and scrapers call every few seconds: their
// successful requests are logged at debug level only.
func quiet(route string) bool {
	return route == "/healthz" || route == "/readyz" || route == "/metrics"
}

// requests gives every request an ID, in its context for the log lines
// of the handlers and services, and in the X-Request-Id response header
// (an ID the client sends is ignored); then writes one line per request
// (method, route pattern, status, duration — never the path, headers or
// body) and counts it.
func requests(log *slog.Logger, obs Observer, now func() time.Time, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := now()
		req := logctx.New("http")
		w.Header().Set("X-Request-Id", req.ID())
		rec := &routeRecord{}
		ctx := logctx.With(r.Context(), req)
		r = r.WithContext(context.WithValue(ctx, routeKey{}, rec))
		sw := &statusWriter{ResponseWriter: w}
		mux.ServeHTTP(sw, r)
		if rec.route == "" {
			rec.route = r.Pattern // the outer mux's, when no inner one matched
		}
		route, code, took := routeOf(rec.route), sw.code, now().Sub(start)
		if code == 0 {
			code = http.StatusOK
		}
		level := slog.LevelInfo
		if code < 400 && quiet(route) {
			level = slog.LevelDebug
		}
		log.Log(ctx, level, "http request", "method", method(r.Method), "route", route, "status", code,
			"duration", took.Round(time.Microsecond).String())
		if obs != nil {
			obs.ObserveHTTP(route, code, took)
		}
	})
}

// method is a request's method for the log: the client names it, so
// anything but the standard methods is "other".
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}
