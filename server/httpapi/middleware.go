package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/parley-chat/parley/server/admin"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/logctx"
)

// handler serves one method of one resource. It writes the response on
// success and returns an error otherwise, which serve turns into the JSON
// error response.
type handler func(w http.ResponseWriter, r *http.Request) error

// methods maps HTTP methods to their handlers.
type methods map[string]handler

// router registers resources on a ServeMux.
type router struct {
	mux *http.ServeMux
	a   *api
}

// handle registers path for the given methods, and a 405 with an Allow
// header for every other method.
func (rt router) handle(path string, ms methods) {
	allow := make([]string, 0, len(ms)+1)
	for m, h := range ms {
		rt.mux.Handle(m+" "+path, rt.a.serve(h))
		allow = append(allow, m)
		if m == http.MethodGet {
			allow = append(allow, http.MethodHead)
		}
	}
	slices.Sort(allow)
	rt.mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, fmt.Sprintf("method %s not allowed here: use %s", r.Method, strings.Join(allow, ", ")))
	})
}

// serve runs a handler and answers its error.
func (a *api) serve(h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			a.fail(w, r, err)
		}
	})
}

// fail answers an error: its status and its message for the client, or a
// generic message for a server fault, which is logged instead.
func (a *api) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := status(err)
	if code >= http.StatusInternalServerError {
		// The request line (same req) has the method and route; the path
		// is left out, as it may hold a group's name.
		a.log.ErrorContext(r.Context(), "admin API request failed", "err", err)
	}
	if code == http.StatusForbidden {
		if p := auth.From(r.Context()); p != nil && p.APIKey != nil && msg == admin.ErrForbidden.Error() {
			msg = fmt.Sprintf("%s: the API key's scopes (%s) do not allow this", msg, strings.Join(p.APIKey.Scopes, ", "))
		}
	}
	writeError(w, code, msg)
}

// authenticate admits requests with a valid API key and puts its
// principal in the request's context. Addresses that presented too many
// bad keys wait before they may try again.
func (a *api) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := remoteAddr(r)
		if wait := a.fails.blocked(addr, a.now()); wait > 0 {
			w.Header().Set("Retry-After", fmt.Sprint(int(wait.Seconds()+1)))
			writeError(w, http.StatusTooManyRequests, "too many requests with bad API keys from this address: try again later")
			return
		}
		key, ok := bearer(r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
			writeError(w, http.StatusUnauthorized, "missing API key: send Authorization: Bearer <key>")
			return
		}
		p, err := a.admin.AuthenticateAPIKey(r.Context(), key)
		switch {
		case errors.Is(err, admin.ErrBadAPIKey):
			a.fails.fail(addr, a.now())
			a.log.InfoContext(r.Context(), "API key refused", "addr", addr, "reason", err.Error())
			w.Header().Set("WWW-Authenticate", `Bearer realm="parley", error="invalid_token"`)
			writeError(w, http.StatusUnauthorized, err.Error())
			return
		case err != nil:
			a.fail(w, r, err)
			return
		}
		if req := logctx.From(r.Context()); req != nil {
			req.Set("apikey", p.APIKey.ID) // the key's ID, on this request's lines from now on
		}
		p.Session = "http:" + addr
		next.ServeHTTP(w, r.WithContext(auth.With(r.Context(), p)))
	})
}

