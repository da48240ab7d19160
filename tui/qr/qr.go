package qr

import (
	"fmt"
	"image/color"
	"strings"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/qr"
)

// Quiet is the light margin around the code, in modules. The standard asks
// for four; two keep an otpauth URL's code within 24 terminal rows, and
// phone cameras read it well against the explicit white background.
const Quiet = 2

// Colours: black modules on a white background, from the fixed part of
// the 256-colour palette (16 is #000000, 231 is #ffffff), so that a
// terminal's theme changes neither. Dark modules are drawn with the
// foreground colour; light modules are the background.
const (
	colours = "\x1b[38;5;16;48;5;231m"
	reset   = "\x1b[0m"
)

// Render draws text as a QR code (error correction level L: a screen is
// not a crumpled label) in lines of Unicode half blocks, each wrapped in
// its own colour sequence and reset, ending in a newline. A character
// holds two modules, one above the other: ' ' both light, '▀' the upper
// dark, '▄' the lower dark, '█' both dark.
func Render(text string) (string, error) {
	code, err := qr.Encode(text, qr.L, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("qr code: %w", err)
	}
	return draw(code), nil
}

// dark reports whether the module at x, y (counted from the outer corner
// of the quiet zone) is dark.
func dark(code barcode.Barcode, size, x, y int) bool {
	x, y = x-Quiet, y-Quiet
	if x < 0 || y < 0 || x >= size || y >= size {
		return false
	}
	return isDark(code.At(x, y))
}

// isDark reports whether a module's colour is dark.
func isDark(c color.Color) bool {
	g, _ := color.GrayModel.Convert(c).(color.Gray)
	return g.Y < 0x80
}

func draw(code barcode.Barcode) string {
	size := code.Bounds().Dx()
	total := size + 2*Quiet
	var b strings.Builder
	for y := 0; y < total; y += 2 {
		b.WriteString(colours)
		for x := 0; x < total; x++ {
			top, bottom := dark(code, size, x, y), dark(code, size, x, y+1)
			switch {
			case top && bottom:
				b.WriteString("█")
			case top:
				b.WriteString("▀")
			case bottom:
				b.WriteString("▄")
			default:
				b.WriteByte(' ')
			}
		}
		b.WriteString(reset)
		b.WriteByte('\n')
	}
	return b.String()
}
