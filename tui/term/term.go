package term

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// Size is a terminal size in cells.
type Size struct{ Width, Height int }

// Options configure a Program.
type Options struct {
	Input  io.Reader
	Output io.Writer
	// Size is the initial terminal size.
	Size Size
	// Profile is the client terminal's colour profile; output is downsampled to it.
	Profile colorprofile.Profile
	// Close is called when the program ends, with the error it ends with
	// (nil for a normal quit), to release Input (e.g. by closing the SSH
	// channel, which ends a pending Read). It may be called twice, from
	// different goroutines, when a stuck write times out; it must tolerate
	// that. May be nil.
	Close func(err error)
	// WriteTimeout ends the program when one frame cannot be written for this
	// long: the client stopped reading (default 60 s).
	WriteTimeout time.Duration
	// Logger receives panics and write errors (default slog.Default()).
	Logger *slog.Logger
}

// Program hosts one model. W is the type in which the terminal reports
// resizes (e.g. an SSH window-change), converted by the size function given
// to New, so no goroutine is needed to translate them.
type Program[W any] struct {
	model  tea.Model
	o      Options
	resize <-chan W
	sizeOf func(W) Size
	out    io.Writer
	log    *slog.Logger

	mu     sync.Mutex // guards queue and ended
	queue  []tea.Msg
	ended  bool
	wake   chan struct{}  // capacity 1: something was queued
	room   chan struct{}  // capacity 1: the queue was drained
	done   chan struct{}  // closed when the event loop ends
	cmds   sync.WaitGroup // the model's commands still running
	result error

	// Owned by the event loop.
	size    Size
	seed    maphash.Seed
	prev    []uint64 // hash of each line of the last frame; nil: repaint all
	title   string
	cursor  *tea.Cursor // last cursor written, nil: hidden
	started bool
	input   []byte
	inPaste bool
	paste   []byte
	dec     decoder
	escTmr  *time.Timer
}

// writeChunk bounds one write to the output.
const writeChunk = 2048

var errStuck = errors.New("the terminal stopped reading: session closed")

// maxQueue bounds queued messages; input waits beyond it.
const maxQueue = 1024

// New prepares a program for m. resize delivers later sizes (nil: the
// terminal never resizes) and sizeOf converts them.
func New[W any](m tea.Model, o Options, resize <-chan W, sizeOf func(W) Size) *Program[W] {
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 60 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	return &Program[W]{
		model:  m,
		o:      o,
		resize: resize,
		sizeOf: sizeOf,
		out:    o.Output, // colours converted to Profile by write
		log:    o.Logger,
		wake:   make(chan struct{}, 1),
		room:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		size:   o.Size,
		seed:   maphash.MakeSeed(),
	}
}

