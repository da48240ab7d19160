package term

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// echo is a model that shows what it received.
type echo struct {
	lines []string
	w, h  int
}

type setMsg string

func (m echo) Init() tea.Cmd { return nil }

func (m echo) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.w, m.h = msg.Width, msg.Height
	case tea.KeyPressMsg:
		switch msg.String() {
		case "ctrl+c":
			return m, tea.Quit
		case "!":
			panic("boom")
		case "b":
			return m, func() tea.Msg { return tea.RawMsg{Msg: "\a"} }
		case "c":
			return m, func() tea.Msg { panic("command boom") }
		}
		m.lines = append(m.lines, "key "+msg.String())
	case tea.PasteMsg:
		m.lines = append(m.lines, "paste "+strings.ReplaceAll(msg.Content, "\n", "|"))
	case setMsg:
		m.lines = append(m.lines, string(msg))
	}
	return m, nil
}

func (m echo) View() tea.View {
	head := "size " + itoa(m.w) + "x" + itoa(m.h)
	v := tea.NewView(strings.Join(append([]string{head}, m.lines...), "\n"))
	v.Cursor = tea.NewCursor(len(m.lines), 0)
	return v
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for i > 0 {
		b = append([]byte{byte('0' + i%10)}, b...)
		i /= 10
	}
	return string(b)
}

// screen collects output and lets a test wait for it.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
	ch  chan struct{}
}

func newScreen() *screen { return &screen{ch: make(chan struct{}, 1)} }

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	select {
	case s.ch <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

func (s *screen) reset() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.buf.String()
	s.buf.Reset()
	return out
}

func (s *screen) waitFor(t *testing.T, sub string) string {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		if out := s.String(); strings.Contains(out, sub) {
			return out
		}
		select {
		case <-s.ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %q; screen: %q", sub, s.String())
		}
	}
}

func same(s Size) Size { return s }

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

type harness struct {
	p      *Program[Size]
	in     *io.PipeWriter
	scr    *screen
	resize chan Size
	errc   chan error
}

func start(t *testing.T, m tea.Model) *harness {
	t.Helper()
	inR, inW := io.Pipe()
	scr := newScreen()
	resize := make(chan Size, 1)
	p := New(m, Options{Input: inR, Output: scr, Size: Size{40, 5},
		Profile: colorprofile.ANSI, Close: func(error) { inR.Close() }, Logger: quiet()}, resize, same)
	h := &harness{p: p, in: inW, scr: scr, resize: resize, errc: make(chan error, 1)}
	go func() { h.errc <- p.Run(context.Background()) }()
	t.Cleanup(func() { inW.Close() })
	return h
}

func (h *harness) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-h.errc:
		return err
	case <-time.After(5 * time.Second):
		t.Fatal("program did not end")
		return nil
	}
}

func TestRendersOnlyWhatChanged(t *testing.T) {
	h := start(t, echo{})
	first := h.scr.waitFor(t, "size 40x5")
	if !strings.Contains(first, "\x1b[?1049h") {
		t.Fatalf("first frame does not enter the alternate screen: %q", first)
	}
	h.scr.reset()
	h.in.Write([]byte("x"))
	out := h.scr.waitFor(t, "key x")
	if strings.Contains(out, "size 40x5") {
		t.Fatalf("unchanged header line was redrawn: %q", out)
	}
	if !strings.Contains(out, "\x1b[2;1H") {
		t.Fatalf("changed line not addressed as row 2: %q", out)
	}
	// A message that leaves the view as it was writes nothing.
	h.scr.reset()
	h.p.Send(tea.FocusMsg{})
	h.p.Send(setMsg("marker"))
	h.scr.waitFor(t, "marker")
	if out := h.scr.reset(); strings.Count(out, "\x1b[") > 12 {
		t.Fatalf("a one-line change wrote a lot: %q", out)
	}
	// Ctrl+C quits and restores the terminal.
	h.in.Write([]byte{0x03})
	if err := h.wait(t); err != nil {
		t.Fatalf("run: %v", err)
	}
	if out := h.scr.String(); !strings.HasSuffix(out, "\x1b[?2004l\x1b[?25h\x1b[?1049l") {
		t.Fatalf("terminal not restored at exit: %q", out[max(0, len(out)-40):])
	}
}

func TestResizeRepaints(t *testing.T) {
	h := start(t, echo{})
	h.scr.waitFor(t, "size 40x5")
	h.resize <- Size{60, 10}
	h.scr.waitFor(t, "size 60x10")
	h.in.Write([]byte{0x03})
	h.wait(t)
}

func TestPasteAndEscape(t *testing.T) {
	h := start(t, echo{})
	h.scr.waitFor(t, "size")
	h.in.Write([]byte("\x1b[200~one\rtwo\x1b[201~"))
	h.scr.waitFor(t, "paste one|two")
	// A lone ESC is a key press once the escape timeout passes.
	h.in.Write([]byte{0x1b})
	h.scr.waitFor(t, "key esc")
	// An escape sequence split over two reads is one key.
	h.in.Write([]byte("\x1b["))
	h.in.Write([]byte("A"))
	h.scr.waitFor(t, "key up")
	h.in.Write([]byte{0x03})
	h.wait(t)
	if strings.Contains(h.scr.String(), "key [") {
		t.Fatal("split escape sequence decoded as separate keys")
	}
}

