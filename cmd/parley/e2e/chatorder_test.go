package e2e

import (
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// burstLines is how many lines the order tests type at once; the issue's
// figure, unless PARLEY_E2E_BURST sets another.
func burstLines(t *testing.T) int {
	if v := os.Getenv("PARLEY_E2E_BURST"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 2 || n > 9999 {
			t.Fatalf("PARLEY_E2E_BURST=%q: want 2 to 9999", v)
		}
		return n
	}
	return 1000
}

// burst types n numbered lines (tag0001, tag0002, …) into the window as
// fast as tmux can: one send-keys call, each line followed by Enter.
func burst(x *tmux, name, tag string, n int) {
	x.t.Helper()
	const chunk = 250 // lines per send-keys call, to keep the argument list short
	for from := 1; from <= n; from += chunk {
		args := []string{}
		for i := from; i < from+chunk && i <= n; i++ {
			args = append(args, fmt.Sprintf("%s%04d", tag, i), "Enter")
		}
		x.key(name, args...)
	}
}

// numbers lists the burst lines tag#### a screen shows, top to bottom. The
// chat list's column is left out: its preview repeats the newest line.
func numbers(scr, tag string) []int {
	var out []int
	for _, m := range regexp.MustCompile(regexp.QuoteMeta(tag)+`(\d{4})`).FindAllStringSubmatch(paneText(scr), -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

// wantConsecutive fails unless ns is a run k, k+1, k+2, ….
func wantConsecutive(t *testing.T, who string, ns []int, scr string) {
	t.Helper()
	for i := 1; i < len(ns); i++ {
		if ns[i] != ns[i-1]+1 {
			t.Fatalf("%s shows the lines out of order (%v):\n%s", who, ns, scr)
		}
	}
}

// settled captures the window once two captures 100 ms apart agree: a
// capture taken while the terminal is mid-repaint mixes two frames.
func settled(x *tmux, name string) string {
	x.t.Helper()
	prev := x.screen(name)
	for range 100 {
		time.Sleep(100 * time.Millisecond) // let a repaint finish
		scr := x.screen(name)
		if scr == prev {
			return scr
		}
		prev = scr
	}
	return prev
}

// waitLast waits until the window shows tag<n> as its newest burst line,
// and checks that what it shows is in order.
func waitLast(t *testing.T, x *tmux, name, tag string, n int) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	want := fmt.Sprintf("%s%04d", tag, n)
	for {
		scr := x.screen(name)
		// In the conversation, not the chat list's preview, which may
		// be drawn a frame before the pane.
		if strings.Contains(paneText(scr), want) {
			scr = settled(x, name)
			ns := numbers(scr, tag)
			wantConsecutive(t, name, ns, scr)
			if len(ns) < 5 || ns[len(ns)-1] != n {
				t.Fatalf("%s: the newest line is not %s:\n%s", name, want, scr)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: timed out waiting for %s:\n%s", name, want, scr)
		}
		time.Sleep(100 * time.Millisecond) // poll the terminal
	}
}

// wantHistory pages up through the open conversation from the newest
// line to tag0001 and checks that every line 1…n is there once, in order.
func wantHistory(t *testing.T, x *tmux, name, tag string, n int) {
	t.Helper()
	seen := map[int]bool{}
	scr := x.screen(name)
	ns := numbers(scr, tag)
	for pages := 0; ; pages++ {
		wantConsecutive(t, name, ns, scr)
		for _, k := range ns {
			seen[k] = true
		}
		if len(ns) > 0 && ns[0] == 1 {
			break
		}
		if pages > 4*n {
			t.Fatalf("%s: paging up never reached %s0001:\n%s", name, tag, scr)
		}
		top := n + 1
		if len(ns) > 0 {
			top = ns[0]
		}
		x.key(name, "PageUp")
		deadline := time.Now().Add(20 * time.Second)
		for {
			scr = x.screen(name)
			ns = numbers(scr, tag)
			if len(ns) > 0 && ns[0] < top {
				scr = settled(x, name)
				ns = numbers(scr, tag)
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: PageUp did not show older lines than %d:\n%s", name, top, scr)
			}
			time.Sleep(30 * time.Millisecond) // poll the terminal
		}
	}
	for k := 1; k <= n; k++ {
		if !seen[k] {
			t.Fatalf("%s: line %s%04d is missing from the history", name, tag, k)
		}
	}
}

// TestBurstArrivesInOrder: n lines typed as fast as tmux can type them
// arrive in the order written, on the sender's screen and the recipient's,
// live, after the recipient's session restarts, and after the server
// restarts; in a 1:1 chat and in a group of three.
func TestBurstArrivesInOrder(t *testing.T) {
	n := burstLines(t)
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	ann, bob, cat := f.key("ann"), f.key("bob"), f.key("cat")
	a := f.activeUser("acme", []key{ann}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bob}, "--name", "Bob Baker")
	c := f.activeUser("acme", []key{cat}, "--name", "Cat Cooper")
	x := f.x
	f.chat("ann", ann)
	f.chat("bob", bob)
	f.chat("cat", cat)

	// 1:1.
	x.line("ann", "/open "+b.ID)
	x.line("bob", "/open "+a.ID)
	x.waitFor("bob", "Ann Archer")
	burst(x, "ann", "d", n)
	waitLast(t, x, "ann", "d", n)
	waitLast(t, x, "bob", "d", n)

	// A group.
	x.line("ann", "/group create Burst "+b.ID+" "+c.ID)
	x.waitFor("ann", "Group Burst created")
	x.waitFor("bob", "# Burst")
	x.waitFor("cat", "# Burst")
	x.line("bob", "/open Burst")
	x.line("cat", "/open Burst")
	x.waitFor("cat", "Burst")
	burst(x, "ann", "g", n)
	waitLast(t, x, "ann", "g", n)
	waitLast(t, x, "bob", "g", n)
	waitLast(t, x, "cat", "g", n)

	// The recipient's history, in a new session.
	x.line("bob", "/quit")
	x.waitDead("bob")
	f.chat("bob2", bob)
	x.line("bob2", "/open "+a.ID)
	waitLast(t, x, "bob2", "d", n)
	wantHistory(t, x, "bob2", "d", n)

	// And after a restart of the server, both sides.
	f.srv.restart()
	for _, w := range []string{"ann", "bob2", "cat"} {
		x.waitDead(w)
	}
	f.chat("ann3", ann)
	f.chat("bob3", bob)
	x.line("ann3", "/open "+b.ID)
	waitLast(t, x, "ann3", "d", n)
	wantHistory(t, x, "ann3", "d", n)
	x.line("bob3", "/open Burst")
	waitLast(t, x, "bob3", "g", n)
	wantHistory(t, x, "bob3", "g", n)
}