// Send queues a message for the model. It never blocks and is safe from any
// goroutine; after the program ended it does nothing.
func (p *Program[W]) Send(msg tea.Msg) {
	p.mu.Lock()
	if p.ended {
		p.mu.Unlock()
		return
	}
	p.queue = append(p.queue, msg)
	p.mu.Unlock()
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

// sendInput queues input bytes, waiting while the queue is full.
func (p *Program[W]) sendInput(b []byte) bool {
	for {
		p.mu.Lock()
		if p.ended {
			p.mu.Unlock()
			return false
		}
		if len(p.queue) < maxQueue {
			p.queue = append(p.queue, inputMsg(b))
			p.mu.Unlock()
			select {
			case p.wake <- struct{}{}:
			default:
			}
			return true
		}
		p.mu.Unlock()
		select {
		case <-p.room:
		case <-p.done:
			return false
		}
	}
}

type inputMsg []byte

type escTimeoutMsg struct{}

type cmdPanicMsg struct{ err error }

// Run runs the model until it quits, ctx ends or input fails. It reads
// input on the calling goroutine and returns when the event loop ended.
func (p *Program[W]) Run(ctx context.Context) error {
	go p.loop(ctx)
	buf := make([]byte, 256) // keys come a few bytes at a time; pastes take several reads
	for {
		n, err := p.o.Input.Read(buf)
		if n > 0 && !p.sendInput(append([]byte(nil), buf[:n]...)) {
			break
		}
		if err != nil {
			p.Send(tea.QuitMsg{})
			break
		}
	}
	<-p.done
	return p.result
}

// WaitCommands waits, once the program has ended, until every command
// the model started has returned: what those commands use (keys, stores)
// may be released after it. The context they were given should be done
// first, so that commands doing I/O end soon.
func (p *Program[W]) WaitCommands() {
	<-p.done
	p.cmds.Wait()
}

// Done is closed when the program has ended.
func (p *Program[W]) Done() <-chan struct{} { return p.done }

func (p *Program[W]) loop(ctx context.Context) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("session model panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			p.result = fmt.Errorf("internal error: %v", r)
		}
		p.finish()
	}()
	if cmd := p.model.Init(); cmd != nil {
		p.exec(cmd)
	}
	quit := p.apply(tea.WindowSizeMsg{Width: p.size.Width, Height: p.size.Height})
	if err := p.render(); err != nil {
		p.result = err
		return
	}
	// Frames are paced: one render per frameInterval at most. What arrives
	// within it (a sync's result, the reload it starts, a receipt) goes into
	// one frame instead of one each.
	lastFrame := time.Now()
	pace := time.NewTimer(time.Hour)
	pace.Stop()
	defer pace.Stop()
	pending := false
	for !quit {
		select {
		case <-ctx.Done():
			return
		case <-pace.C:
			pending = false
			lastFrame = time.Now()
			if err := p.render(); err != nil {
				p.result = err
				return
			}
			continue
		case w, ok := <-p.resize:
			if !ok {
				p.resize = nil
				continue
			}
			if s := p.sizeOf(w); s != p.size {
				p.size = s
				p.prev = nil // repaint everything
				quit = p.apply(tea.WindowSizeMsg{Width: s.Width, Height: s.Height})
			}
		case <-p.wake:
			p.mu.Lock()
			batch := p.queue
			p.queue = nil
			p.mu.Unlock()
			select {
			case p.room <- struct{}{}:
			default:
			}
			for _, msg := range batch {
				if quit = p.apply(msg); quit {
					break
				}
			}
		}
		if quit {
			if err := p.render(); err != nil { // the last frame, unpaced
				p.result = err
			}
			return
		}
		if pending {
			continue // the paced frame shows this too
		}
		if wait := frameInterval - time.Since(lastFrame); wait > 0 {
			pending = true
			pace.Reset(wait)
			continue
		}
		lastFrame = time.Now()
		if err := p.render(); err != nil {
			p.result = err
			return
		}
	}
}

// frameInterval is the shortest time between two frames of a session.
const frameInterval = 12 * time.Millisecond

// apply hands one message to the model; it reports whether to quit.
func (p *Program[W]) apply(msg tea.Msg) bool {
	switch m := msg.(type) {
	case nil:
		return false
	case tea.QuitMsg:
		return true
	case cmdPanicMsg:
		p.result = m.err
		return true
	case tea.BatchMsg:
		for _, c := range m {
			p.exec(c)
		}
		return false
	case tea.RawMsg:
		p.writeRaw(fmt.Sprint(m.Msg))
		return false
	case inputMsg:
		p.input = append(p.input, m...)
		return p.scan(false)
	case escTimeoutMsg:
		return p.scan(true)
	}
	var cmd tea.Cmd
	p.model, cmd = p.model.Update(msg)
	p.exec(cmd)
	return false
}

