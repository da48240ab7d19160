package core

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"path/filepath"
	"slices"
	"strings"

	"github.com/parley-chat/parley/crypto"
)

// Blobs stores encrypted files for the user. The server behind it sees
// ciphertext only: the key to a file travels in the end-to-end encrypted
// file message.
type Blobs interface {
	// Put uploads size bytes of ciphertext (negative: as many as r
	// yields) that the recipients may fetch, and returns the blob ID.
	// Errors are meant for the user (size limit, quota).
	Put(ctx context.Context, r io.Reader, size int64, recipients []crypto.ID) (string, error)
	// Get opens a blob the user uploaded or received.
	Get(ctx context.Context, blob string) (io.ReadCloser, error)
	// Delete removes a blob the user uploaded.
	Delete(ctx context.Context, blob string) error
}

// Errors of files.
var (
	ErrNoBlobs  = errors.New("files are not available here")
	ErrNoFile   = errors.New("no such file: list yours with `files`")
	ErrNoTarget = errors.New("the conversation has no one to send to")
	// ErrDamaged is a file whose bytes do not open or do not match its size.
	ErrDamaged = errors.New("the file is damaged or incomplete on the server")
)

// MaxFiles bounds the files Files lists: the newest.
const MaxFiles = 1000

// SendFile encrypts a file with a fresh key, uploads the ciphertext and
// sends the file message (type 0x17) to the conversation: one upload, whose
// key goes to every member. size is the file's length in bytes; negative
// when unknown (then it is counted as the file streams). mime "" is guessed
// from the name's extension.
func (c *Core) SendFile(ctx context.Context, ref ConvRef, name, mimeType string, r io.Reader, size int64) (Message, error) {
	if c.blobs == nil {
		return Message{}, ErrNoBlobs
	}
	if err := crypto.CheckFileName(name); err != nil {
		return Message{}, fmt.Errorf("file name: %w", err)
	}
	if mimeType == "" {
		mimeType = guessMime(name)
	}
	k, err := c.storeKey()
	if err != nil {
		return Message{}, err
	}
	recipients, err := c.recipients(ctx, k, ref)
	if err != nil {
		return Message{}, err
	}
	key, err := crypto.NewBlobKey(c.rand)
	if err != nil {
		return Message{}, err
	}
	blob, n, err := c.upload(ctx, r, size, &key, recipients)
	if err != nil {
		return Message{}, err
	}
	f := crypto.FileMessage{Blob: blob, Key: key, Name: name, Mime: mimeType, Size: n}
	body, err := crypto.MarshalFileMessage(f)
	if err != nil {
		return Message{}, err
	}
	m := Message{Kind: KindFile, Text: name,
		File: &FileInfo{Blob: f.Blob, Key: f.Key, Name: f.Name, Mime: f.Mime, Size: f.Size}}
	sent, err := c.sendContent(ctx, ref, crypto.TypeFile, body, m)
	if err != nil && sent.State <= StateFailed {
		// Nobody got the message: the file would only take up space.
		if derr := c.blobs.Delete(context.WithoutCancel(ctx), blob); derr != nil {
			c.log.Warn("unsent file not deleted", "err", derr)
		}
	}
	return sent, err
}

// upload encrypts r into the blob store and returns the blob ID and the
// plaintext size.
func (c *Core) upload(ctx context.Context, r io.Reader, size int64, key *[crypto.BlobKeySize]byte, to []crypto.ID) (string, int64, error) {
	pr, pw := io.Pipe()
	type result struct {
		n   int64
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := crypto.EncryptBlob(pw, r, key)
		pw.CloseWithError(err) // nil: the ciphertext is complete
		done <- result{n, err}
	}()
	blob, err := c.blobs.Put(ctx, pr, crypto.BlobCiphertextSize(size), to)
	// Whatever Put did not read must not hold the encryption up.
	pr.CloseWithError(errors.New("upload ended"))
	enc := <-done
	if err != nil {
		return "", 0, err
	}
	if enc.err != nil {
		return "", 0, fmt.Errorf("read the file: %w", enc.err)
	}
	// EncryptBlob counts ciphertext bytes; the file message carries the
	// plaintext size.
	plain, ok := crypto.BlobPlainSize(enc.n)
	switch {
	case !ok:
		return "", 0, fmt.Errorf("the encrypted file has %d bytes, which no file size gives", enc.n)
	case size >= 0 && plain != size:
		return "", 0, fmt.Errorf("the file has %d bytes, not the %d announced", plain, size)
	}
	return blob, plain, nil
}

