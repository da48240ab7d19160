package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// guideCommand is a command the user guide shows, and the error it shows
// it answering with (the text of an "error: " line right after it, up to
// its first digit), if any.
type guideCommand struct {
	line, fails string
}

// userGuideCommands returns the commands the user guide shows in its
// code blocks — lines that start with ssh or scp (after an optional "$ "),
// and commands a printed answer names after "with:" — without their
// trailing comments; and every `parley chat …` it names in its prose.
func userGuideCommands(t *testing.T) (shell []guideCommand, chat []string) {
	t.Helper()
	b, err := os.ReadFile("../../../docs/user-guide.md")
	if err != nil {
		t.Fatal(err)
	}
	in := false
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "```") {
			in = !in
			continue
		}
		if !in {
			for _, m := range regexp.MustCompile("`(parley chat [^`]*)`").FindAllStringSubmatch(l, -1) {
				chat = append(chat, m[1])
			}
			continue
		}
		l = strings.TrimSpace(l)
		if e, ok := strings.CutPrefix(l, "error: "); ok && len(shell) > 0 && shell[len(shell)-1].fails == "" {
			if i := strings.IndexAny(e, "0123456789"); i > 0 {
				e = e[:i]
			}
			shell[len(shell)-1].fails = e
			continue
		}
		if i := strings.Index(l, "with: "); i >= 0 {
			l = strings.TrimSpace(l[i+len("with: "):])
		}
		l = strings.TrimPrefix(l, "$ ")
		if i := strings.Index(l, "  #"); i > 0 {
			l = strings.TrimSpace(l[:i])
		}
		if strings.HasPrefix(l, "ssh ") || strings.HasPrefix(l, "scp ") {
			shell = append(shell, guideCommand{line: l})
		}
	}
	return shell, chat
}

