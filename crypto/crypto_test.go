package crypto

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"
)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func keyPair(t testing.TB) (PublicKey, *SecretKey) {
	t.Helper()
	pk, sk, err := GenerateKeyPair(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return pk, sk
}

// TestBoxKnownAnswer checks interoperability with another NaCl
// implementation. The vector was produced with libsodium 1.0.18's
// crypto_box_easy (MAC ‖ ciphertext), the plaintext being a Threema text
// message "Hallo Parley" with 20 bytes of padding.
func TestBoxKnownAnswer(t *testing.T) {
	var ska, skb SecretKey
	copy(ska[:], mustHex(t, "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2f"))
	copy(skb[:], mustHex(t, "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"))
	wantPKA := mustHex(t, "d89e3bad79437dbed9f843418304f460ff05c7fe81fe4a9577a804cb9367ff66")
	wantPKB := mustHex(t, "493e82fc74464a59268817623d2053c5eb8e2cc4a988b4fee179ec6b010d531d")
	if pk := ska.Public(); !bytes.Equal(pk[:], wantPKA) {
		t.Fatalf("public key A = %x, want %x", pk, wantPKA)
	}
	if pk := skb.Public(); !bytes.Equal(pk[:], wantPKB) {
		t.Fatalf("public key B = %x, want %x", pk, wantPKB)
	}
	var nonce [NonceSize]byte
	copy(nonce[:], mustHex(t, "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"))
	want := mustHex(t, "cd1cd485a59a99f6c1e67eb14a538c0fbc69f443d37e02a243c5dd45795fb4d9ea1c4ea1c27693d61639aab62222e9fdae")

	// Padding fixed at 20 bytes by a reader that yields 20.
	env, err := SealEnvelope(io_fixed(20, nonce[:]), Header{}, Precompute(skb.Public(), &ska), TypeText, []byte("Hallo Parley"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(env.Ciphertext, want) {
		t.Fatalf("box = %x\nwant  %x", env.Ciphertext, want)
	}
	// And the recipient opens libsodium's box.
	env.Ciphertext = want
	typ, body, err := env.Open(Precompute(ska.Public(), &skb))
	if err != nil {
		t.Fatal(err)
	}
	if typ != TypeText || string(body) != "Hallo Parley" {
		t.Fatalf("opened %#x %q", typ, body)
	}
}

// io_fixed returns a reader that yields the padding byte, then the nonce.
func io_fixed(pad byte, nonce []byte) *bytes.Reader {
	return bytes.NewReader(append([]byte{pad}, nonce...))
}

func TestEnvelopeRoundTrip(t *testing.T) {
	pa, sa := keyPair(t)
	pb, sb := keyPair(t)
	from, _ := ParseID("ALICE001")
	to, _ := ParseID("BOB00002")
	mid, _ := NewMessageID(rand.Reader)
	now := time.UnixMilli(time.Now().UnixMilli()).UTC()
	h := Header{Flags: FlagSilent, Sender: from, Recipient: to, MessageID: mid, Time: now}
	for _, text := range []string{"hi", "Grüezi 👋", strings.Repeat("x", MaxTextLen)} {
		env, err := SealEnvelope(nil, h, Precompute(pb, sa), TypeText, []byte(text))
		if err != nil {
			t.Fatal(err)
		}
		wire := env.Marshal()
		got, err := ParseEnvelope(wire)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		if got.Header != env.Header {
			t.Fatalf("header = %+v, want %+v", got.Header, env.Header)
		}
		typ, body, err := got.Open(Precompute(pa, sb))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		if typ != TypeText || string(body) != text {
			t.Fatalf("round trip: got type %#x, %d bytes", typ, len(body))
		}
	}
}

func TestEnvelopeTamperedRejected(t *testing.T) {
	pa, sa := keyPair(t)
	pb, sb := keyPair(t)
	env, err := SealEnvelope(nil, Header{}, Precompute(pb, sa), TypeText, []byte("secret"))
	if err != nil {
		t.Fatal(err)
	}
	shared := Precompute(pa, sb)
	for i := range env.Ciphertext {
		env.Ciphertext[i] ^= 0x01
		if _, _, err := env.Open(shared); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("byte %d flipped: err = %v, want ErrDecrypt", i, err)
		}
		env.Ciphertext[i] ^= 0x01
	}
	env.Nonce[0] ^= 1
	if _, _, err := env.Open(shared); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("nonce flipped: err = %v", err)
	}
	env.Nonce[0] ^= 1
	// A third party's key does not open it.
	_, sc := keyPair(t)
	if _, _, err := env.Open(Precompute(pa, sc)); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("wrong key: err = %v", err)
	}
	if _, _, err := env.Open(shared); err != nil {
		t.Fatalf("untouched envelope: %v", err)
	}
}

