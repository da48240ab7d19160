package crypto

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func blobKey(t testing.TB) *[BlobKeySize]byte {
	t.Helper()
	k, err := NewBlobKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return &k
}

// pattern returns n bytes that differ from chunk to chunk.
func pattern(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/BlobChunkSize)
	}
	return b
}

func encrypt(t testing.TB, plain []byte, key *[BlobKeySize]byte) []byte {
	t.Helper()
	var ct bytes.Buffer
	n, err := EncryptBlob(&ct, bytes.NewReader(plain), key)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(ct.Len()) {
		t.Fatalf("EncryptBlob reported %d bytes, wrote %d", n, ct.Len())
	}
	return ct.Bytes()
}

func decrypt(ct []byte, key *[BlobKeySize]byte) ([]byte, error) {
	var out bytes.Buffer
	n, err := DecryptBlob(&out, bytes.NewReader(ct), key)
	if err == nil && n != int64(out.Len()) {
		return nil, errors.New("DecryptBlob miscounted")
	}
	return out.Bytes(), err
}

var blobSizes = []int{0, 1, 100, BlobChunkSize - 1, BlobChunkSize, BlobChunkSize + 1, 2 * BlobChunkSize, 3*BlobChunkSize + 5}

func TestBlobRoundTrip(t *testing.T) {
	key := blobKey(t)
	for _, size := range blobSizes {
		plain := pattern(size)
		ct := encrypt(t, plain, key)
		if got, want := int64(len(ct)), BlobCiphertextSize(int64(size)); got != want {
			t.Errorf("size %d: ciphertext of %d bytes, BlobCiphertextSize says %d", size, got, want)
		}
		got, err := decrypt(ct, key)
		if err != nil {
			t.Fatalf("size %d: %v", size, err)
		}
		if !bytes.Equal(got, plain) {
			t.Fatalf("size %d: plaintext differs", size)
		}
		// Readers that return little at a time change nothing.
		var out bytes.Buffer
		if _, err := DecryptBlob(&out, iotest.OneByteReader(bytes.NewReader(ct)), key); err != nil || !bytes.Equal(out.Bytes(), plain) {
			t.Fatalf("size %d, one-byte reader: %v", size, err)
		}
		var ct2 bytes.Buffer
		if _, err := EncryptBlob(&ct2, iotest.HalfReader(bytes.NewReader(plain)), key); err != nil || !bytes.Equal(ct2.Bytes(), ct) {
			t.Fatalf("size %d, half reader: ciphertext differs (%v)", size, err)
		}
	}
}

func TestBlobCiphertextSize(t *testing.T) {
	cases := map[int64]int64{
		0:                 16,
		1:                 17,
		BlobChunkSize:     BlobChunkSize + 16,
		BlobChunkSize + 1: BlobChunkSize + 1 + 32,
		100 << 20:         100<<20 + 1600*16,
		-1:                -1,
	}
	for plain, want := range cases {
		if got := BlobCiphertextSize(plain); got != want {
			t.Errorf("BlobCiphertextSize(%d) = %d, want %d", plain, got, want)
		}
	}
	for plain := int64(0); plain < 3*BlobChunkSize+40; plain++ {
		c := BlobCiphertextSize(plain)
		if got, ok := BlobPlainSize(c); !ok || got != plain {
			t.Fatalf("BlobPlainSize(%d) = %d, %v; want %d", c, got, ok, plain)
		}
	}
	valid := 0
	for c := int64(-1); c < 3*blobCipherChunk+40; c++ {
		if p, ok := BlobPlainSize(c); ok {
			valid++
			if BlobCiphertextSize(p) != c {
				t.Fatalf("BlobPlainSize(%d) = %d, which encrypts to %d", c, p, BlobCiphertextSize(p))
			}
		}
	}
	want := 0 // BlobCiphertextSize is injective: one valid size per plaintext size
	for p := int64(0); BlobCiphertextSize(p) < 3*blobCipherChunk+40; p++ {
		want++
	}
	if valid != want {
		t.Errorf("%d valid ciphertext sizes, want %d", valid, want)
	}
}