// bearer returns the token of an "Authorization: Bearer TOKEN" header.
func bearer(h string) (string, bool) {
	scheme, token, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// remoteAddr is the client's IP address. Behind a reverse proxy it is the
// proxy's: forwarded headers are not trusted.
func remoteAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limitBody bounds request bodies to MaxBodyBytes.
func limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > MaxBodyBytes {
			writeError(w, http.StatusRequestEntityTooLarge, tooLarge)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// tooLarge answers a body over MaxBodyBytes.
const tooLarge = "request body larger than 1 MiB"

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// apiHeaders sets the headers of every API response. (The request line
// is written by requests, for every route.)
func (a *api) apiHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// Failed-authentication limits: an address may present this many bad keys
// in a burst, then one per failRefill. Guessing a 256-bit key is hopeless
// anyway; the limit keeps floods of bad keys cheap.
const (
	failBurst    = 20
	failRefill   = time.Second
	maxFailAddrs = 10000
)

// failLimiter counts failed authentications per remote address.
type failLimiter struct {
	mu    sync.Mutex
	addrs map[string]*rate.Limiter // guarded by mu
}

func newFailLimiter() *failLimiter {
	return &failLimiter{addrs: make(map[string]*rate.Limiter)}
}

// blocked returns how long addr must wait, or 0.
func (l *failLimiter) blocked(addr string, now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.addrs[addr]
	if lim == nil || lim.TokensAt(now) >= 1 {
		return 0
	}
	return time.Duration((1 - lim.TokensAt(now)) * float64(failRefill))
}

// fail counts one failed authentication from addr.
func (l *failLimiter) fail(addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	lim := l.addrs[addr]
	if lim == nil {
		if len(l.addrs) >= maxFailAddrs {
			l.prune(now)
		}
		lim = rate.NewLimiter(rate.Every(failRefill), failBurst)
		l.addrs[addr] = lim
	}
	lim.AllowN(now, 1)
}

// prune forgets addresses that have recovered fully; if that is not
// enough, it forgets all of them, keeping memory bounded.
func (l *failLimiter) prune(now time.Time) {
	for addr, lim := range l.addrs {
		if lim.TokensAt(now) >= failBurst {
			delete(l.addrs, addr)
		}
	}
	if len(l.addrs) >= maxFailAddrs {
		clear(l.addrs)
	}
}

// decode reads the request body as exactly one JSON object into v,
// refusing fields v does not have.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if err := dec.Decode(&json.RawMessage{}); !errors.Is(err, io.EOF) {
		if err == nil {
			return badRequest("the body must be one JSON object, with nothing after it")
		}
		return bodyError(err)
	}
	return nil
}

// bodyError explains why a body does not decode.
func bodyError(err error) error {
	var mbe *http.MaxBytesError
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &mbe):
		return &apiError{code: http.StatusRequestEntityTooLarge, msg: tooLarge}
	case errors.Is(err, io.EOF):
		return badRequest("the body is empty: send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed JSON: the body ends early")
	case errors.As(err, &syn):
		return badRequest(fmt.Sprintf("malformed JSON at byte %d: %s", syn.Offset, strings.TrimPrefix(syn.Error(), "json: ")))
	case errors.As(err, &typ) && typ.Field != "":
		return badRequest(fmt.Sprintf("field %q: %s is the wrong type", typ.Field, typ.Value))
	case errors.As(err, &typ):
		return badRequest(fmt.Sprintf("the body must be a JSON object, not %s", typ.Value))
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return badRequest("unknown field " + f)
	}
	return badRequest("malformed JSON")
}

// query returns the request's query parameters, refusing any not allowed.
func query(r *http.Request, allowed ...string) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badRequest("malformed query string")
	}
	for k := range q {
		if !slices.Contains(allowed, k) {
			if len(allowed) == 0 {
				return nil, badRequest(fmt.Sprintf("unknown query parameter %q: this resource takes none", k))
			}
			return nil, badRequest(fmt.Sprintf("unknown query parameter %q: use %s", k, strings.Join(allowed, ", ")))
		}
	}
	return q, nil
}

// writeJSON writes v as the response.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false) // an API, not a page: "<key>" stays readable
	_ = enc.Encode(v)
}

// errorJSON is every error response.
type errorJSON struct {
	Error string `json:"error"`
}

func writeError(w http.ResponseWriter, code int, msg string) {
	if code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="parley"`)
	}
	writeJSON(w, code, errorJSON{Error: msg})
}
