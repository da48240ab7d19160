package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestReadmeQuickStart runs the commands of the README's quick start as
// printed (issue 17, item 5), so the docs cannot drift from the product.
// What it changes: the port (2222, the default, is whatever the kernel
// gave the test server), `go run ./cmd/parley` (the binary built for the
// tests), the placeholders (CODE, <ID>, <message-id>), ssh-keygen's
// passphrase prompt (-N ""), and a ~/.ssh/config that trusts the test
// server's host key. Each user has a HOME of their own, with their key as
// ~/.ssh/id_ed25519, as on their own machine.
func TestReadmeQuickStart(t *testing.T) {
	need(t, "ssh", "scp", "ssh-keygen", "tmux")
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	section := string(readme)
	section = section[strings.Index(section, "## Quick start"):strings.Index(section, "## Administration")]
	var cmds []string
	for _, l := range strings.Split(section, "\n") {
		l = strings.TrimSpace(l)
		if i := strings.Index(l, "  #"); i > 0 {
			l = strings.TrimSpace(l[:i]) // a comment after the command
		}
		for _, p := range []string{"ssh-keygen ", "ssh ", "scp ", "go run ./cmd/parley "} {
			if strings.HasPrefix(l, p) {
				cmds = append(cmds, l)
			}
		}
	}
	want := []string{"ssh-keygen", "go run ./cmd/parley serve", "tenant create", "user create", "activate CODE",
		"ssh -t -p 2222 localhost", "scp -P 2222 report.pdf", "localhost files", "localhost:inbox/", "chat --activate", "chat localhost:2222"}
	for i, w := range want {
		if i >= len(cmds) || !strings.Contains(cmds[i], w) {
			t.Fatalf("the quick start's commands changed (want %q at %d): %q", w, i, cmds)
		}
	}

	root := t.TempDir()
	home := func(name string) string {
		h := filepath.Join(root, name)
		if err := os.MkdirAll(filepath.Join(h, ".ssh"), 0o700); err != nil {
			t.Fatal(err)
		}
		cfg := "Host localhost\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  BatchMode yes\n" +
			"  IdentityFile " + filepath.Join(h, ".ssh", "id_ed25519") + "\n"
		if err := os.WriteFile(filepath.Join(h, ".ssh", "config"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		return h
	}
	// OpenSSH finds ~/.ssh through the password database, not $HOME: a
	// wrapper first on PATH points ssh (and scp's ssh) at each HOME's
	// config, the printed command unchanged.
	bin := filepath.Join(root, "bin")
	realSSH, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	wrapper := "#!/bin/sh\nexec " + realSSH + " -F \"$HOME/.ssh/config\" \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	realSCP, err := exec.LookPath("scp")
	if err != nil {
		t.Fatal(err)
	}
	// scp runs /usr/bin/ssh, not the one on PATH: tell it which.
	scpWrapper := "#!/bin/sh\nexec " + realSCP + " -S " + filepath.Join(bin, "ssh") + " \"$@\"\n"
	if err := os.WriteFile(filepath.Join(bin, "scp"), []byte(scpWrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	path := bin + string(os.PathListSeparator) + os.Getenv("PATH")
	admin, ada, bob := home("admin"), home("ada"), home("bob")
	var port string
	sh := func(h, stdin, line string) string {
		t.Helper()
		line = strings.ReplaceAll(line, "go run ./cmd/parley", binary)
		if port != "" {
			line = strings.ReplaceAll(line, "2222", port)
		}
		cmd := exec.Command("sh", "-c", line)
		cmd.Env = append(os.Environ(), "HOME="+h, "SSH_AUTH_SOCK=", "PATH="+path)
		cmd.Dir = h
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		return string(out)
	}
	keygen := func(h, file string) {
		t.Helper()
		sh(h, "", strings.Replace(cmds[0], "~/.ssh/parley_admin", file, 1)+` -N "" -q`)
	}
	keygen(admin, "~/.ssh/parley_admin")
	keygen(ada, "~/.ssh/id_ed25519")
	keygen(bob, "~/.ssh/id_ed25519")

	// serve, with the flags of the quick start (the key path expanded).
	serveArgs := strings.Fields(strings.TrimPrefix(cmds[1], "go run ./cmd/parley serve "))
	for i, a := range serveArgs {
		serveArgs[i] = strings.Replace(a, "~", admin, 1)
	}
	srv := startServer(t, filepath.Join(root, "data"), serveArgs...)
	port = srv.sshPort

	sh(admin, "", cmds[2])
	code := regexp.MustCompile(`[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{4}`)
	idRE := regexp.MustCompile(`Parley ID:\s+([A-Z0-9]{8})`)
	created := sh(admin, "", cmds[3])
	adaCode, adaID := code.FindString(created), idRE.FindStringSubmatch(created)
	bobOut := sh(admin, "", strings.Replace(cmds[3], "Ada Lovelace", "Bob Baker", 1))
	bobCode, bobID := code.FindString(bobOut), idRE.FindStringSubmatch(bobOut)
	cyOut := sh(admin, "", strings.Replace(cmds[3], "Ada Lovelace", "Cy Local", 1))
	cyCode := code.FindString(cyOut)
	if adaCode == "" || bobCode == "" || cyCode == "" || adaID == nil || bobID == nil {
		t.Fatalf("user create printed no code or ID:\n%s\n%s", created, bobOut)
	}
	// activate, the passphrase as the first line of standard input.
	if out := sh(ada, "ada's passphrase\n", strings.Replace(cmds[4], "CODE", adaCode, 1)); !strings.Contains(out, "Parley ID") {
		t.Fatalf("activate: %s", out)
	}
	sh(bob, "bob's passphrase\n", strings.Replace(cmds[4], "CODE", bobCode, 1))

	// The chat, in a terminal: Ada's stays open, so scp and files work.
	x := newTmux(t)
	start := func(name, h, line string) {
		line = strings.ReplaceAll(strings.ReplaceAll(line, "go run ./cmd/parley", binary), "2222", port)
		x.start(name, 100, 30, append([]string{"env", "HOME=" + h, "SSH_AUTH_SOCK=", "PATH=" + path}, strings.Fields(line)...)...)
	}
	start("ada", ada, cmds[5])
	x.waitFor("ada", "Passphrase")
	x.line("ada", "ada's passphrase")
	x.waitFor("ada", "Welcome to Parley")
	start("bob", bob, cmds[5])
	x.waitFor("bob", "Passphrase")
	x.line("bob", "bob's passphrase")
	x.waitFor("bob", "Welcome to Parley")

	// Files: Ada sends report.pdf to Bob; Bob lists and fetches it.
	_, reportBytes := writeRandom(t, ada, "report.pdf", 20<<10) // in Ada's working directory
	sh(ada, "", strings.Replace(cmds[6], "<ID>", bobID[1], 1))
	files := sh(bob, "", cmds[7])
	mid := regexp.MustCompile(`(?m)^([0-9a-f]{16})\s+Ada Lovelace`).FindStringSubmatch(files)
	if mid == nil {
		t.Fatalf("files:\n%s", files)
	}
	sh(bob, "", strings.Replace(cmds[8], "<message-id>", mid[1], 1))
	if b, err := os.ReadFile(filepath.Join(bob, "report.pdf")); err != nil || string(b) != string(reportBytes) {
		t.Fatalf("bob's report.pdf: %d bytes, %v", len(b), err)
	}

	// Local mode: a third user enrols and chats from their own machine.
	cy := home("cy")
	keygen(cy, "~/.ssh/id_ed25519")
	if err := os.Remove(filepath.Join(cy, ".ssh", "config")); err != nil { // parley chat asks about the host key itself
		t.Fatal(err)
	}
	start("cy-enrol", cy, strings.Replace(cmds[9], "CODE", cyCode, 1))
	x.waitFor("cy-enrol", "can't be established")
	x.line("cy-enrol", "yes")
	x.waitFor("cy-enrol", "New passphrase")
	x.line("cy-enrol", "cy's passphrase")
	x.waitFor("cy-enrol", "same passphrase again")
	x.line("cy-enrol", "cy's passphrase")
	x.waitFor("cy-enrol", "Enrolled as Cy Local")
	start("cy", cy, cmds[10])
	x.waitFor("cy", "Passphrase")
	x.line("cy", "cy's passphrase")
	x.waitFor("cy", "Welcome to Parley")
}