// TestUserGuideCommands (issue 17, item 5): every ssh and scp command the
// user guide shows runs as printed against a real server — the guide's
// host names resolved through an ssh config, its example IDs, files and
// port replaced with real ones — and every `parley chat` command it names
// uses flags parley chat has.
func TestUserGuideCommands(t *testing.T) {
	need(t, "ssh", "scp")
	shell, chat := userGuideCommands(t)
	if len(shell) < 15 || len(chat) < 5 {
		t.Fatalf("found %d shell and %d parley chat commands in the user guide: the parser lost them", len(shell), len(chat))
	}

	// parley chat: each flag named is one the command has.
	help, err := exec.Command(binary, "chat", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("parley chat --help: %v\n%s", err, help)
	}
	for _, c := range chat {
		for _, f := range regexp.MustCompile(`(?:^|\s)(--?[a-z][a-z-]*)`).FindAllStringSubmatch(c, -1) {
			if !regexp.MustCompile(`(?m)(^|\s|, )` + regexp.QuoteMeta(f[1]) + `[ ,]`).Match(help) {
				t.Errorf("the user guide shows %q, but parley chat has no %s", c, f[1])
			}
		}
	}

	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	home := t.TempDir()
	if err := os.MkdirAll(filepath.Join(home, ".ssh"), 0o700); err != nil {
		t.Fatal(err)
	}
	adaKey := newKey(t, filepath.Join(home, ".ssh"), "id_ed25519")
	bobKey := f.key("bob")
	ada := f.createUser("acme", "--name", "Ada Lovelace")
	bob := f.activeUser("acme", []key{bobKey}, "--name", "Bob Baker")
	f.createUser("acme", "--name", "Anna Berlin", "--tag", "berlin")
	var sales groupOut
	f.json(&sales, "group", "create", "--tenant", "acme", "Sales", "Team")
	port := f.srv.sshPort
	cfg := "Host chat.example.com\n  HostName 127.0.0.1\n  Port " + port + "\n  IdentityFile " + adaKey.path + "\n" +
		"Host parley.example.com\n  HostName 127.0.0.1\n  IdentityFile " + f.root.path + "\n" +
		"Host *\n  IdentitiesOnly yes\n  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n  BatchMode yes\n"
	if err := os.WriteFile(filepath.Join(home, ".ssh", "config"), []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	// OpenSSH reads ~/.ssh from the password database, not $HOME: wrappers
	// first on PATH point ssh and scp at this config.
	bin := filepath.Join(home, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	realSSH, _ := exec.LookPath("ssh")
	realSCP, _ := exec.LookPath("scp")
	for name, body := range map[string]string{
		"ssh": "exec " + realSSH + " -F \"$HOME/.ssh/config\" \"$@\"\n",
		"scp": "exec " + realSCP + " -S " + filepath.Join(bin, "ssh") + " \"$@\"\n",
	} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\n"+body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range []string{"report.pdf", "minutes.docx", "draft-v7.pdf", "photo.jpg"} {
		writeRandom(t, home, name, 3000)
	}
	// The guide's too-large file, against a limit of 1 MiB.
	f.run("policy", "set", "--tenant", "acme", "parley_max_attachment_mib", "1")
	writeRandom(t, home, "backup.iso", 2<<20)
	for _, d := range []string{"Documents", ".config/parley"} {
		if err := os.MkdirAll(filepath.Join(home, d), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(home, ".config/parley/passphrase"), []byte("ada's passphrase\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	var inbox string
	run := func(c guideCommand) string {
		t.Helper()
		line := c.line
		stdin := ""
		switch {
		case strings.Contains(line, " activate "):
			line = strings.Replace(line, "ABCD-EFGH-JKMN-PQRS", ada.ActivationCode, 1)
			stdin = "ada's passphrase\n"
		case strings.HasSuffix(line, " unlock") || strings.Contains(line, " unlock --json"):
			stdin = "ada's passphrase\n"
		}
		line = strings.ReplaceAll(line, "K7ZP4Q2M", bob.ID)
		line = strings.ReplaceAll(line, "3f2a9c0d11e4b7a5", inbox)
		line = strings.ReplaceAll(line, "2222", port)
		cmd := exec.Command("sh", "-c", line)
		cmd.Env = append(os.Environ(), "HOME="+home, "SSH_AUTH_SOCK=", "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"))
		cmd.Dir = home
		cmd.Stdin = strings.NewReader(stdin)
		out, err := cmd.CombinedOutput()
		// The server names itself by its public host and port (here the
		// test's), where the guide writes chat.example.com.
		fails := strings.ReplaceAll(c.fails, "ssh chat.example.com", "ssh -p "+port+" 127.0.0.1")
		switch {
		case fails != "" && (err == nil || !strings.Contains(string(out), fails)):
			t.Errorf("the user guide shows %q refused with %q; it answers (%v):\n%s", line, fails, err, out)
		case c.fails == "" && err != nil:
			t.Errorf("the user guide's %q fails: %v\n%s", line, err, out)
		}
		return string(out)
	}

	// In the order a user meets them: enrol, then the rest. Ada joins the
	// group the guide sends to, and Bob sends her a file to fetch.
	var rest []guideCommand
	for _, c := range shell {
		if strings.Contains(c.line, " activate ") {
			run(c)
		} else {
			rest = append(rest, c)
		}
	}
	run(guideCommand{line: "ssh chat.example.com unlock"}) // as the guide says, before scp and files
	f.run("group", "add", "--tenant", "acme", sales.ID, ada.ID, bob.ID)
	f.srv.mustSSH(bobKey, "the passphrase\n", "unlock")
	writeRandom(t, f.keys, "q3.pdf", 2000)
	f.srv.mustSCP(bobKey, filepath.Join(f.keys, "q3.pdf"), "127.0.0.1:@"+ada.ID)
	files := f.srv.mustSSH(adaKey, "", "files")
	m := regexp.MustCompile(`(?m)^([0-9a-f]{16})\s`).FindStringSubmatch(files)
	if m == nil {
		t.Fatalf("files shows no message ID:\n%s", files)
	}
	inbox = m[1]
	// The refusals the guide shows need their state first.
	states := map[string][2]func(){
		"Locked: ": {
			func() { run(guideCommand{line: "ssh chat.example.com lock"}) },
			func() { run(guideCommand{line: "ssh chat.example.com unlock"}) },
		},
		"th_disable_work_directory": {
			func() { f.run("policy", "set", "--tenant", "acme", "th_disable_work_directory", "true") },
			func() { f.run("policy", "unset", "--tenant", "acme", "th_disable_work_directory") },
		},
	}
	for _, c := range rest {
		if strings.HasPrefix(c.line, "ssh -t ") && len(strings.Fields(c.line)) == 3 {
			continue // the interactive chat: TestWalkingSkeleton and the README test run it
		}
		if strings.HasSuffix(c.line, " lock") {
			continue // run last: it would end the unlock the others need
		}
		var undo func()
		for marker, st := range states {
			if strings.Contains(c.fails, marker) {
				st[0]()
				undo = st[1]
			}
		}
		run(c)
		if undo != nil {
			undo()
		}
	}
	run(guideCommand{line: "ssh chat.example.com lock"})
}
