package main

import (
	"slices"
	"strings"
	"testing"
)

// allowed is every package's allowlist: the module's packages it may
// import (exactly) and the third-party modules it may import from (an
// entry allows the path and everything under it). The standard library
// is not listed. A package or an import not listed fails
// TestEveryPackageHasAnAllowlist: add it here in the same change, where a
// reviewer sees the layout change (DESIGN.md, "Package layout").
var allowed = map[string][]string{
	"cmd/parley":                   {"cmd/parley/internal/flagfile", "crypto", "server/admin", "server/backup", "server/blobs", "server/directory", "server/groups", "server/hosted", "server/httpapi", "server/lifecycle", "server/logctx", "server/metrics", "server/policy", "server/relay", "server/sshd", "store", "tui/bench", "tui/local", "github.com/charmbracelet/x", "github.com/spf13/cobra", "github.com/spf13/pflag", "golang.org/x/crypto/ssh"},
	"cmd/parley/internal/flagfile": {"github.com/BurntSushi/toml", "github.com/spf13/pflag"},
	"crypto":                       {"golang.org/x/crypto/argon2", "golang.org/x/crypto/chacha20poly1305", "golang.org/x/crypto/curve25519", "golang.org/x/crypto/hkdf", "golang.org/x/crypto/nacl"},
	"server/admin":                 {"crypto", "server/audit", "server/auth", "server/csvcell", "server/directory", "server/policy", "server/quiet", "store", "github.com/pquerna/otp"},
	"server/apijson":               {"server/admin", "server/audit", "server/directory", "server/policy", "store"},
	"server/audit":                 {"store"},
	"server/auth":                  {"crypto", "store"},
	"server/backup":                {"server/blobs", "store"},
	"server/blobs":                 {"crypto", "server/auth", "server/policy", "store"},
	"server/csvcell":               {},
	"server/directory":             {"crypto", "server/audit", "server/policy", "store", "golang.org/x/text"},
	"server/groups":                {"crypto", "server/auth", "server/policy", "server/relay", "store"},
	"server/hosted":                {"crypto", "server/audit", "server/auth", "server/blobs", "server/directory", "server/groups", "server/policy", "server/quiet", "server/relay", "store", "tui/core"},
	"server/httpapi":               {"crypto", "server/admin", "server/apijson", "server/audit", "server/auth", "server/directory", "server/logctx", "server/netsrc", "server/policy", "store", "golang.org/x/time"},
	"server/lifecycle":             {},
	"server/logctx":                {},
	"server/metrics":               {"github.com/prometheus/client_golang"},
	"server/netsrc":                {},
	"server/policy":                {"crypto", "server/csvcell", "server/quiet", "store"},
	"server/proto":                 {},
	"server/quiet":                 {},
	"server/relay":                 {"crypto", "server/auth", "server/policy", "store", "golang.org/x/time"},
	"server/sshd":                  {"crypto", "server/admin", "server/apijson", "server/audit", "server/auth", "server/backup", "server/blobs", "server/directory", "server/groups", "server/hosted", "server/logctx", "server/netsrc", "server/policy", "server/proto", "server/quiet", "server/relay", "store", "tui/admin", "tui/chat", "tui/core", "tui/qr", "tui/term", "tui/theme", "charm.land/bubbletea", "charm.land/ssh", "charm.land/wish", "github.com/charmbracelet/colorprofile", "github.com/pkg/sftp", "github.com/spf13/cobra", "golang.org/x/crypto/ssh"},
	"store":                        {"crypto", "go.etcd.io/bbolt"},
	"tui/admin":                    {"crypto", "tui/theme", "charm.land/bubbles", "charm.land/bubbletea", "charm.land/lipgloss", "github.com/charmbracelet/x"},
	"tui/bench":                    {"crypto", "tui/core", "tui/local/remote", "golang.org/x/crypto/ssh"},
	"tui/chat":                     {"crypto", "tui/core", "tui/qr", "tui/theme", "charm.land/bubbles", "charm.land/bubbletea", "charm.land/lipgloss", "github.com/anmitsu/go-shlex", "github.com/charmbracelet/x"},
	"tui/core":                     {"crypto", "golang.org/x/crypto/argon2"},
	"tui/local":                    {"crypto", "tui/chat", "tui/core", "tui/local/device", "tui/local/dial", "tui/local/remote", "tui/theme", "charm.land/bubbletea", "github.com/charmbracelet/x", "golang.org/x/crypto/ssh"},
	"tui/local/device":             {"crypto", "store", "tui/core"},
	"tui/local/dial":               {"github.com/kevinburke/ssh_config", "golang.org/x/crypto/ssh"},
	"tui/local/remote":             {"crypto", "server/proto", "tui/core"},
	"tui/qr":                       {"github.com/boombuler/barcode"},
	"tui/term":                     {"charm.land/bubbletea", "github.com/charmbracelet/colorprofile", "github.com/charmbracelet/ultraviolet", "github.com/charmbracelet/x"},
	"tui/theme":                    {"charm.land/bubbles", "charm.land/lipgloss"},
}

// TestEveryPackageHasAnAllowlist checks each package's imports against
// its entry in allowed, and that allowed names no package that is gone.
func TestEveryPackageHasAnAllowlist(t *testing.T) {
	seen := map[string]bool{}
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, mod)
		if rel == "cmd/parley/e2e" {
			continue // tests only: it drives the binary
		}
		seen[rel] = true
		allow, ok := allowed[rel]
		if !ok {
			t.Errorf("%s has no allowlist: add it to allowed in layout_test.go", rel)
			continue
		}
		for _, imp := range p.Imports {
			if internal, ok := strings.CutPrefix(imp, mod); ok {
				if !slices.Contains(allow, internal) {
					t.Errorf("%s imports %s, which its allowlist does not name", rel, internal)
				}
				continue
			}
			if !strings.Contains(strings.Split(imp, "/")[0], ".") {
				continue // the standard library
			}
			if !slices.ContainsFunc(allow, func(a string) bool { return imp == a || strings.HasPrefix(imp, a+"/") }) {
				t.Errorf("%s imports %s, which its allowlist does not name", rel, imp)
			}
		}
	}
	for rel := range allowed {
		if !seen[rel] {
			t.Errorf("allowed names %s, which is no package of the module", rel)
		}
	}
}
