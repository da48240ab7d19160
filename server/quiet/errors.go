package quiet

import (
	"errors"
	"fmt"
)

// ErrInvalid is what every error of Parse and ParseValue wraps: test for it
// with errors.Is.
var ErrInvalid = errors.New("invalid quiet hours")

// Error is a schedule or zone that Parse refuses. Its text says what is
// wrong and, for the schedule, where.
type Error struct {
	// Column is the position in the schedule text, counted in characters
	// from 1; 0 when the error is not at one place (the zone).
	Column int
	// Msg says what is wrong.
	Msg string
}

func (e *Error) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("column %d: %s", e.Column, e.Msg)
	}
	return e.Msg
}

// Is makes errors.Is(err, ErrInvalid) true.
func (e *Error) Is(target error) bool { return target == ErrInvalid }

// clip shortens input quoted back in an error.
func clip(s string) string {
	if r := []rune(s); len(r) > 40 {
		return string(r[:40]) + "…"
	}
	return s
}