func TestNoncesAreRandom(t *testing.T) {
	pb, _ := keyPair(t)
	_, sa := keyPair(t)
	shared := Precompute(pb, sa)
	seen := map[[NonceSize]byte]bool{}
	for i := 0; i < 1000; i++ {
		env, err := SealEnvelope(nil, Header{}, shared, TypeText, []byte("same text"))
		if err != nil {
			t.Fatal(err)
		}
		if seen[env.Nonce] {
			t.Fatalf("nonce repeated after %d envelopes", i)
		}
		seen[env.Nonce] = true
	}
}

func TestPadding(t *testing.T) {
	for _, n := range []int{0, 1, 5, 31, 32, 33, 300, MaxTextLen} {
		body := bytes.Repeat([]byte{'a'}, n)
		for i := 0; i < 50; i++ {
			p, err := Pad(nil, TypeText, body)
			if err != nil {
				t.Fatal(err)
			}
			if p[0] != byte(TypeText) {
				t.Fatalf("type byte = %#x", p[0])
			}
			padLen := int(p[len(p)-1])
			if padLen < 1 || padLen > 255 {
				t.Fatalf("padding length %d out of 1..255", padLen)
			}
			if len(p)-1 < MinPaddedLen {
				t.Fatalf("body %d: %d bytes after the type byte, want ≥ %d", n, len(p)-1, MinPaddedLen)
			}
			if len(p) != 1+n+padLen {
				t.Fatalf("len = %d, want %d", len(p), 1+n+padLen)
			}
			for _, c := range p[1+n:] {
				if int(c) != padLen {
					t.Fatalf("padding byte %d, want %d", c, padLen)
				}
			}
			typ, got, err := Unpad(p)
			if err != nil || typ != TypeText || !bytes.Equal(got, body) {
				t.Fatalf("unpad: %v, %#x, %d bytes", err, typ, len(got))
			}
		}
	}
	if _, err := Pad(nil, TypeText, make([]byte, MaxBodyLen)); err != nil {
		t.Fatalf("body of MaxBodyLen: err = %v", err)
	}
	if _, err := Pad(nil, TypeText, make([]byte, MaxBodyLen+1)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("oversize body: err = %v", err)
	}
}

func TestPaddingLengthsVary(t *testing.T) {
	lens := map[int]bool{}
	for i := 0; i < 200; i++ {
		p, err := Pad(nil, TypeText, bytes.Repeat([]byte{'a'}, 40))
		if err != nil {
			t.Fatal(err)
		}
		lens[len(p)] = true
	}
	if len(lens) < 20 {
		t.Fatalf("only %d distinct padded lengths in 200 draws", len(lens))
	}
}

var unpadCases = []struct {
	in   []byte
	ok   bool
	body string
}{
	{[]byte{1, 'h', 'i', 2, 2}, true, "hi"},
	{[]byte{1, 1}, true, ""},
	{[]byte{1}, false, ""},
	{[]byte{}, false, ""},
	{[]byte{1, 'h', 0}, false, ""},
	{[]byte{1, 'h', 3, 2}, false, ""},
	{[]byte{1, 5, 5}, false, ""},
	{append([]byte{1}, bytes.Repeat([]byte{255}, 255)...), true, ""},
}

func TestUnpadTable(t *testing.T) {
	for i, c := range unpadCases {
		_, body, err := Unpad(c.in)
		if (err == nil) != c.ok {
			t.Fatalf("case %d: err = %v, want ok=%v", i, err, c.ok)
		}
		if c.ok && string(body) != c.body {
			t.Fatalf("case %d: body %q, want %q", i, body, c.body)
		}
	}
}

