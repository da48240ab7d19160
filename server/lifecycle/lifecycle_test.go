package lifecycle

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder notes what the components did, in order.
type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) note(s string) { r.mu.Lock(); r.events = append(r.events, s); r.mu.Unlock() }
func (r *recorder) got() []string { r.mu.Lock(); defer r.mu.Unlock(); return slices.Clone(r.events) }

// comp is a component that runs until stopped and notes its steps.
func comp(rec *recorder, name string, startErr error) Component {
	stop := make(chan struct{})
	return Component{
		Name:  name,
		Start: func(context.Context) error { rec.note("start " + name); return startErr },
		Run: func(ctx context.Context) error {
			select {
			case <-stop:
			case <-ctx.Done():
			}
			return nil
		},
		Stop: func(context.Context) error { rec.note("stop " + name); close(stop); return nil },
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func TestStartFailureStopsWhatStartedInReverse(t *testing.T) {
	rec := &recorder{}
	g := New(quiet())
	boom := errors.New("address in use")
	g.Add(comp(rec, "store", nil))
	g.Add(comp(rec, "ssh", nil))
	g.Add(comp(rec, "http", boom))
	g.Add(comp(rec, "debug", nil))
	err := g.Run(context.Background(), time.Second)
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "start http") {
		t.Fatalf("err = %v, want the start error of http", err)
	}
	want := []string{"start store", "start ssh", "start http", "stop ssh", "stop store"}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
}

func TestFailingComponentStopsAll(t *testing.T) {
	rec := &recorder{}
	g := New(quiet())
	boom := errors.New("listener broke")
	g.Add(comp(rec, "store", nil))
	g.Add(Component{Name: "ssh", Run: func(context.Context) error { return boom }})
	g.Add(comp(rec, "http", nil))
	done := make(chan error, 1)
	go func() { done <- g.Run(context.Background(), time.Second) }()
	select {
	case err := <-done:
		if !errors.Is(err, boom) || !strings.Contains(err.Error(), "ssh") {
			t.Fatalf("err = %v, want ssh's error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a failed component did not stop the group")
	}
	want := []string{"start store", "start http", "stop http", "stop store"}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
}

func TestContextEndStopsInReverse(t *testing.T) {
	rec := &recorder{}
	g := New(quiet())
	for _, n := range []string{"a", "b", "c"} {
		g.Add(comp(rec, n, nil))
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx, time.Second) }()
	for len(rec.got()) < 3 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("err = %v, want nil after the context ended", err)
	}
	want := []string{"start a", "start b", "start c", "stop c", "stop b", "stop a"}
	if got := rec.got(); !slices.Equal(got, want) {
		t.Fatalf("events = %q, want %q", got, want)
	}
}

func TestStopIsBounded(t *testing.T) {
	rec := &recorder{}
	g := New(quiet())
	g.Add(comp(rec, "store", nil))
	hang := make(chan struct{})
	defer close(hang)
	g.Add(Component{Name: "stuck", Run: func(context.Context) error { <-hang; return nil }})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	begun := time.Now()
	err := g.Run(ctx, 100*time.Millisecond)
	if !errors.Is(err, ErrStopTimeout) || !strings.Contains(err.Error(), "stuck") {
		t.Fatalf("err = %v, want a timeout naming the stuck component", err)
	}
	if took := time.Since(begun); took > 5*time.Second {
		t.Fatalf("stopping took %v with a 100ms bound", took)
	}
	// What comes before the stuck one is still stopped.
	if got := rec.got(); !slices.Contains(got, "stop store") {
		t.Fatalf("events = %q: the store was not stopped", got)
	}
}