func TestRawAndBell(t *testing.T) {
	h := start(t, echo{})
	h.scr.waitFor(t, "size")
	h.in.Write([]byte("b"))
	h.scr.waitFor(t, "\a")
	h.in.Write([]byte{0x03})
	h.wait(t)
}

func TestPanicsEndOnlyTheSession(t *testing.T) {
	for _, key := range []string{"!", "c"} {
		h := start(t, echo{})
		h.scr.waitFor(t, "size")
		h.in.Write([]byte(key))
		err := h.wait(t)
		if err == nil || !strings.Contains(err.Error(), "internal error") {
			t.Fatalf("key %q: err = %v, want internal error", key, err)
		}
		if !strings.HasSuffix(h.scr.String(), "\x1b[?1049l") {
			t.Fatalf("key %q: terminal not restored after panic", key)
		}
	}
}

func TestInputEOFEnds(t *testing.T) {
	h := start(t, echo{})
	h.scr.waitFor(t, "size")
	h.in.Close()
	if err := h.wait(t); err != nil && !errors.Is(err, io.EOF) {
		t.Fatalf("run: %v", err)
	}
	h.p.Send(setMsg("after end")) // must not block or panic
}

// blockingWriter never returns from Write until closed.
type blockingWriter struct{ closed chan struct{} }

func (w blockingWriter) Write(p []byte) (int, error) {
	<-w.closed
	return 0, errors.New("closed")
}

func TestStuckClientIsClosed(t *testing.T) {
	inR, inW := io.Pipe()
	defer inW.Close()
	bw := blockingWriter{closed: make(chan struct{})}
	var once sync.Once
	p := New(echo{}, Options{Input: inR, Output: bw, Size: Size{40, 5}, WriteTimeout: 50 * time.Millisecond, Logger: quiet(),
		Close: func(error) { once.Do(func() { close(bw.closed); inR.Close() }) }}, nil, same)
	errc := make(chan error, 1)
	go func() { errc <- p.Run(context.Background()) }()
	select {
	case err := <-errc:
		if err == nil {
			t.Fatal("stuck client: run returned nil")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("stuck client was not closed")
	}
}

// FuzzInput feeds arbitrary bytes to the input decoder: it must never panic,
// and whatever it makes of them goes to the model as ordinary messages.
func FuzzInput(f *testing.F) {
	for _, s := range []string{"x", "\x1b", "\x1b[A", "\x1b[200~paste\x1b[201~", "\x1b[<0;1;1M", "\x1b]11;rgb:0/0/0\x07", "\xff\xfe", "\x1b[1;5C"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p := New(sink{}, Options{Size: Size{20, 5}, Logger: quiet()}, nil, same)
		p.input = append(p.input, in...)
		p.scan(false)
		p.scan(true)
		if p.escTmr != nil {
			p.escTmr.Stop()
		}
		if len(p.input) > maxInput {
			t.Fatalf("%d bytes left buffered", len(p.input))
		}
	})
}

// sink accepts every message and does nothing.
type sink struct{}

func (sink) Init() tea.Cmd                         { return nil }
func (s sink) Update(tea.Msg) (tea.Model, tea.Cmd) { return s, nil }
func (sink) View() tea.View                        { return tea.NewView("") }

// slowCmd is a model whose key "s" starts a command that runs until
// release is closed; ctrl+c quits at once.
type slowCmd struct {
	started chan struct{}
	release chan struct{}
	ended   *bool
}

func (m slowCmd) Init() tea.Cmd { return nil }
func (m slowCmd) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch k.String() {
		case "ctrl+c":
			return m, tea.Quit
		case "s":
			return m, func() tea.Msg {
				close(m.started)
				<-m.release
				*m.ended = true
				return nil
			}
		}
	}
	return m, nil
}
func (m slowCmd) View() tea.View { return tea.NewView("slow") }

// TestWaitCommandsOutlivesTheProgram: after the program ended, a command
// still running is waited for, so that what it uses is not released under
// it.
func TestWaitCommandsOutlivesTheProgram(t *testing.T) {
	ended := false
	m := slowCmd{started: make(chan struct{}), release: make(chan struct{}), ended: &ended}
	h := start(t, m)
	h.scr.waitFor(t, "slow")
	h.in.Write([]byte("s"))
	<-m.started
	h.in.Write([]byte{3}) // ctrl+c
	if err := h.wait(t); err != nil {
		t.Fatalf("run: %v", err)
	}
	waited := make(chan struct{})
	go func() { h.p.WaitCommands(); close(waited) }()
	select {
	case <-waited:
		t.Fatal("WaitCommands returned while a command was still running")
	case <-time.After(100 * time.Millisecond):
	}
	close(m.release)
	select {
	case <-waited:
	case <-time.After(5 * time.Second):
		t.Fatal("WaitCommands did not return once the command ended")
	}
	if !ended {
		t.Fatal("WaitCommands returned before the command's end")
	}
}
