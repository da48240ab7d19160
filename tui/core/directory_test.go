package core

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/parley-chat/parley/crypto"
)

// dFakeDirectory is a Directory that records what it was asked.
type dFakeDirectory struct {
	entries []DirectoryEntry
	who     WhoamiInfo
	err     error
	query   string
	limit   int
}

func (d *dFakeDirectory) Find(_ context.Context, query string, limit int) ([]DirectoryEntry, error) {
	d.query, d.limit = query, limit
	return d.entries, d.err
}

func (d *dFakeDirectory) Whoami(context.Context) (WhoamiInfo, error) { return d.who, d.err }

func TestDirectoryAbsent(t *testing.T) {
	c := New(Config{})
	if _, err := c.Find(t.Context(), "anna"); !errors.Is(err, ErrNoDirectory) {
		t.Errorf("Find without a Directory = %v, want ErrNoDirectory", err)
	}
	if _, err := c.Whoami(t.Context()); !errors.Is(err, ErrNoDirectory) {
		t.Errorf("Whoami without a Directory = %v, want ErrNoDirectory", err)
	}
}

func TestDirectoryFindAndWhoami(t *testing.T) {
	d := &dFakeDirectory{who: WhoamiInfo{ID: crypto.ID([]byte("ANNA0001")), Name: "Anna"}}
	for i := range FindLimit + 3 { // a Directory that ignores the limit
		d.entries = append(d.entries, DirectoryEntry{Name: fmt.Sprintf("user %d", i)})
	}
	c := New(Config{Directory: d})
	got, err := c.Find(t.Context(), "*mül*")
	if err != nil {
		t.Fatal(err)
	}
	if d.query != "*mül*" || d.limit != FindLimit {
		t.Errorf("asked Find(%q, %d), want (%q, %d)", d.query, d.limit, "*mül*", FindLimit)
	}
	if len(got) != FindLimit {
		t.Errorf("Find returned %d entries, want at most FindLimit (%d)", len(got), FindLimit)
	}
	who, err := c.Whoami(t.Context())
	if err != nil || who.Name != "Anna" {
		t.Errorf("Whoami = %+v, %v; want Anna", who, err)
	}
	// Refusals reach the caller as they are, for the user to read.
	d.err = errors.New("your organisation does not allow you to use the directory (policy th_disable_work_directory)")
	if _, err := c.Find(t.Context(), "anna"); !errors.Is(err, d.err) {
		t.Errorf("Find = %v, want the directory's error", err)
	}
	if _, err := c.Whoami(t.Context()); !errors.Is(err, d.err) {
		t.Errorf("Whoami = %v, want the directory's error", err)
	}
}
