package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"
)

// defaults are serve's settings with nothing set.
func defaults(t *testing.T) serveConfig {
	t.Helper()
	c, err := (&reloader{}).load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "parley.toml")
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestConfigPrecedence: defaults < file < PARLEY_* < command line.
func TestConfigPrecedence(t *testing.T) {
	path := writeFile(t, `ssh-listen = "127.0.0.1:1111"
http-listen = "127.0.0.1:1112"
max-sessions = 5
retention = "48h"
`)
	t.Setenv("PARLEY_HTTP_LISTEN", "127.0.0.1:2222")
	t.Setenv("PARLEY_MAX_SESSIONS", "6")
	rl := &reloader{path: path, cmdline: map[string]string{"max-sessions": "7"}}
	got, err := rl.load()
	if err != nil {
		t.Fatal(err)
	}
	want := defaults(t)
	want.SSHListen = "127.0.0.1:1111"  // the file
	want.HTTPListen = "127.0.0.1:2222" // the environment over the file
	want.MaxSessions = 7               // the command line over both
	want.Retention = 48 * time.Hour    // the file
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("settings (-want +got):\n%s", d)
	}
}

func TestConfigUnknownKey(t *testing.T) {
	path := writeFile(t, "ssh-listen = \":1\"\n# ok\nssh_listen = \":2\"\n")
	_, err := (&reloader{path: path}).load()
	if err == nil || !strings.Contains(err.Error(), `line 3: unknown key "ssh_listen"`) {
		t.Fatalf("err = %v, want it to name the key and its line", err)
	}
	path = writeFile(t, "config = \"another.toml\"\n")
	if _, err := (&reloader{path: path}).load(); err == nil || !strings.Contains(err.Error(), `unknown key "config"`) {
		t.Fatalf("a file naming a config file: err = %v", err)
	}
}

// TestConfigTemplate: `parley config init` names every flag of serve but
// --config, and its output loads back to the defaults.
func TestConfigTemplate(t *testing.T) {
	var out strings.Builder
	cmd := configCmd()
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"init"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	tmpl := out.String()
	serveCmd().Flags().VisitAll(func(fl *pflag.Flag) {
		has := strings.Contains(tmpl, "\n"+fl.Name+" = ")
		if has == (fl.Name == configFlag) {
			t.Errorf("flag --%s: in the template = %v", fl.Name, has)
		}
	})
	got, err := (&reloader{path: writeFile(t, tmpl)}).load()
	if err != nil {
		t.Fatalf("load the template: %v", err)
	}
	if d := cmp.Diff(defaults(t), got); d != "" {
		t.Fatalf("the template does not load to the defaults (-want +got):\n%s", d)
	}
	// --to writes a file, and never over an existing one.
	to := filepath.Join(t.TempDir(), "p.toml")
	cmd = configCmd()
	cmd.SetErr(&strings.Builder{})
	cmd.SetArgs([]string{"init", "--to", to})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(to); err != nil || string(b) != tmpl {
		t.Fatalf("--to wrote %d bytes (%v), want the template", len(b), err)
	}
	cmd = configCmd()
	cmd.SetArgs([]string{"init", "--to", to})
	if err := cmd.Execute(); err == nil {
		t.Fatal("config init overwrote an existing file")
	}
}

// TestConfigFileWrittenWhenMissing: serve --config on a missing file
// writes the template there; an existing file is left alone.
func TestConfigFileWrittenWhenMissing(t *testing.T) {
	rl := &reloader{path: filepath.Join(t.TempDir(), "new.toml")}
	wrote, err := rl.ensureFile()
	if err != nil || !wrote {
		t.Fatalf("ensureFile = %v, %v; want a new file", wrote, err)
	}
	if b, _ := os.ReadFile(rl.path); string(b) != string(serveTemplate()) {
		t.Fatal("the file written is not the template")
	}
	if wrote, err := rl.ensureFile(); wrote || err != nil {
		t.Fatalf("second ensureFile = %v, %v; want the file left alone", wrote, err)
	}
}
