package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestReadAuthorizedKeys(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := "# admins\n\nssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq2Y5kz8b0wkxXMh7S1k8UeGlWtGLP9TfR0Zl7HmeX7 admin@example\n"
	keys, err := readAuthorizedKeys(write("good", good))
	if err != nil || len(keys) != 1 {
		t.Fatalf("good file: %d keys, %v", len(keys), err)
	}
	for name, c := range map[string]struct{ path, want string }{
		"missing":  {filepath.Join(dir, "nope"), "no such file"},
		"garbage":  {write("garbage", "# ok\nnot a key at all\n"), "line 2: not an OpenSSH public key"},
		"empty":    {write("empty", "# nothing\n\n"), "no public key in the file"},
		"private":  {write("private", "-----BEGIN OPENSSH PRIVATE KEY-----\n"), "line 1"},
		"a folder": {dir, "--bootstrap-admin-key"},
	} {
		if _, err := readAuthorizedKeys(c.path); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", name, err, c.want)
		}
	}
}

// TestServeRefusesBadSettings checks that serve fails at once, with an
// error naming the setting, and leaves no database behind.
func TestServeRefusesBadSettings(t *testing.T) {
	dir := t.TempDir()
	base := serveConfig{Data: filepath.Join(dir, "data"), SSHListen: "127.0.0.1:0", HTTPListen: "127.0.0.1:0",
		LogFormat: "text", LogLevel: "info", KDFMemoryMiB: 8, KDFTime: 1, IdleTimeout: time.Hour, MaxSessions: 10, ShutdownTimeout: 5 * time.Second}
	for name, c := range map[string]struct {
		mod  func(*serveConfig)
		want string
	}{
		"admin key file": {func(c *serveConfig) { c.BootstrapAdmin = filepath.Join(dir, "missing.pub") }, "--bootstrap-admin-key"},
		"ssh address":    {func(c *serveConfig) { c.SSHListen = "not an address" }, "--ssh-listen"},
		"http address":   {func(c *serveConfig) { c.HTTPListen = "127.0.0.1:99999" }, "--http-listen"},
		"log format":     {func(c *serveConfig) { c.LogFormat = "xml" }, "--log-format"},
		"log level":      {func(c *serveConfig) { c.LogLevel = "loud" }, "--log-level"},
		"kdf memory":     {func(c *serveConfig) { c.KDFMemoryMiB = 5000000 }, "--kdf-memory"},
		"kdf time":       {func(c *serveConfig) { c.KDFTime = 0 }, "--kdf"},
		"quota ceiling":  {func(c *serveConfig) { c.MaxQuotaMiB = -1 }, "--max-quota-mib"},
	} {
		cfg := base
		c.mod(&cfg)
		err := serve(context.Background(), cfg, nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to name %s", name, err, c.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "parley.db")); err == nil {
		t.Error("a refused start created a database")
	}
}

func TestBindEnv(t *testing.T) {
	cmd := serveCmd()
	t.Setenv("PARLEY_SSH_LISTEN", "127.0.0.1:2022")
	t.Setenv("PARLEY_MAX_SESSIONS", "many")
	if err := cmd.Flags().Parse([]string{"--data", "/tmp/x"}); err != nil {
		t.Fatal(err)
	}
	err := bindEnv(cmd.Flags())
	if err == nil || !strings.Contains(err.Error(), "PARLEY_MAX_SESSIONS") {
		t.Fatalf("bad env value: err = %v", err)
	}
	if got := cmd.Flags().Lookup("ssh-listen").Value.String(); got != "127.0.0.1:2022" {
		t.Fatalf("ssh-listen from env = %q", got)
	}
	t.Setenv("PARLEY_DATA", "/from/env")
	_ = bindEnv(cmd.Flags())
	if got := cmd.Flags().Lookup("data").Value.String(); got != "/tmp/x" {
		t.Fatalf("a flag on the command line lost to the environment: %q", got)
	}
}