func FuzzUnpad(f *testing.F) {
	for _, c := range unpadCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, body, err := Unpad(b)
		if err != nil {
			return
		}
		// Whatever unpads must re-pad to a plaintext that unpads the same way.
		p, err := Pad(nil, typ, body)
		if err != nil {
			if len(body) > MaxBodyLen {
				return
			}
			t.Fatalf("re-pad: %v", err)
		}
		typ2, body2, err := Unpad(p)
		if err != nil || typ2 != typ || !bytes.Equal(body, body2) {
			t.Fatalf("re-pad round trip differs")
		}
	})
}

func FuzzParseEnvelope(f *testing.F) {
	_, sa := keyPair(f)
	pb, _ := keyPair(f)
	from, _ := ParseID("ALICE001")
	to, _ := ParseID("BOB00002")
	env, err := SealEnvelope(nil, Header{Sender: from, Recipient: to, Time: time.UnixMilli(1700000000000)}, Precompute(pb, sa), TypeText, []byte("hello"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(env.Marshal())
	f.Add([]byte{})
	f.Add(make([]byte, HeaderSize+minCiphertextSize))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := ParseEnvelope(b)
		if err != nil {
			return
		}
		if got := e.Marshal(); !bytes.Equal(got, b) {
			t.Fatalf("parse/marshal not identical:\n%x\n%x", got, b)
		}
	})
}

