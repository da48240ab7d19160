package chat

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// Files from and to the user's own disk. A client that runs on the user's
// machine (local mode) gives the chat a FileAccess, and /send and /save
// read and write the user's files; a hosted session has none — the
// server's disk is not the user's — and files go through scp there.

// FileAccess is the user's file system, as a local client gives it.
type FileAccess interface {
	// Open opens the file at path for sending: its reader, its size and
	// the name to send it under.
	Open(path string) (r io.ReadCloser, size int64, name string, err error)
	// Create makes a new file for a received file called name, where
	// the user keeps downloads, and says where it is.
	Create(name string) (w io.WriteCloser, where string, err error)
}

// FileService is what /send and /save need from the client core.
type FileService interface {
	SendFile(ctx context.Context, ref core.ConvRef, name, mimeType string, r io.Reader, size int64) (core.Message, error)
	OpenFile(ctx context.Context, id crypto.MessageID, w io.Writer) (core.FileInfo, error)
}

var _ FileService = (*core.Core)(nil)

func (m *Model) fileSvc() FileService {
	if m.o.Files == nil {
		return nil
	}
	f, _ := m.o.Service.(FileService)
	return f
}

// fileDoneMsg answers /send and /save.
type fileDoneMsg struct {
	info string
	err  error
}

// sendFileCommand is /send PATH: the file at PATH to the open conversation.
func (m *Model) sendFileCommand(arg string) (tea.Cmd, bool) {
	if arg == "" {
		m.setError("Usage: /send <path of a file on this machine>")
		return nil, false
	}
	if m.open.IsZero() {
		m.setError("No conversation open: /open one, then /send the file.")
		return nil, false
	}
	svc, files, ctx, ref := m.fileSvc(), m.o.Files, m.o.Context, m.open
	path := strings.Trim(arg, `"'`)
	return func() tea.Msg {
		r, size, name, err := files.Open(path)
		if err != nil {
			return fileDoneMsg{err: fmt.Errorf("file not sent: %w", err)}
		}
		defer func() { _ = r.Close() }()
		if _, err := svc.SendFile(ctx, ref, name, "", r, size); err != nil {
			return fileDoneMsg{err: fmt.Errorf("%s not sent: %w", name, err)}
		}
		return fileDoneMsg{info: fmt.Sprintf("Sent %s (%s).", name, sizeText(size))}
	}, true
}

// saveCommand is /save [N]: the newest file of the open conversation, or
// the Nth newest, into the user's downloads.
func (m *Model) saveCommand(arg string) (tea.Cmd, bool) {
	n := 1
	if arg != "" {
		v, err := strconv.Atoi(arg)
		if err != nil || v < 1 {
			m.setError("Usage: /save [N]: the newest file of this conversation, or the Nth newest")
			return nil, false
		}
		n = v
	}
	var pick *core.Message
	for i := len(m.msgs) - 1; i >= 0 && pick == nil; i-- {
		if msg := m.msgs[i]; msg.Kind == core.KindFile && msg.File != nil && !msg.Deleted {
			if n--; n == 0 {
				pick = &m.msgs[i]
			}
		}
	}
	if pick == nil {
		m.setError("No such file in this conversation.")
		return nil, false
	}
	svc, files, ctx, id, name := m.fileSvc(), m.o.Files, m.o.Context, pick.ID, pick.File.Name
	return func() tea.Msg {
		w, where, err := files.Create(name)
		if err != nil {
			return fileDoneMsg{err: fmt.Errorf("%s not saved: %w", name, err)}
		}
		f, err := svc.OpenFile(ctx, id, w)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fileDoneMsg{err: fmt.Errorf("%s not saved: %w", name, err)}
		}
		return fileDoneMsg{info: fmt.Sprintf("Saved %s (%s) to %s.", f.Name, sizeText(f.Size), where)}
	}, true
}

func sizeText(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}