func TestBlobTamper(t *testing.T) {
	key := blobKey(t)
	plain := pattern(3*BlobChunkSize + 5)
	ct := encrypt(t, plain, key)
	chunk := func(i int) []byte { return ct[i*blobCipherChunk : min((i+1)*blobCipherChunk, len(ct))] }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(i int) []byte { b := bytes.Clone(ct); b[i] ^= 0x01; return b }
	empty := encrypt(t, nil, key)

	cases := map[string][]byte{
		"empty input":          nil,
		"short input":          ct[:BlobOverhead-1],
		"cut at chunk 1":       ct[:blobCipherChunk],
		"cut at chunk 3":       ct[:3*blobCipherChunk],
		"cut inside chunk 1":   ct[:blobCipherChunk+100],
		"cut last byte":        ct[:len(ct)-1],
		"chunks 0,1 swapped":   join(chunk(1), chunk(0), chunk(2), chunk(3)),
		"chunk 1 dropped":      join(chunk(0), chunk(2), chunk(3)),
		"chunk 0 duplicated":   join(chunk(0), chunk(0), chunk(1), chunk(2), chunk(3)),
		"byte appended":        join(ct, []byte{0}),
		"chunk appended":       join(ct, chunk(3)),
		"empty file appended":  join(ct, empty),
		"flip in chunk 0 tag":  flip(0),
		"flip in chunk 1 body": flip(blobCipherChunk + 500),
		"flip in last chunk":   flip(len(ct) - 1),
		"other key":            nil, // below
	}
	for name, b := range cases {
		k := key
		if name == "other key" {
			b, k = ct, blobKey(t)
		}
		if _, err := decrypt(b, k); !errors.Is(err, ErrDecrypt) {
			t.Errorf("%s: err = %v, want ErrDecrypt", name, err)
		}
	}
	// An empty file is one empty final chunk; a non-final empty chunk is not it.
	if got, err := decrypt(empty, key); err != nil || len(got) != 0 {
		t.Errorf("empty file: %q, %v", got, err)
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	w.after--
	return len(p), nil
}

func TestBlobIOErrors(t *testing.T) {
	key := blobKey(t)
	boom := errors.New("boom")
	if _, err := EncryptBlob(io.Discard, iotest.ErrReader(boom), key); !errors.Is(err, boom) {
		t.Errorf("EncryptBlob(failing reader): err = %v, want %v", err, boom)
	}
	src := io.MultiReader(bytes.NewReader(pattern(BlobChunkSize+10)), iotest.ErrReader(boom))
	if _, err := EncryptBlob(io.Discard, src, key); !errors.Is(err, boom) {
		t.Errorf("EncryptBlob(reader failing in chunk 2): err = %v, want %v", err, boom)
	}
	if _, err := EncryptBlob(&failWriter{after: 1}, bytes.NewReader(pattern(3*BlobChunkSize)), key); err == nil {
		t.Error("EncryptBlob(failing writer) succeeded")
	}
	ct := encrypt(t, pattern(2*BlobChunkSize+1), key)
	if _, err := DecryptBlob(io.Discard, io.MultiReader(bytes.NewReader(ct[:100]), iotest.ErrReader(boom)), key); !errors.Is(err, boom) {
		t.Errorf("DecryptBlob(failing reader): err = %v, want %v", err, boom)
	}
	if _, err := DecryptBlob(&failWriter{after: 1}, bytes.NewReader(ct), key); err == nil || errors.Is(err, ErrDecrypt) {
		t.Errorf("DecryptBlob(failing writer): err = %v, want a write error", err)
	}
}

// FuzzDecryptBlob decrypts arbitrary bytes, and tampers with a valid blob in
// the ways the fuzzer picks (truncate, flip, swap or duplicate chunks,
// append): whatever changes the bytes must fail with ErrDecrypt.
func FuzzDecryptBlob(f *testing.F) {
	f.Add([]byte{}, uint32(0), uint8(0), uint32(0), uint8(0))
	f.Add(make([]byte, 16), uint32(BlobChunkSize), uint8(1), uint32(70000), uint8(3))
	f.Add([]byte("not a blob at all, not at all"), uint32(2*BlobChunkSize+3), uint8(2), uint32(1), uint8(2))
	f.Add([]byte{}, uint32(3*BlobChunkSize), uint8(3), uint32(0), uint8(9))
	f.Add([]byte{}, uint32(BlobChunkSize+1), uint8(4), uint32(0), uint8(1))
	var key [BlobKeySize]byte
	copy(key[:], "fuzz key, fuzz key, fuzz key, fu")
	f.Fuzz(func(t *testing.T, raw []byte, size uint32, op uint8, pos uint32, val uint8) {
		// Arbitrary input: must not open (a forgery), or re-encrypt to itself.
		if plain, err := decrypt(raw, &key); err == nil {
			if ct := encrypt(t, plain, &key); !bytes.Equal(ct, raw) {
				t.Fatalf("%d bytes opened but do not re-encrypt to themselves", len(raw))
			}
		} else if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("arbitrary input: err = %v, want ErrDecrypt", err)
		}

		plain := pattern(int(size % (4*BlobChunkSize + 7)))
		ct := encrypt(t, plain, &key)
		chunks := (len(ct) + blobCipherChunk - 1) / blobCipherChunk
		chunk := func(i int) []byte { return ct[i*blobCipherChunk : min((i+1)*blobCipherChunk, len(ct))] }
		var bad []byte
		switch op % 5 {
		case 0: // truncate
			bad = ct[:int(pos)%len(ct)]
		case 1: // flip bits
			bad = bytes.Clone(ct)
			bad[int(pos)%len(bad)] ^= val | 1
		case 2: // swap two chunks
			i, j := int(pos)%chunks, int(val)%chunks
			if chunks < 2 || i == j || bytes.Equal(chunk(i), chunk(j)) {
				return
			}
			parts := make([][]byte, chunks)
			for k := range parts {
				parts[k] = chunk(k)
			}
			parts[i], parts[j] = parts[j], parts[i]
			bad = bytes.Join(parts, nil)
		case 3: // duplicate a chunk in place
			i := int(pos) % chunks
			bad = bytes.Join([][]byte{ct[:i*blobCipherChunk], chunk(i), ct[i*blobCipherChunk:]}, nil)
		case 4: // append bytes
			bad = append(bytes.Clone(ct), bytes.Repeat([]byte{val}, 1+int(pos%64))...)
		}
		got, err := decrypt(bad, &key)
		if !errors.Is(err, ErrDecrypt) {
			t.Fatalf("op %d on %d bytes: err = %v (%d bytes out), want ErrDecrypt", op%5, len(plain), err, len(got))
		}
	})
}
