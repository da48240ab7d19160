package chat

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/synctest"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// The fake core sends and opens files: SendFile records, OpenFile writes
// the file's text.
func (f *fakeService) SendFile(_ context.Context, ref core.ConvRef, name, _ string, r io.Reader, size int64) (core.Message, error) {
	b, _ := io.ReadAll(r)
	f.record("SendFile %s %s %d %q", ref.Peer, name, size, b)
	return core.Message{}, nil
}

func (f *fakeService) OpenFile(_ context.Context, id crypto.MessageID, w io.Writer) (core.FileInfo, error) {
	f.record("OpenFile")
	_, err := io.WriteString(w, "the minutes")
	return core.FileInfo{Name: "minutes.txt", Size: 11}, err
}

// fakeDisk is a FileAccess in memory.
type fakeDisk struct {
	files map[string]string
	saved map[string]*bytes.Buffer
}

func (d *fakeDisk) Open(path string) (io.ReadCloser, int64, string, error) {
	s, ok := d.files[path]
	if !ok {
		return nil, 0, "", errors.New("no such file")
	}
	return io.NopCloser(strings.NewReader(s)), int64(len(s)), path[strings.LastIndexByte(path, '/')+1:], nil
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

func (d *fakeDisk) Create(name string) (io.WriteCloser, string, error) {
	b := &bytes.Buffer{}
	d.saved[name] = b
	return nopWriteCloser{b}, "/home/ada/Downloads/" + name, nil
}

// TestSendAndSaveFilesInLocalMode: with the user's disk (local mode),
// /send sends the file at a path to the open conversation and /save
// writes the newest file into the downloads; /more lists both. Without
// it (hosted), neither is listed and both are refused.
func TestSendAndSaveFilesInLocalMode(t *testing.T) {
	synctest.Test(t, sendAndSave)
}

func sendAndSave(t *testing.T) {
	svc := threeChats()
	svc.addConv(core.Conversation{Ref: core.Direct(mustID("ERINERIN")), Name: "Erin"},
		core.Message{Kind: core.KindFile, File: &core.FileInfo{Name: "minutes.txt", Size: 11}, Time: at(15, 12, 0)})
	disk := &fakeDisk{files: map[string]string{"/home/ada/report.txt": "quarterly"}, saved: map[string]*bytes.Buffer{}}
	d := newDriver(t, svc, func(o *Options) { o.Files = disk })
	d.unlock()
	d.enter("/more")
	d.wantScreen("/send <path>")
	d.press(tea.KeyEscape)
	d.enter("/open Erin")
	d.svc.takeCalls()
	d.enter("/send /home/ada/report.txt")
	if got := strings.Join(d.svc.takeCalls(), "\n"); !strings.Contains(got, `SendFile ERINERIN report.txt 9 "quarterly"`) {
		t.Fatalf("calls after /send: %s", got)
	}
	if s := d.statusText(); !strings.Contains(s, "Sent report.txt (9 bytes)") {
		t.Fatalf("status after /send: %q", s)
	}
	d.enter("/save")
	if b := disk.saved["minutes.txt"]; b == nil || b.String() != "the minutes" {
		t.Fatalf("saved: %v", disk.saved)
	}
	if s := d.statusText(); !strings.Contains(s, "Saved minutes.txt (11 bytes) to /home/ada/Downloads/minutes.txt") {
		t.Fatalf("status after /save: %q", s)
	}
	d.enter("/send /nowhere")
	if s := d.statusText(); !strings.Contains(s, "file not sent: no such file") {
		t.Fatalf("status after /send of a missing file: %q", s)
	}

	hosted := newDriver(t, threeChats())
	hosted.unlock()
	hosted.enter("/send /etc/passwd")
	if s := hosted.statusText(); !strings.Contains(s, "not available in this session") {
		t.Fatalf("/send in a hosted session: %q", s)
	}
}

func TestFileAndLocationHints(t *testing.T) {
	f := core.Message{ID: crypto.MessageID{1}, File: &core.FileInfo{Name: "a.pdf", Size: 2048}}
	hosted := New(Options{Service: newFakeService(), SCPHost: "-P 2222 chat.example.com"})
	if got := hosted.messageText(f); !strings.Contains(got, "fetch: scp -P 2222 chat.example.com:inbox/") {
		t.Errorf("hosted file hint: %q", got)
	}
	local := New(Options{Service: newFakeService(), Files: &fakeDisk{}})
	if got := local.messageText(f); !strings.Contains(got, "/save keeps it") {
		t.Errorf("local file hint: %q", got)
	}
	loc := core.Message{Location: &crypto.Location{Lat: 47.37689, Lon: 8.54169, Label: "HQ"}}
	if got := hosted.messageText(loc); !strings.Contains(got, "https://www.openstreetmap.org/?mlat=47.37689&mlon=8.54169#map=16/47.37689/8.54169") {
		t.Errorf("location: %q", got)
	}
}