func TestParseEnvelopeRejects(t *testing.T) {
	_, sa := keyPair(t)
	pb, _ := keyPair(t)
	from, _ := ParseID("ALICE001")
	to, _ := ParseID("BOB00002")
	env, err := SealEnvelope(nil, Header{Sender: from, Recipient: to, Time: time.Now()}, Precompute(pb, sa), TypeText, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	good := env.Marshal()
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := map[string][]byte{
		"short":          good[:HeaderSize],
		"version":        mutate(func(b []byte) []byte { b[0] = 2; return b }),
		"sender":         mutate(func(b []byte) []byte { b[2] = 'a'; return b }),
		"recipient":      mutate(func(b []byte) []byte { b[10] = 0; return b }),
		"oversize":       append(append([]byte(nil), good...), make([]byte, MaxEnvelopeSize)...),
		"time far ahead": mutate(func(b []byte) []byte { b[26] = 0xff; return b }),
	}
	for name, b := range cases {
		if _, err := ParseEnvelope(b); err == nil {
			t.Errorf("%s: parsed, want error", name)
		}
	}
	if _, err := ParseEnvelope(good); err != nil {
		t.Fatalf("good envelope: %v", err)
	}
}

func TestReceiptRoundTrip(t *testing.T) {
	a, _ := NewMessageID(rand.Reader)
	b, _ := NewMessageID(rand.Reader)
	in := Receipt{Status: ReceiptRead, Messages: []MessageID{a, b}}
	raw, err := MarshalReceipt(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := ParseReceipt(raw)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != in.Status || len(out.Messages) != 2 || out.Messages[0] != a || out.Messages[1] != b {
		t.Fatalf("got %+v", out)
	}
	for _, bad := range [][]byte{nil, {2}, {2, 1, 2, 3}} {
		if _, err := ParseReceipt(bad); err == nil {
			t.Fatalf("ParseReceipt(%x) succeeded", bad)
		}
	}
	if _, err := MarshalReceipt(Receipt{Status: 1}); err == nil {
		t.Fatal("empty receipt marshalled")
	}
}

func FuzzParseReceipt(f *testing.F) {
	f.Add([]byte{1, 1, 2, 3, 4, 5, 6, 7, 8})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReceipt(b)
		if err != nil {
			return
		}
		out, err := MarshalReceipt(r)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func cheapKDF() KDFParams { return KDFParams{Time: 1, MemoryKiB: 1 << 10, Threads: 1} }

func TestPassphraseSealing(t *testing.T) {
	pk, sk := keyPair(t)
	sealed, err := SealSecretKey(nil, []byte("correct horse"), sk, cheapKDF())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, sk[:]) {
		t.Fatal("sealed blob contains the secret key")
	}
	got, err := OpenSecretKey([]byte("correct horse"), sealed, pk)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *sk {
		t.Fatal("opened a different key")
	}
	if _, err := OpenSecretKey([]byte("correct horsE"), sealed, pk); !errors.Is(err, ErrWrongPassphrase) {
		t.Fatalf("wrong passphrase: err = %v", err)
	}
	// Tampering anywhere after the header fails like a wrong passphrase.
	for i := sealHeaderSize - NonceSize; i < len(sealed); i++ {
		sealed[i] ^= 0x80
		if _, err := OpenSecretKey([]byte("correct horse"), sealed, pk); err == nil {
			t.Fatalf("byte %d flipped: opened", i)
		}
		sealed[i] ^= 0x80
	}
	// A seal checked against another user's public key is refused.
	other, _ := keyPair(t)
	if _, err := OpenSecretKey([]byte("correct horse"), sealed, other); !errors.Is(err, ErrInvalidKey) {
		t.Fatalf("other public key: err = %v", err)
	}
	// Absurd parameters in a tampered header are refused before any work.
	bad := append([]byte(nil), sealed...)
	bad[5], bad[6] = 0xff, 0xff
	if _, err := OpenWithPassphrase([]byte("correct horse"), bad); !errors.Is(err, ErrMalformed) {
		t.Fatalf("huge memory cost: err = %v", err)
	}
}

func TestCheckPassphrase(t *testing.T) {
	for pass, ok := range map[string]bool{
		"short":                         false,
		"eight ch":                      true,
		"äöüäöüäö":                      true,
		string([]byte{0xff, 0xfe, 'a'}): false,
		strings.Repeat("x", 2000):       false,
	} {
		if err := CheckPassphrase([]byte(pass)); (err == nil) != ok {
			t.Errorf("CheckPassphrase(%.10q) = %v, want ok=%v", pass, err, ok)
		}
	}
}

func TestStoreKey(t *testing.T) {
	_, sk := keyPair(t)
	k, err := DeriveStoreKey(sk)
	if err != nil {
		t.Fatal(err)
	}
	k2, _ := DeriveStoreKey(sk)
	sealed, err := k.Seal(nil, []byte("history line"), []byte("msgs/1"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := k2.Open(sealed, []byte("msgs/1"))
	if err != nil || string(got) != "history line" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := k.Open(sealed, []byte("msgs/2")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("moved value: err = %v", err)
	}
	_, other := keyPair(t)
	k3, _ := DeriveStoreKey(other)
	if _, err := k3.Open(sealed, []byte("msgs/1")); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("other user's key: err = %v", err)
	}
	if k.Tag([]byte("ab"), []byte("c")) == k.Tag([]byte("a"), []byte("bc")) {
		t.Fatal("tags of differently split parts collide")
	}
	if k.Tag([]byte("x")) != k2.Tag([]byte("x")) || k.Tag([]byte("x")) == k3.Tag([]byte("x")) {
		t.Fatal("tags are not a keyed function")
	}
}

func TestIDs(t *testing.T) {
	seen := map[ID]bool{}
	for i := 0; i < 2000; i++ {
		id, err := NewID(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := ParseID(id.String()); err != nil {
			t.Fatalf("generated %q does not parse: %v", id, err)
		}
		seen[id] = true
	}
	if len(seen) != 2000 {
		t.Fatalf("collisions among 2000 random IDs")
	}
	if id, err := ParseID(" abcd1234 "); err != nil || id.String() != "ABCD1234" {
		t.Fatalf("lower case: %q %v", id, err)
	}
	for _, bad := range []string{"", "ABC", "ABCD12345", "ABCD-234", "ÄBCD1234", "ABCD\x001234"} {
		if _, err := ParseID(bad); !errors.Is(err, ErrInvalidID) {
			t.Errorf("ParseID(%q) = %v", bad, err)
		}
	}
}

func FuzzParseID(f *testing.F) {
	f.Add("ABCD1234")
	f.Add("abcd")
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseID(s)
		if err != nil {
			return
		}
		if again, err := ParseID(id.String()); err != nil || again != id {
			t.Fatalf("%q does not round trip", s)
		}
	})
}

func TestFingerprint(t *testing.T) {
	var pk PublicKey
	f := FingerprintOf(pk)
	// SHA-256 of 32 zero bytes starts with 66687aadf862bd776c8fc18b8e9f8e20.
	if got, want := f.String(), "6668 7aad f862 bd77 6c8f c18b 8e9f 8e20"; got != want {
		t.Fatalf("fingerprint = %q, want %q", got, want)
	}
}
