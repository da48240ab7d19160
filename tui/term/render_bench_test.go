package term

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
)

// Benchmarks of producing one frame's bytes, for frames shaped like the
// chat's: a list on the left, the conversation on the right, styled in
// truecolor as lipgloss renders it.
//
//	go test -run '^$' -bench 'Frame' -benchmem -count 3 ./tui/term/

// chatFrames is a model whose view is a chat screen w×h; each frameMsg
// adds a two-line message at the bottom of the conversation, moving the
// older ones up.
type chatFrames struct {
	w, h   int
	n      int      // messages so far
	frames []string // built in advance: the view costs nothing
}

type frameMsg struct{}

func (m *chatFrames) Init() tea.Cmd { return nil }

func (m *chatFrames) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	if _, ok := msg.(frameMsg); ok {
		m.n++
	}
	return m, nil
}

const (
	sgrText  = "\x1b[38;2;208;208;208m"
	sgrMuted = "\x1b[38;2;138;138;138m"
	sgrOwn   = "\x1b[1;38;2;95;175;215m"
	sgrRule  = "\x1b[38;2;78;78;78m"
	sgrHead  = "\x1b[1;38;2;28;28;28;48;2;95;175;215m"
	sgrReset = "\x1b[m"
)

func (m *chatFrames) View() tea.View {
	v := tea.NewView(m.frames[m.n%len(m.frames)])
	v.Cursor = tea.NewCursor(2, m.h-2)
	return v
}

// frame is the screen after n messages.
func (m *chatFrames) frame(n int) string {
	lw := 25
	rw := m.w - lw - 1
	pad := func(s string, w int) string { return s + strings.Repeat(" ", max(0, w-len(s))) }
	lines := []string{sgrHead + pad(" Parley  Alice Example · ALICE001", m.w) + sgrReset}
	body := m.h - 4
	for i := range body {
		list := sgrMuted + pad(fmt.Sprintf("  Friend number %d", i/2), lw) + sgrReset
		// Message k takes rows 2k and 2k+1, counted from the newest.
		k := n - (body-1-i)/2
		var right string
		if (body-1-i)%2 == 1 {
			right = " " + sgrMuted + "09:00" + sgrReset + " " + sgrOwn + "Bob Builder" + sgrReset +
				strings.Repeat(" ", rw-18)
		} else {
			text := fmt.Sprintf("message %d: see you at the gym at nine, and bring the rope", k)
			right = "       " + sgrText + text + sgrReset + " " + sgrMuted + "✓✓ read" + sgrReset
			right += strings.Repeat(" ", max(0, rw-7-len(text)-8))
		}
		lines = append(lines, list+sgrRule+"│"+sgrReset+right)
	}
	lines = append(lines, sgrRule+strings.Repeat("─", m.w)+sgrReset, "› ", "enter send • tab chats • ^c quit")
	return strings.Join(lines, "\n")
}

func benchProgram(w, h int, profile colorprofile.Profile) *Program[Size] {
	m := &chatFrames{w: w, h: h}
	for n := range 64 {
		m.frames = append(m.frames, m.frame(n))
	}
	p := New[Size](m, Options{Input: strings.NewReader(""), Output: io.Discard, Size: Size{w, h}, Profile: profile,
		Logger: slog.New(slog.DiscardHandler)}, nil, nil)
	p.apply(tea.WindowSizeMsg{Width: w, Height: h})
	if err := p.render(); err != nil {
		panic(err)
	}
	return p
}

var benchSizes = [][2]int{{100, 30}, {200, 50}}

// BenchmarkFrameNewMessage is the frame after one new message arrived:
// most of the conversation's rows moved up.
func BenchmarkFrameNewMessage(b *testing.B) {
	for _, prof := range []colorprofile.Profile{colorprofile.TrueColor, colorprofile.ANSI256} {
		for _, sz := range benchSizes {
			b.Run(fmt.Sprintf("%s/%dx%d", prof, sz[0], sz[1]), func(b *testing.B) {
				p := benchProgram(sz[0], sz[1], prof)
				b.ReportAllocs()
				for b.Loop() {
					p.apply(frameMsg{})
					if err := p.render(); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkFrameIdle is a frame when nothing changed.
func BenchmarkFrameIdle(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			p := benchProgram(sz[0], sz[1], colorprofile.TrueColor)
			b.ReportAllocs()
			for b.Loop() {
				if err := p.render(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
