package admin

import (
	"testing"
	"time"
)

func TestSudoWindows(t *testing.T) {
	var w sudoWindows
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	if w.isOpen("SHA256:a", now) {
		t.Fatal("a window open before any proof")
	}
	w.open("SHA256:a", now.Add(10*time.Minute))
	if !w.isOpen("SHA256:a", now.Add(9*time.Minute)) || w.isOpen("SHA256:b", now) {
		t.Fatal("the window is not the proving key's alone")
	}
	if w.isOpen("SHA256:a", now.Add(10*time.Minute)) {
		t.Fatal("the window outlived its end")
	}
	w.open("SHA256:a", now.Add(10*time.Minute))
	if !w.close("SHA256:a", now) || w.isOpen("SHA256:a", now) || w.close("SHA256:a", now) {
		t.Fatal("logout did not end the window, or reported one twice")
	}
}
