// Package theme holds every colour and style of Parley's terminal UI, built
// from a few semantic tokens once per session. Screens ask the theme for a
// style by its role (Header, Muted, Error, Own, …) and never name a colour.
package theme

import (
	"image/color"
	"strconv"

	"charm.land/bubbles/v2/help"
	"charm.land/lipgloss/v2"
)

// Tokens are the semantic colours a theme is built from.
type Tokens struct {
	Accent color.Color // brand colour: header, own name, selection
	// OnAccent is text drawn on the accent (the header, the selection);
	// nil: a near-black.
	OnAccent color.Color
	Text     color.Color
	Muted    color.Color // secondary text: times, hints, separators
	Subtle   color.Color // borders and rules
	Error    color.Color
	Warning  color.Color
	Success  color.Color
	Info     color.Color
}

// DarkTokens are the tokens for dark terminal backgrounds.
func DarkTokens() Tokens {
	return Tokens{
		Accent:  lipgloss.Color("#5FAFD7"),
		Text:    lipgloss.Color("#D0D0D0"),
		Muted:   lipgloss.Color("#8A8A8A"),
		Subtle:  lipgloss.Color("#4E4E4E"),
		Error:   lipgloss.Color("#FF5F5F"),
		Warning: lipgloss.Color("#FFAF5F"),
		Success: lipgloss.Color("#87D787"),
		Info:    lipgloss.Color("#87AFFF"),
	}
}

// Theme is the set of styles of one session.
type Theme struct {
	Tokens Tokens

	Header    lipgloss.Style // the top bar
	HeaderDim lipgloss.Style
	Title     lipgloss.Style // a pane's title
	Text      lipgloss.Style
	Muted     lipgloss.Style
	Rule      lipgloss.Style // separators
	Selected  lipgloss.Style // the selected row of a focused list
	Current   lipgloss.Style // the open conversation in the list
	Badge     lipgloss.Style // unread counts
	Own       lipgloss.Style // the user's own name in a conversation
	Peer      lipgloss.Style // other people's names
	Error     lipgloss.Style
	Warning   lipgloss.Style
	Success   lipgloss.Style
	Info      lipgloss.Style
	Prompt    lipgloss.Style
	StateRead lipgloss.Style
	Dialog    lipgloss.Style // a framed box (unlock screen, help)
	Help      help.Styles
}

// New builds a theme from tokens.
func New(t Tokens) *Theme {
	s := lipgloss.NewStyle
	on := t.OnAccent
	if on == nil {
		on = lipgloss.Color("#1C1C1C")
	}
	return &Theme{
		Tokens:    t,
		Header:    s().Foreground(on).Background(t.Accent).Bold(true),
		HeaderDim: s().Foreground(on).Background(t.Accent),
		Title:     s().Foreground(t.Accent).Bold(true),
		Text:      s().Foreground(t.Text),
		Muted:     s().Foreground(t.Muted),
		Rule:      s().Foreground(t.Subtle),
		Selected:  s().Foreground(on).Background(t.Accent),
		Current:   s().Foreground(t.Accent).Bold(true),
		Badge:     s().Foreground(lipgloss.Color("#1C1C1C")).Background(t.Warning).Bold(true),
		Own:       s().Foreground(t.Accent).Bold(true),
		Peer:      s().Foreground(t.Success).Bold(true),
		Error:     s().Foreground(t.Error),
		Warning:   s().Foreground(t.Warning),
		Success:   s().Foreground(t.Success),
		Info:      s().Foreground(t.Info),
		Prompt:    s().Foreground(t.Accent).Bold(true),
		StateRead: s().Foreground(t.Info),
		Dialog:    s().Border(lipgloss.RoundedBorder()).BorderForeground(t.Accent).Padding(1, 3),
		Help: help.Styles{
			ShortKey:       s().Foreground(t.Accent),
			ShortDesc:      s().Foreground(t.Muted),
			ShortSeparator: s().Foreground(t.Subtle),
			Ellipsis:       s().Foreground(t.Subtle),
			FullKey:        s().Foreground(t.Accent),
			FullDesc:       s().Foreground(t.Muted),
			FullSeparator:  s().Foreground(t.Subtle),
		},
	}
}

// Default returns the dark theme.
func Default() *Theme { return New(DarkTokens()) }

// WithAccent returns the tokens with a brand accent colour given as
// "#RRGGBB" (a tenant's branding), and text on it dark or light, whichever
// reads better. An empty or malformed colour leaves the tokens as they are.
func (t Tokens) WithAccent(hex string) Tokens {
	if len(hex) != 7 || hex[0] != '#' {
		return t
	}
	rgb, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return t
	}
	r, g, b := float64(rgb>>16&0xff), float64(rgb>>8&0xff), float64(rgb&0xff)
	t.Accent = lipgloss.Color(hex)
	t.OnAccent = lipgloss.Color("#1C1C1C")
	if 0.299*r+0.587*g+0.114*b < 140 { // perceived brightness: a dark accent takes light text
		t.OnAccent = lipgloss.Color("#F5F5F5")
	}
	return t
}

// Branded returns the dark theme in a tenant's accent colour ("#RRGGBB";
// empty: Parley's own).
func Branded(accent string) *Theme { return New(DarkTokens().WithAccent(accent)) }
