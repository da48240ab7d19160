// Package csvcell makes CSV cells safe to open in a spreadsheet and reads
// them back: a cell that starts like a formula (=, +, -, @, tab, carriage
// return), or like such a cell behind apostrophes, gets one more leading
// apostrophe on export, which import removes again, so an export
// round-trips through an import unchanged. It knows nothing
// of what the cells hold.
package csvcell

import "strings"

// formulaStart are the first characters that make a spreadsheet read a
// cell as a formula.
const formulaStart = "=+-@\t\r"

// needsGuard reports whether a cell starts like a formula, or like a
// guarded cell (so that a value that really starts with an apostrophe
// survives the round trip).
func needsGuard(s string) bool {
	for s != "" && s[0] == '\'' {
		s = s[1:]
	}
	return s != "" && strings.ContainsRune(formulaStart, rune(s[0]))
}

// Guard defuses a cell a spreadsheet would run as a formula.
func Guard(s string) string {
	if needsGuard(s) {
		return "'" + s
	}
	return s
}

// Unguard undoes Guard.
func Unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && needsGuard(s[1:]) {
		return s[1:]
	}
	return s
}
