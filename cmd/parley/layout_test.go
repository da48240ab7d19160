package main

import (
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

type pkg struct {
	ImportPath string
	Doc        string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []pkg {
	t.Helper()
	// The test cache tracks files a test opens or stats, not what go list
	// reads: stat every Go file so a change anywhere reruns this test.
	_ = filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			_, _ = os.Stat(path)
		}
		return nil
	})
	out, err := exec.Command("go", "list", "-json", "github.com/parley-chat/parley/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []pkg
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for dec.More() {
		var p pkg
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

const mod = "github.com/parley-chat/parley/"

// TestDependenciesStayInTheirRoom enforces the layout of DESIGN.md: each
// heavy dependency is imported by the one package that owns it, and the
// client side and the core services stay free of storage and SSH.
func TestDependenciesStayInTheirRoom(t *testing.T) {
	for _, p := range listPackages(t) {
		rel := strings.TrimPrefix(p.ImportPath, mod)
		for _, imp := range p.Imports {
			switch {
			case strings.HasPrefix(imp, "go.etcd.io/bbolt") && rel != "store":
				t.Errorf("%s imports %s: only store may", rel, imp)
			case strings.HasPrefix(imp, "golang.org/x/crypto/nacl") && rel != "crypto":
				t.Errorf("%s imports %s: only crypto may", rel, imp)
			case strings.HasPrefix(imp, "github.com/pion/") && !strings.HasPrefix(rel, "calls"):
				t.Errorf("%s imports %s: only calls may", rel, imp)
			}
		}
		if rel == "crypto" {
			for _, imp := range p.Imports {
				if slices.Contains([]string{"os", "net", "net/http", "io/fs"}, imp) {
					t.Errorf("crypto imports %s: crypto does no I/O", imp)
				}
			}
		}
		banned := func(prefixes ...string) {
			for _, d := range p.Deps {
				for _, b := range prefixes {
					if d == b || strings.HasPrefix(d, b+"/") {
						t.Errorf("%s depends on %s", rel, d)
					}
				}
			}
		}
		// The local client and the load generator are the client side
		// too, but they connect over SSH and keep a device store: they
		// may use golang.org/x/crypto/ssh, the store and the wire
		// protocol (server/proto), and nothing else of the server.
		clientSide := strings.HasPrefix(rel, "tui/local") || strings.HasPrefix(rel, "tui/bench")
		switch {
		case clientSide:
			banned("charm.land/ssh", "charm.land/wish/v2")
			for _, d := range p.Deps {
				if strings.HasPrefix(d, mod+"server/") && d != mod+"server/proto" {
					t.Errorf("%s depends on %s: the client side uses only the server's wire protocol", rel, d)
				}
			}
			if !strings.HasPrefix(rel, "tui/local/device") && slices.Contains(p.Imports, mod+"store") {
				t.Errorf("%s imports store: only tui/local/device keeps the local device store", rel)
			}
		case strings.HasPrefix(rel, "tui"):
			banned("go.etcd.io/bbolt", mod+"store", mod+"server", "charm.land/ssh", "charm.land/wish/v2", "golang.org/x/crypto/ssh")
		case rel == "server/relay" || rel == "server/directory" || rel == "server/admin":
			banned("charm.land/ssh", "charm.land/wish/v2", "charm.land/bubbletea/v2", "charm.land/lipgloss/v2", "golang.org/x/crypto/ssh", "net/http")
		}
		if rel == "tui/core" {
			banned("charm.land/bubbletea/v2", "charm.land/lipgloss/v2", "charm.land/bubbles/v2")
		}
	}
}

// TestEveryPackageIsDocumented requires a package doc saying what each is.
func TestEveryPackageIsDocumented(t *testing.T) {
	for _, p := range listPackages(t) {
		if strings.TrimSpace(p.Doc) == "" {
			t.Errorf("%s has no package doc", p.ImportPath)
		}
	}
}
