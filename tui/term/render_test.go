package term

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
)

// shown is a model showing whatever content holds.
type shown struct{ content *string }

func (m shown) Init() tea.Cmd                       { return nil }
func (m shown) Update(tea.Msg) (tea.Model, tea.Cmd) { return m, nil }
func (m shown) View() tea.View                      { return tea.NewView(*m.content) }

func renderProgram(t *testing.T, w, h int, prof colorprofile.Profile, content *string) (*Program[Size], *bytes.Buffer) {
	t.Helper()
	var out bytes.Buffer
	p := New[Size](shown{content}, Options{Input: strings.NewReader(""), Output: &out, Size: Size{w, h},
		Profile: prof, Logger: slog.New(slog.DiscardHandler)}, nil, nil)
	if err := p.render(); err != nil {
		t.Fatal(err)
	}
	return p, &out
}

// A line too wide for the terminal is cut wherever it goes: also when it
// only moved up a row, and its width is known from the last frame.
func TestRenderCutsMovedWideLine(t *testing.T) {
	wide := strings.Repeat("x", 15)
	content := "top\n" + wide + "\nbottom"
	p, out := renderProgram(t, 10, 3, colorprofile.TrueColor, &content)
	if got := out.String(); !strings.Contains(got, strings.Repeat("x", 10)+"\x1b[0m") || strings.Contains(got, strings.Repeat("x", 11)) {
		t.Fatalf("first frame %q: want the wide line cut to 10 cells", got)
	}
	out.Reset()
	content = wide + "\nbottom\nnew"
	if err := p.render(); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "\x1b[1;1H"+strings.Repeat("x", 10)+"\x1b[0m") || strings.Contains(got, strings.Repeat("x", 11)) {
		t.Errorf("second frame %q: want the moved line cut to 10 cells on row 1", got)
	}
	if !strings.Contains(got, "\x1b[2;1Hbottom") || !strings.Contains(got, "\x1b[3;1Hnew") {
		t.Errorf("second frame %q: want rows 2 and 3 rewritten", got)
	}
	// Lines that did not change are not written again.
	out.Reset()
	content = wide + "\nbottom\nnewer"
	if err := p.render(); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); strings.Contains(got, "1;1H") || strings.Contains(got, "2;1H") || !strings.Contains(got, "\x1b[3;1Hnewer") {
		t.Errorf("third frame %q: want only row 3", got)
	}
}

// Colours are converted to the terminal's profile also where a sequence
// straddles two of the chunks the output is written in.
func TestRenderConvertsAcrossChunks(t *testing.T) {
	for shift := range 24 {
		line := strings.Repeat("a", writeChunk-30+shift) + "\x1b[38;2;95;175;215mhello\x1b[m"
		content := line
		_, out := renderProgram(t, 5000, 1, colorprofile.ANSI256, &content)
		got := out.String()
		if strings.Contains(got, "38;2;") || !strings.Contains(got, "\x1b[38;5;74mhello") {
			t.Fatalf("shift %d: the colour was not converted: %q", shift, got[len(got)-80:])
		}
		if ansi.Strip(got) != strings.Repeat("a", writeChunk-30+shift)+"hello" {
			t.Fatalf("shift %d: the text changed: %q", shift, ansi.Strip(got))
		}
	}
}
