package proto

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

func TestFrameRoundTrip(t *testing.T) {
	var buf bytes.Buffer
	in := []Frame{{Kind: KindHello, Payload: Hello{Min: 1, Max: 3, Client: "parley/test"}.Encode()},
		{Kind: KindSend, ID: 7, Payload: []byte(`{"envelope":"AQ=="}`)}, {Kind: KindOK, ID: 7}}
	for _, f := range in {
		if err := WriteFrame(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range in {
		got, err := ReadFrame(&buf)
		if err != nil || got.Kind != want.Kind || got.ID != want.ID || !bytes.Equal(got.Payload, want.Payload) {
			t.Fatalf("frame %d: %+v, %v; want %+v", i, got, err, want)
		}
	}
	if _, err := ReadFrame(&buf); !errors.Is(err, io.EOF) {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

// TestBrokenFrames: lengths out of range are refused before anything is
// allocated or read; frames cut off are errors, not hangs.
func TestBrokenFrames(t *testing.T) {
	for name, b := range map[string][]byte{
		"too short": binary.BigEndian.AppendUint32(nil, 4),
		"too long":  binary.BigEndian.AppendUint32(nil, MaxFrame+1),
		"huge":      {0xff, 0xff, 0xff, 0xff},
		"no header": binary.BigEndian.AppendUint32(nil, 9),
		"cut":       append(binary.BigEndian.AppendUint32(nil, 10), 0x21, 0, 0, 0, 1, 'x'),
	} {
		if _, err := ReadFrame(bytes.NewReader(b)); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: err = %v, want ErrFrame", name, err)
		}
	}
	if err := WriteFrame(io.Discard, Frame{Kind: KindOK, Payload: make([]byte, MaxFrame)}); !errors.Is(err, ErrFrame) {
		t.Errorf("writing an oversized frame: %v, want ErrFrame", err)
	}
}

func TestVersionNegotiation(t *testing.T) {
	for _, c := range []struct {
		min, max uint16
		want     uint16
		err      error
	}{{1, 1, 1, nil}, {1, 9, Version, nil}, {Version + 1, Version + 2, 0, ErrVersion}, {0, 0, 0, ErrVersion}} {
		h, err := ParseHello(Hello{Min: c.min, Max: c.max}.Encode())
		if err != nil {
			t.Fatal(err)
		}
		v, err := h.Choose()
		if v != c.want || !errors.Is(err, c.err) {
			t.Errorf("hello %d–%d: version %d, %v; want %d, %v", c.min, c.max, v, err, c.want, c.err)
		}
	}
	for name, p := range map[string][]byte{"not parley": []byte("SSH-2.0-x\r\n"), "reversed": Hello{Min: 3, Max: 1}.Encode(), "short": []byte("PARLEY\x00")} {
		if _, err := ParseHello(p); !errors.Is(err, ErrFrame) {
			t.Errorf("%s: %v, want ErrFrame", name, err)
		}
	}
}

func TestWelcomeAndStrictJSON(t *testing.T) {
	w := Welcome{Version: 1, Info: WelcomeInfo{Server: "parley/dev", User: "ABCD1234", Name: "Ann", Public: []byte{1, 2}, Tenant: "acme"}}
	p, err := w.Encode()
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseWelcome(p)
	if err != nil || got.Version != 1 || got.Info.User != "ABCD1234" || !bytes.Equal(got.Info.Public, []byte{1, 2}) {
		t.Fatalf("welcome: %+v, %v", got, err)
	}
	var v struct{ A int }
	for _, bad := range []string{`{"A":1,"B":2}`, `{"A":1} {}`, `[1]`, ``} {
		if err := Decode([]byte(bad), &v); !errors.Is(err, ErrFrame) {
			t.Errorf("Decode(%q) = %v, want ErrFrame", bad, err)
		}
	}
}

// TestIsRequest: the requests are the kinds from whoami to the last one,
// with no gap; the handshake, answers and pushes are not requests.
func TestIsRequest(t *testing.T) {
	for _, k := range []Kind{KindHello, KindWelcome, KindOK, KindError, KindPush, KindWhoami - 1, lastRequest + 1, 0xff} {
		if k.IsRequest() {
			t.Errorf("kind %#02x is a request", byte(k))
		}
	}
	for k := KindWhoami; k <= lastRequest; k++ {
		if !k.IsRequest() {
			t.Errorf("kind %#02x is not a request", byte(k))
		}
	}
	for _, k := range []Kind{KindFind, KindGroupCreate, KindGroupLeave, KindSettings, KindClearQuietHours, KindBlobPutBegin, KindBlobDelete} {
		if !k.IsRequest() {
			t.Errorf("kind %#02x is not a request", byte(k))
		}
	}
}

// TestBlobChunkFits: a full upload chunk and a full download range, base64
// in JSON with the longest handle and offsets, fit in a frame.
func TestBlobChunkFits(t *testing.T) {
	data := make([]byte, MaxBlobChunk)
	for name, v := range map[string]any{
		"chunk": BlobPutChunkRequest{Upload: strings.Repeat("9", 20), Offset: math.MaxInt64, Data: data},
		"range": BlobRange{Data: data, Size: math.MaxInt64},
	} {
		js, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		if err := WriteFrame(io.Discard, Frame{Kind: KindOK, ID: math.MaxUint32, Payload: js}); err != nil {
			t.Errorf("a full %s of %d bytes: %v", name, len(js), err)
		}
	}
}

// FuzzReadFrame: no input makes the parser panic, allocate beyond the
// limit, or return a frame that does not write back to the same bytes.
func FuzzReadFrame(f *testing.F) {
	f.Add(append(binary.BigEndian.AppendUint32(nil, 5), 0x03, 0, 0, 0, 1))
	f.Add(append(binary.BigEndian.AppendUint32(nil, 15), append([]byte{0x01, 0, 0, 0, 0}, Hello{Min: 1, Max: 1}.Encode()...)...))
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	group := []byte(`{"name":"Team","members":["K7ZP4Q2M"]}`)
	f.Add(append(binary.BigEndian.AppendUint32(nil, uint32(5+len(group))), append([]byte{byte(KindGroupCreate), 0, 0, 0, 2}, group...)...))
	chunk := []byte(`{"upload":"1","offset":0,"data":"AAEC"}`)
	f.Add(append(binary.BigEndian.AppendUint32(nil, uint32(5+len(chunk))), append([]byte{byte(KindBlobPutChunk), 0, 0, 0, 3}, chunk...)...))
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bytes.NewReader(b)
		fr, err := ReadFrame(r)
		if err != nil {
			return
		}
		if len(fr.Payload) > MaxFrame {
			t.Fatalf("payload of %d bytes", len(fr.Payload))
		}
		back, err := AppendFrame(nil, fr)
		if err != nil || !bytes.Equal(back, b[:len(b)-r.Len()]) {
			t.Fatalf("frame %+v wrote back as %x, read from %x (%v)", fr, back, b, err)
		}
		if fr.Kind == KindHello {
			if h, err := ParseHello(fr.Payload); err == nil && h.Min > h.Max {
				t.Fatalf("hello %+v accepted", h)
			}
		}
	})
}
