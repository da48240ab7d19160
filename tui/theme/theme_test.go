package theme

import (
	"image/color"
	"testing"

	"charm.land/lipgloss/v2"
)

func hexOf(c color.Color) string {
	r, g, b, _ := c.RGBA()
	return rgbHex(r>>8, g>>8, b>>8)
}

func rgbHex(r, g, b uint32) string {
	const digits = "0123456789ABCDEF"
	out := []byte{'#'}
	for _, v := range []uint32{r, g, b} {
		out = append(out, digits[v>>4], digits[v&0xf])
	}
	return string(out)
}

func sameColor(a, b color.Color) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	ar, ag, ab, aa := a.RGBA()
	br, bg, bb, ba := b.RGBA()
	return ar == br && ag == bg && ab == bb && aa == ba
}

func TestNamed(t *testing.T) {
	cases := []struct {
		name, accent string
		wantName     string
		wantTokens   Tokens
		wantAccent   string
	}{
		{Dark, "", Dark, DarkTokens(), ""},
		{Light, "", Light, LightTokens(), ""},
		{"", "", Dark, DarkTokens(), ""},
		{"solarized", "", Dark, DarkTokens(), ""},
		{Light, "not-a-colour", Light, LightTokens(), ""},
		{Dark, "#AA0000", Dark, DarkTokens().WithAccent("#AA0000"), "#AA0000"},
		{Light, "#AA0000", Light, LightTokens().WithAccent("#AA0000"), "#AA0000"},
	}
	for _, c := range cases {
		th := Named(c.name, c.accent)
		if th.Name != c.wantName {
			t.Errorf("Named(%q, %q).Name = %q, want %q", c.name, c.accent, th.Name, c.wantName)
		}
		if th.Accent != c.wantAccent {
			t.Errorf("Named(%q, %q).Accent = %q, want %q", c.name, c.accent, th.Accent, c.wantAccent)
		}
		if !sameColor(th.Tokens.Accent, c.wantTokens.Accent) || !sameColor(th.Tokens.Text, c.wantTokens.Text) {
			t.Errorf("Named(%q, %q): accent %s text %s, want %s %s", c.name, c.accent,
				hexOf(th.Tokens.Accent), hexOf(th.Tokens.Text), hexOf(c.wantTokens.Accent), hexOf(c.wantTokens.Text))
		}
	}
}

// TestLightKeepsBrandReadable: a pale brand colour is darkened for text on
// a light background, the tenant's own colour is kept for switching back.
func TestLightKeepsBrandReadable(t *testing.T) {
	const pale = "#FFD700" // gold: unreadable as text on white
	th := Named(Light, pale)
	r, g, b, _ := th.Tokens.Accent.RGBA()
	if y := brightness(float64(r>>8), float64(g>>8), float64(b>>8)); y > 111 {
		t.Errorf("light accent brightness = %.0f, want <= 110", y)
	}
	if th.Accent != pale {
		t.Errorf("Accent = %q, want %q", th.Accent, pale)
	}
	back := Named(Dark, th.Accent)
	if !sameColor(back.Tokens.Accent, lipgloss.Color(pale)) {
		t.Errorf("dark again: accent %s, want %s", hexOf(back.Tokens.Accent), pale)
	}
	// A dark brand colour is left as it is.
	if got := readableOnLight("#003366"); got != "#003366" {
		t.Errorf("readableOnLight(#003366) = %q, want it unchanged", got)
	}
	if got := readableOnLight("garbage"); got != "garbage" {
		t.Errorf("readableOnLight(garbage) = %q, want it unchanged", got)
	}
}

func TestBrandedIsDark(t *testing.T) {
	for _, accent := range []string{"", "#123456", "#FFFFFF"} {
		a, b := Branded(accent), Named(Dark, accent)
		if a.Name != Dark || !sameColor(a.Tokens.Accent, b.Tokens.Accent) || !sameColor(a.Tokens.OnAccent, b.Tokens.OnAccent) {
			t.Errorf("Branded(%q) differs from Named(Dark, %q)", accent, accent)
		}
	}
	if d := Default(); d.Name != Dark || d.Accent != "" {
		t.Errorf("Default() = %q/%q, want dark without accent", d.Name, d.Accent)
	}
}

// TestLightContrast checks that text colours of the light theme are dark
// enough to read on a white background, and the dark theme's light enough
// on black.
func TestLightContrast(t *testing.T) {
	lum := func(c color.Color) float64 {
		r, g, b, _ := c.RGBA()
		return brightness(float64(r>>8), float64(g>>8), float64(b>>8))
	}
	lt := LightTokens()
	for name, c := range map[string]color.Color{"Accent": lt.Accent, "Text": lt.Text, "Muted": lt.Muted,
		"Error": lt.Error, "Warning": lt.Warning, "Success": lt.Success, "Info": lt.Info} {
		if y := lum(c); y > 130 {
			t.Errorf("light %s brightness = %.0f, want <= 130 (readable on white)", name, y)
		}
	}
	dt := DarkTokens()
	for name, c := range map[string]color.Color{"Accent": dt.Accent, "Text": dt.Text, "Muted": dt.Muted,
		"Error": dt.Error, "Warning": dt.Warning, "Success": dt.Success, "Info": dt.Info} {
		if y := lum(c); y < 110 {
			t.Errorf("dark %s brightness = %.0f, want >= 110 (readable on black)", name, y)
		}
	}
}
