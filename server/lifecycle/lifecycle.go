// Package lifecycle starts and stops the parts of a server as one: named
// components start in the order they were added; if one fails to start,
// those already started stop in reverse order and the start's error is
// returned. Once all run, the group runs until its context ends or one
// component fails (or returns), then stops every component in reverse
// order within a bound, logging what it waits for.
//
// lifecycle knows nothing of what the components are.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// ErrStopTimeout is returned when the components did not all stop within
// the group's bound.
var ErrStopTimeout = errors.New("did not stop in time")

// Component is one part of the server. Every func may be nil.
type Component struct {
	// Name says what it is in the log and in errors.
	Name string
	// Start readies the component (opens a listener, a file); it returns
	// once the component can be used, or why it cannot.
	Start func(ctx context.Context) error
	// Run does the component's work until ctx ends or Stop was called,
	// then returns nil; an error (or a return before the group stops)
	// stops the group.
	Run func(ctx context.Context) error
	// Stop asks the component to finish: stop accepting, let what is under
	// way end, release what it holds. ctx ends at the group's deadline;
	// past it, Stop should give up waiting and close.
	Stop func(ctx context.Context) error
}

// Group is an ordered set of components.
type Group struct {
	log   *slog.Logger
	comps []Component
}

// New returns an empty group logging to log.
func New(log *slog.Logger) *Group {
	if log == nil {
		log = slog.Default()
	}
	return &Group{log: log}
}

// Add appends c: it starts after and stops before those added earlier.
func (g *Group) Add(c Component) { g.comps = append(g.comps, c) }

// running is a started component and what Run left.
type running struct {
	c      Component
	cancel context.CancelFunc
	done   chan struct{} // closed when Run returned
	err    error         // Run's error; read after done
}

// Run starts the components, runs them until ctx ends or one of them
// fails, and stops them, giving the stops together at most stopTimeout
// once the group begins to stop. It returns the error that made the group
// stop (nil when ctx ended), joined with ErrStopTimeout when the stops
// took too long.
func (g *Group) Run(ctx context.Context, stopTimeout time.Duration) error {
	ended := make(chan *running, len(g.comps))
	var started []*running
	for _, c := range g.comps {
		if c.Start != nil {
			if err := c.Start(ctx); err != nil {
				g.log.Error("start failed, stopping what started", "component", c.Name, "err", err)
				stopErr := g.stop(started, stopTimeout)
				return errors.Join(fmt.Errorf("start %s: %w", c.Name, err), stopErr)
			}
		}
		r := &running{c: c, done: make(chan struct{})}
		var runCtx context.Context
		runCtx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
		if c.Run == nil {
			close(r.done)
		} else {
			go func() {
				defer close(r.done)
				r.err = c.Run(runCtx)
				ended <- r
			}()
		}
		started = append(started, r)
	}

	var cause error
	select {
	case <-ctx.Done():
		g.log.Info("shutting down", "reason", context.Cause(ctx).Error())
	case r := <-ended:
		cause = r.err
		if cause == nil {
			cause = fmt.Errorf("%s ended by itself", r.c.Name)
		} else {
			cause = fmt.Errorf("%s: %w", r.c.Name, cause)
		}
		g.log.Error("a component failed, shutting down", "component", r.c.Name, "err", r.err)
	}
	return errors.Join(cause, g.stop(started, stopTimeout))
}

// stop stops the started components in reverse order within timeout.
func (g *Group) stop(started []*running, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var late []string
	for i := len(started) - 1; i >= 0; i-- {
		r := started[i]
		begun := time.Now()
		if r.c.Stop != nil {
			if err := r.c.Stop(ctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
				g.log.Error("stop", "component", r.c.Name, "err", err)
			}
		}
		r.cancel()
		select {
		case <-r.done:
		default:
			g.log.Info("waiting for a component to stop", "component", r.c.Name)
			select {
			case <-r.done:
			case <-ctx.Done():
				late = append(late, r.c.Name)
				g.log.Error("a component did not stop in time", "component", r.c.Name)
				continue
			}
		}
		g.log.Info("stopped", "component", r.c.Name, "took", time.Since(begun).Round(time.Millisecond).String())
	}
	if len(late) > 0 {
		return fmt.Errorf("%v after %v: %w", late, timeout, ErrStopTimeout)
	}
	return nil
}
