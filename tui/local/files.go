package local

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// disk is the user's file system for /send and /save: files are read from
// where the user points, and saved into their downloads folder
// ($XDG_DOWNLOAD_DIR, else ~/Downloads if it exists, else the working
// directory), never over an existing file.
type disk struct{ home string }

func (d disk) expand(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok && d.home != "" {
		return filepath.Join(d.home, rest)
	}
	return p
}

func (d disk) Open(path string) (io.ReadCloser, int64, string, error) {
	path = d.expand(path)
	f, err := os.Open(path)
	if err != nil {
		return nil, 0, "", err
	}
	st, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return nil, 0, "", err
	}
	if !st.Mode().IsRegular() {
		_ = f.Close()
		return nil, 0, "", fmt.Errorf("%s is not a file", path)
	}
	return f, st.Size(), filepath.Base(path), nil
}

// downloads is where received files go.
func (d disk) downloads() string {
	if x := os.Getenv("XDG_DOWNLOAD_DIR"); filepath.IsAbs(x) {
		return x
	}
	if d.home != "" {
		if st, err := os.Stat(filepath.Join(d.home, "Downloads")); err == nil && st.IsDir() {
			return filepath.Join(d.home, "Downloads")
		}
	}
	if wd, err := os.Getwd(); err == nil {
		return wd
	}
	return "."
}

func (d disk) Create(name string) (io.WriteCloser, string, error) {
	// The name comes from the sender: only its last element, never a path.
	name = filepath.Base(filepath.Clean("/" + strings.ReplaceAll(name, "\\", "/")))
	if name == "/" || name == "." || name == ".." || name == "" {
		name = "file"
	}
	dir := d.downloads()
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	for i := 0; i < 1000; i++ {
		try := name
		if i > 0 {
			try = fmt.Sprintf("%s (%d)%s", stem, i, ext)
		}
		where := filepath.Join(dir, try)
		f, err := os.OpenFile(where, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, "", err
		}
		return f, where, nil
	}
	return nil, "", fmt.Errorf("too many files called %s in %s", name, dir)
}