// recipients are the users who may fetch a file sent to ref.
func (c *Core) recipients(ctx context.Context, k *crypto.StoreKey, ref ConvRef) ([]crypto.ID, error) {
	if ref.Kind == ConvDirect {
		if ref.Peer == c.me.ID {
			return nil, ErrSelf
		}
		// An unknown or unreachable peer fails here, before the upload.
		if _, err := c.Contact(ctx, ref.Peer); err != nil {
			return nil, err
		}
		return []crypto.ID{ref.Peer}, nil
	}
	var conv Conversation
	err := c.store.View(ctx, func(tx Tx) error {
		var err error
		conv, err = c.getConv(tx, k, ref)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read conversation: %w", err)
	}
	out := slices.DeleteFunc(slices.Clone(conv.Members), func(id crypto.ID) bool { return id == c.me.ID })
	if len(out) == 0 {
		return nil, ErrNoTarget
	}
	return out, nil
}

// guessMime is the media type of a file name's extension, or
// crypto.DefaultMime.
func guessMime(name string) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		return t
	}
	return crypto.DefaultMime
}

// Files lists the files the user received, newest first (at most
// MaxFiles). Deleted messages are left out, and so are the files of hidden
// chats unless this session revealed them.
func (c *Core) Files(ctx context.Context) ([]Message, error) {
	var out []Message
	err := c.scanFiles(ctx, func(m *Message) bool {
		if !m.Outgoing {
			out = append(out, *m)
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Message) int {
		if c := b.Time.Compare(a.Time); c != 0 {
			return c
		}
		return cmp.Compare(a.ID.String(), b.ID.String())
	})
	if len(out) > MaxFiles {
		out = out[:MaxFiles]
	}
	return out, nil
}

// File returns the file message id, received or sent.
func (c *Core) File(ctx context.Context, id crypto.MessageID) (Message, error) {
	var found *Message
	err := c.scanFiles(ctx, func(m *Message) bool {
		if m.ID == id {
			found = m
			return false
		}
		return true
	})
	if err != nil {
		return Message{}, err
	}
	if found == nil {
		return Message{}, ErrNoFile
	}
	return *found, nil
}

// OpenFile decrypts the file of message id (received or sent) into w and
// returns what the message says of it. Nothing is written when the file
// cannot be fetched; a damaged file fails at the first bad chunk.
func (c *Core) OpenFile(ctx context.Context, id crypto.MessageID, w io.Writer) (FileInfo, error) {
	if c.blobs == nil {
		return FileInfo{}, ErrNoBlobs
	}
	m, err := c.File(ctx, id)
	if err != nil {
		return FileInfo{}, err
	}
	f := *m.File
	rc, err := c.blobs.Get(ctx, f.Blob)
	if err != nil {
		return FileInfo{}, err
	}
	defer func() { _ = rc.Close() }()
	ew := &errWriter{w: w}
	n, err := crypto.DecryptBlob(ew, rc, &f.Key)
	if ew.err != nil {
		return f, fmt.Errorf("write the file: %w", ew.err)
	}
	if err != nil {
		return f, fmt.Errorf("%w: %w", ErrDamaged, err)
	}
	if n != f.Size {
		return f, fmt.Errorf("%w: %d bytes, the message says %d", ErrDamaged, n, f.Size)
	}
	return f, nil
}

// scanFiles calls fn for every file message not deleted and not in a
// concealed hidden chat, until fn returns false.
func (c *Core) scanFiles(ctx context.Context, fn func(*Message) bool) error {
	k, err := c.storeKey()
	if err != nil {
		return err
	}
	revealed := c.Revealed()
	err = c.store.View(ctx, func(tx Tx) error {
		hidden := map[ConvRef]bool{}
		var ierr error
		if !revealed {
			err := tx.Space(spaceConv).Scan(nil, nil, false, func(key, v []byte) bool {
				var conv Conversation
				if ierr = open(k, spaceConv, key, v, &conv); ierr != nil {
					return false
				}
				if conv.Hidden {
					hidden[conv.Ref] = true
				}
				return true
			})
			if err != nil {
				return err
			}
			if ierr != nil {
				return ierr
			}
		}
		n := 0
		err := tx.Space(spaceMsg).Scan(nil, nil, false, func(key, v []byte) bool {
			if n++; n%1024 == 0 {
				if ierr = ctx.Err(); ierr != nil {
					return false
				}
			}
			var m Message
			if ierr = open(k, spaceMsg, key, v, &m); ierr != nil {
				return false
			}
			if m.Kind != KindFile || m.File == nil || m.Deleted || hidden[m.Conv] {
				return true
			}
			return fn(&m)
		})
		if err != nil {
			return err
		}
		return ierr
	})
	if err != nil {
		return fmt.Errorf("read files: %w", err)
	}
	return nil
}

// errWriter remembers a write error, to tell it from a damaged file.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(b []byte) (int, error) {
	n, err := e.w.Write(b)
	if err != nil && e.err == nil {
		e.err = err
	}
	return n, err
}
