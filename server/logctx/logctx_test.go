package logctx_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/parley-chat/parley/server/logctx"
)

// lines logs through a JSON handler wrapped by logctx and returns each
// line as a map.
func logged(t *testing.T, f func(log *slog.Logger)) []map[string]any {
	t.Helper()
	var buf bytes.Buffer
	f(slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil))))
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestNewIDFormat(t *testing.T) {
	re := regexp.MustCompile(`^[A-Z2-7]{12}$`)
	seen := map[string]bool{}
	for range 1000 {
		id := logctx.NewID()
		if !re.MatchString(id) {
			t.Fatalf("NewID() = %q, want 12 base32 characters", id)
		}
		if seen[id] {
			t.Fatalf("NewID() repeated %q within 1000 IDs", id)
		}
		seen[id] = true
	}
}

func TestHandlerAddsRequestAttrs(t *testing.T) {
	r := logctx.New("ssh")
	ctx := logctx.With(context.Background(), r)
	lines := logged(t, func(log *slog.Logger) {
		log.InfoContext(ctx, "opened")
		r.Set("key", "SHA256:abc")
		r.Set("user", "ABCD1234")
		r.Set("key", "SHA256:def") // replaces
		log.InfoContext(ctx, "session", "kind", "exec admin")
	})
	if len(lines) != 2 {
		t.Fatalf("got %d lines, want 2", len(lines))
	}
	for i, l := range lines {
		if got, want := l["req"], r.ID(); got != want {
			t.Errorf("line %d: req = %v, want %v", i, got, want)
		}
		if got, want := l["front"], "ssh"; got != want {
			t.Errorf("line %d: front = %v, want %v", i, got, want)
		}
	}
	if _, ok := lines[0]["key"]; ok {
		t.Errorf("line 0 has a key before one was set: %v", lines[0])
	}
	if got, want := lines[1]["key"], "SHA256:def"; got != want {
		t.Errorf("key = %v, want %v", got, want)
	}
	if got, want := lines[1]["user"], "ABCD1234"; got != want {
		t.Errorf("user = %v, want %v", got, want)
	}
	if got, want := lines[1]["kind"], "exec admin"; got != want {
		t.Errorf("kind = %v, want %v", got, want)
	}
}

func TestHandlerWithoutRequest(t *testing.T) {
	lines := logged(t, func(log *slog.Logger) {
		log.Info("no context")
		log.InfoContext(context.Background(), "a context without a request")
	})
	for _, l := range lines {
		for _, k := range []string{"req", "front"} {
			if v, ok := l[k]; ok {
				t.Errorf("%q: %s = %v, want none", l["msg"], k, v)
			}
		}
	}
}

func TestHandlerKeepsRecordsOwnKeys(t *testing.T) {
	r := logctx.New("http")
	r.Set("key", "from the request")
	ctx := logctx.With(context.Background(), r)
	var buf bytes.Buffer
	log := slog.New(logctx.NewHandler(slog.NewJSONHandler(&buf, nil)))
	log.InfoContext(ctx, "own key", "key", "from the record")
	log.With("front", "from With").InfoContext(ctx, "with")
	out := buf.String()
	first, _, _ := strings.Cut(out, "\n")
	if n := strings.Count(first, `"key"`); n != 1 {
		t.Errorf("key appears %d times, want once:\n%s", n, first)
	}
	if !strings.Contains(out, `"key":"from the record"`) {
		t.Errorf("the record's own key was replaced:\n%s", out)
	}
	if n := strings.Count(out, `"front"`); n != 2 { // once per line
		t.Errorf("front appears %d times, want once a line:\n%s", n, out)
	}
	if !strings.Contains(out, `"front":"from With"`) {
		t.Errorf("the logger's own front was replaced:\n%s", out)
	}
}

func TestLoggerBindsAttrs(t *testing.T) {
	r := logctx.New("ssh")
	r.Set("user", "ABCD1234")
	ctx := logctx.With(context.Background(), r)
	lines := logged(t, func(log *slog.Logger) {
		bound := logctx.Logger(ctx, log)
		bound.Info("no context, bound")
		bound.InfoContext(ctx, "context and bound") // not twice
		if logctx.Logger(context.Background(), log) != log {
			t.Error("Logger without a request should return the logger itself")
		}
	})
	for _, l := range lines {
		if got, want := l["req"], r.ID(); got != want {
			t.Errorf("%q: req = %v, want %v", l["msg"], got, want)
		}
		if got, want := l["user"], "ABCD1234"; got != want {
			t.Errorf("%q: user = %v, want %v", l["msg"], got, want)
		}
	}
}

// charm.land/ssh's context stores values in place.
type setterCtx struct {
	context.Context
	mu sync.Mutex
	v  map[any]any
}

func (c *setterCtx) SetValue(k, v any) { c.mu.Lock(); c.v[k] = v; c.mu.Unlock() }
func (c *setterCtx) Value(k any) any {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v, ok := c.v[k]; ok {
		return v
	}
	return c.Context.Value(k)
}

func TestAttach(t *testing.T) {
	ctx := &setterCtx{Context: context.Background(), v: map[any]any{}}
	if logctx.From(ctx) != nil {
		t.Fatal("From found a request before Attach")
	}
	r := logctx.New("ssh")
	logctx.Attach(ctx, r)
	if got := logctx.From(ctx); got != r {
		t.Fatalf("From = %v, want the attached request", got)
	}
	// Derived contexts (auth.With, timeouts) still carry it.
	sub, cancel := context.WithCancel(ctx)
	defer cancel()
	if got := logctx.From(sub); got != r {
		t.Fatalf("From(derived) = %v, want the attached request", got)
	}
}

func TestSetConcurrently(t *testing.T) {
	r := logctx.New("ssh")
	ctx := logctx.With(context.Background(), r)
	log := slog.New(logctx.NewHandler(slog.NewJSONHandler(&bytes.Buffer{}, nil)))
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			r.Set("user", string(rune('A'+i)))
			log.InfoContext(ctx, "line")
		})
	}
	wg.Wait()
	if n := len(r.Attrs()); n != 3 {
		t.Fatalf("attrs = %d, want req, front and one user", n)
	}
}
