// Package theme holds every colour and style of Parley's terminal UI, built
// from a few semantic tokens once per session. Screens ask the theme for a
// style by its role (Header, Muted, Error, Own, …) and never name a colour.
//
// There are two themes, for dark and for light terminal backgrounds
// (Named); both take a tenant's accent colour. A theme never paints the
// background: the terminal's own stays.
package theme

import (
	"fmt"
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
	// OnWarning is text drawn on the warning colour (unread counts); nil:
	// a near-black.
	OnWarning color.Color
	Success   color.Color
	Info      color.Color
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

// LightTokens are the tokens for light terminal backgrounds: darker,
// saturated colours that keep their contrast on white or cream.
func LightTokens() Tokens {
	return Tokens{
		Accent:   lipgloss.Color("#005F87"),
		OnAccent: lipgloss.Color("#F5F5F5"),
		Text:     lipgloss.Color("#1C1C1C"),
		Muted:    lipgloss.Color("#6C6C6C"),
		Subtle:   lipgloss.Color("#A8A8A8"),
		Error:    lipgloss.Color("#AF0000"),
		Warning:  lipgloss.Color("#AF5F00"),
		// Unread counts: light text on the dark orange.
		OnWarning: lipgloss.Color("#FFFFFF"),
		Success:   lipgloss.Color("#00875F"),
		Info:      lipgloss.Color("#005FD7"),
	}
}

// Theme names, as the user's preferences store them.
const (
	Dark  = "dark"
	Light = "light"
)

// Theme is the set of styles of one session.
type Theme struct {
	// Name is Dark or Light; "" for a theme built from custom tokens.
	Name string
	// Accent is the tenant's accent colour the theme was built with
	// ("#RRGGBB"), "" for Parley's own: switching themes keeps it.
	Accent string
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
	// Match marks the text a search found; reverse video, so it shows
	// without colours too.
	Match lipgloss.Style
	// Trust levels of a contact's key, as in Threema: red unverified,
	// orange known to the directory, green verified in person, blue a
	// member of the user's own organisation.
	TrustUnverified lipgloss.Style
	TrustDirectory  lipgloss.Style
	TrustVerified   lipgloss.Style
	TrustInternal   lipgloss.Style
	Help            help.Styles
}

// New builds a theme from tokens.
func New(t Tokens) *Theme {
	s := lipgloss.NewStyle
	on := t.OnAccent
	if on == nil {
		on = lipgloss.Color("#1C1C1C")
	}
	onWarning := t.OnWarning
	if onWarning == nil {
		onWarning = lipgloss.Color("#1C1C1C")
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
		Badge:     s().Foreground(onWarning).Background(t.Warning).Bold(true),
		Own:       s().Foreground(t.Accent).Bold(true),
		Peer:      s().Foreground(t.Success).Bold(true),
		Error:     s().Foreground(t.Error),
		Warning:   s().Foreground(t.Warning),
		Success:   s().Foreground(t.Success),
		Info:      s().Foreground(t.Info),
		Prompt:    s().Foreground(t.Accent).Bold(true),
		StateRead: s().Foreground(t.Info),
		Dialog:    s().Border(lipgloss.RoundedBorder()).BorderForeground(t.Accent).Padding(1, 3),
		Match:     s().Reverse(true),

		TrustUnverified: s().Foreground(t.Error).Bold(true),
		TrustDirectory:  s().Foreground(t.Warning).Bold(true),
		TrustVerified:   s().Foreground(t.Success).Bold(true),
		TrustInternal:   s().Foreground(t.Info).Bold(true),
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
func Default() *Theme { return Named(Dark, "") }

// WithAccent returns the tokens with a brand accent colour given as
// "#RRGGBB" (a tenant's branding), and text on it dark or light, whichever
// reads better. An empty or malformed colour leaves the tokens as they are.
func (t Tokens) WithAccent(hex string) Tokens {
	r, g, b, ok := parseHex(hex)
	if !ok {
		return t
	}
	t.Accent = lipgloss.Color(hex)
	t.OnAccent = lipgloss.Color("#1C1C1C")
	if brightness(r, g, b) < 140 { // a dark accent takes light text
		t.OnAccent = lipgloss.Color("#F5F5F5")
	}
	return t
}

// Branded returns the dark theme in a tenant's accent colour ("#RRGGBB";
// empty: Parley's own).
func Branded(accent string) *Theme { return Named(Dark, accent) }

// Named returns the theme called name, Dark or Light (anything else is
// Dark), in a tenant's accent colour ("#RRGGBB"; empty or malformed:
// Parley's own). On the light theme an accent too pale to read as text on
// a light background is darkened.
func Named(name, accent string) *Theme {
	tk, shown := DarkTokens(), accent
	if name == Light {
		tk, shown = LightTokens(), readableOnLight(accent)
	} else {
		name = Dark
	}
	th := New(tk.WithAccent(shown))
	th.Name = name
	if _, _, _, ok := parseHex(accent); ok {
		th.Accent = accent
	}
	return th
}

// readableOnLight darkens a "#RRGGBB" colour until its perceived
// brightness is at most 110 of 255, so text in it reads on white. Other
// input comes back as it is.
func readableOnLight(hex string) string {
	r, g, b, ok := parseHex(hex)
	if !ok {
		return hex
	}
	const limit = 110
	if y := brightness(r, g, b); y > limit {
		f := limit / y
		return fmt.Sprintf("#%02X%02X%02X", int(r*f), int(g*f), int(b*f))
	}
	return hex
}

// parseHex reads "#RRGGBB".
func parseHex(hex string) (r, g, b float64, ok bool) {
	if len(hex) != 7 || hex[0] != '#' {
		return 0, 0, 0, false
	}
	rgb, err := strconv.ParseUint(hex[1:], 16, 32)
	if err != nil {
		return 0, 0, 0, false
	}
	return float64(rgb >> 16 & 0xff), float64(rgb >> 8 & 0xff), float64(rgb & 0xff), true
}

// brightness is the perceived brightness of a colour, 0 to 255.
func brightness(r, g, b float64) float64 { return 0.299*r + 0.587*g + 0.114*b }
