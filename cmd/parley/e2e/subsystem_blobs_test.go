package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/local/remote"
)

// sshChannel is the channel of `ssh -s host parley` as the real OpenSSH
// client gives it: frames on its standard output and input.
type sshChannel struct {
	io.Reader
	io.WriteCloser
}

// dialRemote opens the client protocol with the local client's own code
// (tui/local/remote) through the real OpenSSH client.
func dialRemote(t *testing.T, srv *server, k key) *remote.Conn {
	t.Helper()
	cmd, in, out := sshSubsystem(t, srv, k)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	c, err := remote.Open(ctx, sshChannel{out, in}, "e2e")
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = c.Close() // closes ssh's input: the server ends the channel, ssh exits
		<-c.Done()
		_ = cmd.Wait()
	})
	return c
}

func wantCode(t *testing.T, what string, err error, code string) *remote.Error {
	t.Helper()
	var e *remote.Error
	if !errors.As(err, &e) || e.Code != code {
		t.Fatalf("%s: %v, want an error %q", what, err, code)
	}
	return e
}

// TestParleySubsystemBlobs: over `ssh -s host parley` with the real
// OpenSSH client and the local client's protocol code, Ann uploads 1.5 MiB
// for Bob in chunks; Bob downloads the same bytes in ranges; Cy, who is no
// recipient, is told there is no such file, as for one that does not
// exist; only Ann deletes it. Under parley_max_attachment_mib 1 a 2 MiB
// upload is refused, announced or not. A client that opens more uploads
// than a channel may, or sends more bytes than it announced, is refused.
func TestParleySubsystemBlobs(t *testing.T) {
	f := newAdminFx(t)
	f.run("tenant", "create", "acme", "--seats", "10")
	annK, bobK, cyK := f.key("ann"), f.key("bob"), f.key("cy")
	f.activeUser("acme", []key{annK}, "--name", "Ann Archer")
	b := f.activeUser("acme", []key{bobK}, "--name", "Bob Baker")
	f.activeUser("acme", []key{cyK}, "--name", "Cy Cooper")
	bob, err := crypto.ParseID(b.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	ann, bc, cy := dialRemote(t, f.srv, annK), dialRemote(t, f.srv, bobK), dialRemote(t, f.srv, cyK)

	data := make([]byte, 3<<19+4321) // 1.5 MiB and a bit: three chunks and a part
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	blob, err := ann.Put(ctx, bytes.NewReader(data), int64(len(data)), []crypto.ID{bob})
	if err != nil {
		t.Fatalf("Ann uploads: %v", err)
	}
	rc, err := bc.Get(ctx, blob)
	if err != nil {
		t.Fatalf("Bob opens the blob: %v", err)
	}
	got, err := io.ReadAll(rc)
	_ = rc.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Bob read %d bytes (%v), not the %d Ann sent", len(got), err, len(data))
	}
	_, err = cy.Get(ctx, blob)
	e := wantCode(t, "Cy opens Ann's blob for Bob", err, proto.CodeNotFound)
	_, err = cy.Get(ctx, strings.Repeat("0", 32))
	if e2 := wantCode(t, "a blob that does not exist", err, proto.CodeNotFound); e2.Message != e.Message {
		t.Fatalf("Cy can tell a blob he may not read (%q) from none (%q)", e.Message, e2.Message)
	}
	wantCode(t, "Bob deletes Ann's blob", bc.Delete(ctx, blob), proto.CodeNotFound)
	if err := ann.Delete(ctx, blob); err != nil {
		t.Fatalf("Ann deletes her blob: %v", err)
	}
	_, err = bc.Get(ctx, blob)
	wantCode(t, "Bob opens a deleted blob", err, proto.CodeNotFound)

	// The size limit, announced or found out as the bytes come.
	f.run("policy", "set", "--tenant", "acme", "parley_max_attachment_mib", "1")
	big := make([]byte, 2<<20)
	for _, size := range []int64{int64(len(big)), -1} {
		_, err := ann.Put(ctx, bytes.NewReader(big), size, []crypto.ID{bob})
		if e := wantCode(t, "2 MiB under a limit of 1 MiB", err, proto.CodeInvalid); !strings.Contains(e.Message, "parley_max_attachment_mib") {
			t.Fatalf("size %d: %q does not name the policy", size, e.Message)
		}
	}
	small, err := ann.Put(ctx, bytes.NewReader(data[:1000]), 1000, []crypto.ID{bob})
	if err != nil {
		t.Fatalf("a small file under the limit: %v", err)
	}
	if rc, err = bc.Get(ctx, small); err == nil {
		got, err = io.ReadAll(rc)
	}
	if err != nil || !bytes.Equal(got, data[:1000]) {
		t.Fatalf("Bob reads the small file: %d bytes, %v", len(got), err)
	}

	// An abuser, frame by frame: too many uploads, too many bytes.
	c := dialProto(t, f.srv, annK)
	c.hello()
	begin := proto.BlobPutBeginRequest{Size: 10, Recipients: []string{b.ID}}
	var ups []proto.BlobUpload
	for range proto.MaxBlobUploads {
		var up proto.BlobUpload
		c.ok(proto.KindBlobPutBegin, begin, &up)
		ups = append(ups, up)
	}
	c.refused(proto.KindBlobPutBegin, begin, proto.CodeRateLimited)
	c.refused(proto.KindBlobPutChunk, proto.BlobPutChunkRequest{Upload: ups[0].Upload, Data: make([]byte, 11)}, proto.CodeInvalid)
	c.refused(proto.KindBlobPutChunk, proto.BlobPutChunkRequest{Upload: ups[0].Upload, Data: make([]byte, 10)}, proto.CodeNotFound)
	c.ok(proto.KindBlobPutBegin, begin, nil) // the refused upload's slot is free again
	c.ok(proto.KindBlobPutChunk, proto.BlobPutChunkRequest{Upload: ups[1].Upload, Data: []byte("0123456789")}, nil)
	var ref proto.BlobRef
	c.ok(proto.KindBlobPutEnd, ups[1], &ref)
	var r proto.BlobRange
	c.ok(proto.KindBlobGet, proto.BlobGetRequest{Blob: ref.Blob}, &r)
	if string(r.Data) != "0123456789" || r.Size != 10 {
		t.Fatalf("the abuser's one good upload reads back as %+v", r)
	}
}