// exec runs a command on its own goroutine and queues its result.
func (p *Program[W]) exec(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	p.cmds.Add(1)
	go func() {
		defer p.cmds.Done()
		defer func() {
			if r := recover(); r != nil {
				p.log.Error("session command panicked", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				p.Send(cmdPanicMsg{fmt.Errorf("internal error: %v", r)})
			}
		}()
		if msg := cmd(); msg != nil {
			p.Send(msg)
		}
	}()
}

// finish restores the terminal and releases the input.
func (p *Program[W]) finish() {
	if p.escTmr != nil {
		p.escTmr.Stop()
	}
	if p.started {
		// Leave bracketed paste and the alternate screen, show the cursor.
		_ = p.write("\x1b[?2004l\x1b[?25h\x1b[?1049l")
	}
	p.mu.Lock()
	p.ended = true
	p.queue = nil
	p.mu.Unlock()
	close(p.done)
	if p.o.Close != nil {
		p.o.Close(p.result)
	}
}

func (p *Program[W]) writeRaw(s string) {
	if err := p.write(s); err != nil {
		p.log.Debug("write failed", "err", err)
	}
}

// write writes s, ending the session if the client does not take it in time.
func (p *Program[W]) write(s string) error {
	if s == "" {
		return nil
	}
	if p.o.Profile != colorprofile.TrueColor {
		// Colours are converted for the whole text before it is cut into
		// chunks: a sequence cut in two would pass unconverted.
		var conv strings.Builder
		cw := colorprofile.Writer{Forward: &conv, Profile: p.o.Profile}
		if _, err := cw.WriteString(s); err != nil {
			return err
		}
		s = conv.String()
	}
	var t *time.Timer
	if p.o.Close != nil {
		t = time.AfterFunc(p.o.WriteTimeout, func() { p.o.Close(errStuck) })
	}
	// Modest chunks: the SSH layer keeps a buffer as large as the largest
	// write it saw, for as long as the session lives.
	var err error
	for len(s) > 0 && err == nil {
		n := min(len(s), writeChunk)
		_, err = io.WriteString(p.out, s[:n])
		s = s[n:]
	}
	if t != nil && !t.Stop() {
		return errStuck
	}
	return err
}

// render writes the lines of the view that changed since the last frame.
func (p *Program[W]) render() error {
	v := p.model.View()
	w, h := p.size.Width, p.size.Height
	if w <= 0 || h <= 0 {
		return nil
	}
	content := v.Content
	if strings.Contains(content, "\r\n") {
		content = strings.ReplaceAll(content, "\r\n", "\n")
	}
	// A fresh buffer per frame: frames are rare, and an idle session keeps
	// nothing of its last one but a hash per line.
	b := &strings.Builder{}
	if !p.started {
		p.started = true
		// Alternate screen, bracketed paste, clear.
		b.WriteString("\x1b[?1049h\x1b[?2004h\x1b[2J")
		p.prev = nil
	}
	if v.WindowTitle != p.title {
		p.title = v.WindowTitle
		b.WriteString(ansi.SetWindowTitle(sanitizeTitle(p.title)))
	}
	// Each line's hash, its lowest bit saying whether the line was wider
	// than the terminal: a line that only moved (a conversation scrolling
	// up) is known to fit without measuring it again.
	prev := p.prev
	if len(prev) != h {
		prev = nil
	}
	next := make([]uint64, h)
	changed := false
	var num []byte
	for i := range h {
		line := ""
		if content != "" || i == 0 {
			line, content, _ = strings.Cut(content, "\n")
		}
		sum := maphash.String(p.seed, line) &^ 1
		if prev != nil && prev[i]&^1 == sum {
			next[i] = prev[i]
			continue
		}
		wide, known := false, false
		for _, old := range prev {
			if old&^1 == sum {
				wide, known = old&1 == 1, true
				break
			}
		}
		if !known {
			wide = len(line) > w && ansi.StringWidth(line) > w // a cell takes at least a byte
		}
		if wide {
			sum |= 1
			line = ansi.Truncate(line, w, "")
		}
		next[i] = sum
		if !changed {
			b.WriteString("\x1b[?2026h\x1b[?25l") // synchronized update, hide cursor while drawing
			changed = true
		}
		num = strconv.AppendInt(append(num[:0], "\x1b["...), int64(i+1), 10)
		b.Write(append(num, ";1H"...))
		b.WriteString(line)
		b.WriteString("\x1b[0m\x1b[K")
	}
	if changed || !sameCursor(p.cursor, v.Cursor) {
		if c := v.Cursor; c != nil {
			fmt.Fprintf(b, "\x1b[%d;%dH\x1b[?25h", c.Y+1, c.X+1)
		} else {
			b.WriteString("\x1b[?25l")
		}
		if changed {
			b.WriteString("\x1b[?2026l")
		}
		p.cursor = v.Cursor
	}
	p.prev = next
	return p.write(b.String())
}

func sameCursor(a, b *tea.Cursor) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Position == b.Position
}

func sanitizeTitle(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
