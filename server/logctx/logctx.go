package logctx

import (
	"context"
	"crypto/rand"
	"log/slog"
	"slices"
	"sync"
)

// IDLen is the length of a request ID: base32 characters (A–Z, 2–7),
// 60 random bits.
const IDLen = 12

// Attribute keys every request has.
const (
	KeyID    = "req"
	KeyFront = "front"
)

// NewID returns a fresh request ID from crypto/rand.
func NewID() string { return rand.Text()[:IDLen] }

// Request is what the logs say about one request: its ID, its front and
// the attributes learnt since. It is safe for concurrent use: the
// sessions of one SSH connection log and learn at the same time.
type Request struct {
	id    string
	front string

	mu    sync.Mutex
	attrs []slog.Attr // guarded by mu; set in order, a key at most once
}

// New starts a request on front ("ssh", "http") with a fresh ID.
func New(front string) *Request { return &Request{id: NewID(), front: front} }

// ID returns the request's ID.
func (r *Request) ID() string { return r.id }

// Set records an attribute for every line logged from now on, replacing
// an earlier value of the same key. key must not be KeyID or KeyFront.
func (r *Request) Set(key, value string) {
	if key == KeyID || key == KeyFront {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, a := range r.attrs {
		if a.Key == key {
			r.attrs[i] = slog.String(key, value)
			return
		}
	}
	r.attrs = append(r.attrs, slog.String(key, value))
}

// Attrs returns the request's attributes: the ID, the front, then those
// set, in the order first set.
func (r *Request) Attrs() []slog.Attr {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]slog.Attr{slog.String(KeyID, r.id), slog.String(KeyFront, r.front)}, r.attrs...)
}

type ctxKey struct{}

// With returns ctx carrying r.
func With(ctx context.Context, r *Request) context.Context {
	return context.WithValue(ctx, ctxKey{}, r)
}

// ValueSetter is a context that stores values in place (charm.land/ssh's
// per-connection context), which With cannot derive from.
type ValueSetter interface {
	SetValue(key, value any)
}

// Attach stores r in a context that stores values in place.
func Attach(ctx ValueSetter, r *Request) { ctx.SetValue(ctxKey{}, r) }

// From returns the request ctx carries, or nil.
func From(ctx context.Context) *Request {
	if ctx == nil {
		return nil
	}
	r, _ := ctx.Value(ctxKey{}).(*Request)
	return r
}

// Logger returns log with the request's attributes of ctx as they are
// now, for code that logs without a context (a hosted session's client
// core). Without a request in ctx it returns log.
func Logger(ctx context.Context, log *slog.Logger) *slog.Logger {
	r := From(ctx)
	if r == nil {
		return log
	}
	attrs := r.Attrs()
	args := make([]any, len(attrs))
	for i, a := range attrs {
		args[i] = a
	}
	return log.With(args...)
}

// Handler adds the attributes of the request in a record's context to
// the record, leaving out keys the record (or the logger, through
// WithAttrs) already has, then passes it on.
type Handler struct {
	next slog.Handler
	// has are the top-level keys the logger already adds (WithAttrs
	// before any WithGroup); a request's attribute of the same key would
	// repeat it.
	has []string
	// grouped: a group is open, so attributes added now land inside it.
	grouped bool
}

// NewHandler wraps next.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

// Enabled is next's.
func (h *Handler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// Handle adds the request's attributes and passes the record on.
func (h *Handler) Handle(ctx context.Context, rec slog.Record) error {
	r := From(ctx)
	if r == nil {
		return h.next.Handle(ctx, rec)
	}
	own := make([]string, 0, rec.NumAttrs())
	rec.Attrs(func(a slog.Attr) bool { own = append(own, a.Key); return true })
	rec = rec.Clone()
	for _, a := range r.Attrs() {
		if (h.grouped || !slices.Contains(h.has, a.Key)) && !slices.Contains(own, a.Key) {
			rec.AddAttrs(a)
		}
	}
	return h.next.Handle(ctx, rec)
}

// WithAttrs wraps next's WithAttrs.
func (h *Handler) WithAttrs(attrs []slog.Attr) slog.Handler {
	n := &Handler{next: h.next.WithAttrs(attrs), has: slices.Clone(h.has), grouped: h.grouped}
	if !h.grouped {
		for _, a := range attrs {
			n.has = append(n.has, a.Key)
		}
	}
	return n
}

// WithGroup wraps next's WithGroup. A request's attributes then go inside
// the group, like the record's own.
func (h *Handler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &Handler{next: h.next.WithGroup(name), has: h.has, grouped: true}
}
