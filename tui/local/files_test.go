package local

import (
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestDiskSavesIntoDownloadsNeverOverAFile(t *testing.T) {
	home := t.TempDir()
	t.Setenv("XDG_DOWNLOAD_DIR", "")
	if err := os.Mkdir(filepath.Join(home, "Downloads"), 0o700); err != nil {
		t.Fatal(err)
	}
	d := disk{home: home}
	for i, name := range []string{"report.pdf", "report.pdf", "../../etc/passwd", `..\..\boot.ini`, ".."} {
		w, where, err := d.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, "x")
		_ = w.Close()
		if filepath.Dir(where) != filepath.Join(home, "Downloads") {
			t.Errorf("%q saved to %s: outside the downloads", name, where)
		}
		if i == 1 && filepath.Base(where) != "report (1).pdf" {
			t.Errorf("a second report.pdf saved as %s", where)
		}
	}
	if err := os.WriteFile(filepath.Join(home, "notes.txt"), []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	r, size, name, err := d.Open("~/notes.txt")
	if err != nil || size != 5 || name != "notes.txt" {
		t.Fatalf("open ~/notes.txt: %v %d %q", err, size, name)
	}
	_ = r.Close()
	if _, _, _, err := d.Open(home); err == nil {
		t.Fatal("a directory was opened as a file")
	}
}
