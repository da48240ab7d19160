package crypto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/nacl/secretbox"
)

// Blob layout. A file is encrypted once, with a random 32-byte key that
// travels inside the file message, and streamed in chunks:
//
//	chunk i = secretbox.Seal(plaintext[i*64KiB : (i+1)*64KiB], nonce_i, key)
//	nonce_i = final (1 byte: 1 for the last chunk, else 0) ‖ 15 zero bytes ‖ i (8 bytes, big-endian)
//
// Every chunk but the last holds exactly BlobChunkSize bytes of plaintext;
// the last holds 1..BlobChunkSize bytes, or 0 for an empty file, which is one
// empty final chunk. Each chunk adds secretbox.Overhead (16) bytes. Because
// the index and the final mark are in the nonce, chunks that are reordered,
// dropped, duplicated, truncated or followed by anything do not open.

// Blob chunk sizes.
const (
	// BlobChunkSize is the plaintext size of every chunk but the last.
	BlobChunkSize = 64 << 10
	// BlobOverhead is what each chunk adds to its plaintext.
	BlobOverhead    = secretbox.Overhead
	blobCipherChunk = BlobChunkSize + BlobOverhead
)

// BlobKeySize is the size of a blob key.
const BlobKeySize = 32

// NewBlobKey draws a random blob key from r.
func NewBlobKey(r io.Reader) ([BlobKeySize]byte, error) {
	var k [BlobKeySize]byte
	if _, err := io.ReadFull(r, k[:]); err != nil {
		return k, fmt.Errorf("read randomness: %w", err)
	}
	return k, nil
}

// BlobCiphertextSize returns the size of the encryption of plain bytes, or
// -1 if plain is negative.
func BlobCiphertextSize(plain int64) int64 {
	if plain < 0 {
		return -1
	}
	chunks := (plain + BlobChunkSize - 1) / BlobChunkSize
	if chunks == 0 {
		chunks = 1
	}
	return plain + chunks*BlobOverhead
}

// BlobPlainSize is the inverse of BlobCiphertextSize: ok is false when no
// plaintext size encrypts to exactly cipher bytes.
func BlobPlainSize(cipher int64) (plain int64, ok bool) {
	if cipher < BlobOverhead {
		return 0, false
	}
	full := cipher / blobCipherChunk
	rest := cipher % blobCipherChunk
	switch {
	case rest == 0:
		plain = full * BlobChunkSize
	case rest < BlobOverhead:
		return 0, false
	default: // rest == BlobOverhead is an empty last chunk: only the empty file has one, checked below
		plain = full*BlobChunkSize + rest - BlobOverhead
	}
	return plain, BlobCiphertextSize(plain) == cipher
}

func blobNonce(i uint64, final bool) *[24]byte {
	var n [24]byte
	if final {
		n[0] = 1
	}
	binary.BigEndian.PutUint64(n[16:], i)
	return &n
}

// EncryptBlob reads src to its end and writes its encryption under key to
// dst. n is the number of bytes written to dst.
func EncryptBlob(dst io.Writer, src io.Reader, key *[BlobKeySize]byte) (n int64, err error) {
	// Two buffers: the chunk being sealed and the next one, read ahead to
	// learn whether the current chunk is the last.
	cur := make([]byte, BlobChunkSize)
	next := make([]byte, BlobChunkSize)
	out := make([]byte, 0, blobCipherChunk)
	defer wipe(cur)
	defer wipe(next)
	curN, err := readChunk(src, cur)
	if err != nil {
		return 0, err
	}
	for i := uint64(0); ; i++ {
		nextN := 0
		if curN == BlobChunkSize {
			if nextN, err = readChunk(src, next); err != nil {
				return n, err
			}
		}
		final := nextN == 0
		out = secretbox.Seal(out[:0], cur[:curN], blobNonce(i, final), key)
		w, err := dst.Write(out)
		n += int64(w)
		if err != nil {
			return n, fmt.Errorf("write blob: %w", err)
		}
		if final {
			return n, nil
		}
		cur, next, curN = next, cur, nextN
	}
}

// readChunk fills buf as far as r allows and returns how many bytes it read;
// fewer than len(buf) means r is at its end.
func readChunk(r io.Reader, buf []byte) (int, error) {
	k, err := io.ReadFull(r, buf)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return k, fmt.Errorf("read file: %w", err)
	}
	return k, nil
}

// DecryptBlob reads an encrypted blob from src to its end and writes the
// plaintext to dst. n is the number of plaintext bytes written. Chunks are
// written as they open, so on an error dst may hold a prefix of the file:
// write to a temporary place and discard it unless err is nil. A blob that
// does not open (wrong key; tampered, truncated, reordered or extended
// chunks) gives an error wrapping ErrDecrypt.
func DecryptBlob(dst io.Writer, src io.Reader, key *[BlobKeySize]byte) (n int64, err error) {
	br := bufio.NewReaderSize(src, blobCipherChunk)
	in := make([]byte, blobCipherChunk)
	out := make([]byte, 0, BlobChunkSize)
	defer wipe(out[:cap(out)])
	for i := uint64(0); ; i++ {
		k, err := io.ReadFull(br, in)
		final := false
		switch {
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			final = true
		case err != nil:
			return n, fmt.Errorf("read blob: %w", err)
		default:
			if _, perr := br.Peek(1); errors.Is(perr, io.EOF) {
				final = true
			} else if perr != nil {
				return n, fmt.Errorf("read blob: %w", perr)
			}
		}
		if k < BlobOverhead {
			return n, fmt.Errorf("blob chunk %d of %d bytes: %w", i, k, ErrDecrypt)
		}
		var ok bool
		out, ok = secretbox.Open(out[:0], in[:k], blobNonce(i, final), key)
		if !ok {
			return n, fmt.Errorf("blob chunk %d: %w", i, ErrDecrypt)
		}
		if !final && len(out) != BlobChunkSize {
			return n, fmt.Errorf("blob chunk %d: %w", i, ErrDecrypt)
		}
		w, err := dst.Write(out)
		n += int64(w)
		if err != nil {
			return n, fmt.Errorf("write file: %w", err)
		}
		if final {
			return n, nil
		}
	}
}
