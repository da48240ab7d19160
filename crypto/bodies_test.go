package crypto

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// wantErr checks that err wraps want (nil: no error).
func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	if want == nil && err != nil {
		t.Errorf("%s: unexpected error %v", what, err)
	}
	if want != nil && !errors.Is(err, want) {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

// checkParseErr asserts a Parse error wraps one of the package's parse sentinels.
func checkParseErr(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) && !errors.Is(err, ErrInvalidID) {
		t.Fatalf("error %v wraps neither ErrMalformed nor ErrTooLarge", err)
	}
}

var mid = MessageID{0x3f, 0x1c, 0x9a, 0x07, 0xd2, 0x55, 0xe8, 0x41}

// ---- quote ----

func TestQuoteText(t *testing.T) {
	b := MarshalQuoteText(mid, "Agreed, see you at 10.")
	if got, want := string(b), "> quote #3f1c9a07d255e841\n\nAgreed, see you at 10."; got != want {
		t.Fatalf("MarshalQuoteText = %q, want %q", got, want)
	}
	id, body, ok := ParseQuoteText(string(b))
	if !ok || id != mid || body != "Agreed, see you at 10." {
		t.Fatalf("ParseQuoteText = %x, %q, %v", id, body, ok)
	}
	for _, s := range []string{
		"", "hello", "> quote #3f1c9a07d255e841", "> quote #3f1c9a07d255e841\n\n",
		"> quote #3f1c9a07d255e84\n\nshort id", "> quote #3f1c9a07d255e84z\n\nnot hex",
		"> quote #3f1c9a07d255e841\nx", "> quote 3f1c9a07d255e841\n\nno hash",
	} {
		if _, _, ok := ParseQuoteText(s); ok {
			t.Errorf("ParseQuoteText(%q) ok, want not a quote", s)
		}
	}
}

func FuzzParseQuoteText(f *testing.F) {
	f.Add("> quote #3f1c9a07d255e841\n\nhi")
	f.Add("> quote #3F1C9A07D255E841\n\nupper")
	f.Add("plain")
	f.Fuzz(func(t *testing.T, s string) {
		id, body, ok := ParseQuoteText(s)
		if !ok {
			return
		}
		id2, body2, ok := ParseQuoteText(string(MarshalQuoteText(id, body)))
		if !ok || id2 != id || body2 != body {
			t.Fatalf("round trip: got %x %q %v, want %x %q", id2, body2, ok, id, body)
		}
	})
}

// ---- location ----

func TestLocation(t *testing.T) {
	for _, l := range []Location{
		{Lat: 47.3769, Lon: 8.5417, Label: "Zürich HB, meeting point"},
		{Lat: -90, Lon: 180},
		{Lat: 90, Lon: -180, Label: "North Pole\nTop of the world"},
		{Lat: 0.1234567890123, Lon: -0.000001},
		{Lat: 1, Lon: 2, Label: strings.Repeat("é", MaxLocationLabel/2)},
	} {
		b, err := MarshalLocation(l)
		if err != nil {
			t.Fatalf("MarshalLocation(%+v): %v", l, err)
		}
		got, err := ParseLocation(b)
		if err != nil {
			t.Fatalf("ParseLocation(%q): %v", b, err)
		}
		if diff := cmp.Diff(l, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	b, _ := MarshalLocation(Location{Lat: 47.3769, Lon: 8.5417, Label: "HB"})
	if got, want := string(b), "47.3769,8.5417\nHB"; got != want {
		t.Errorf("layout %q, want %q", got, want)
	}
	// Threema's accuracy field is accepted and ignored.
	got, err := ParseLocation([]byte("47.1,8.2,15.5\nPlace"))
	if err != nil || got != (Location{Lat: 47.1, Lon: 8.2, Label: "Place"}) {
		t.Errorf("ParseLocation(with accuracy) = %+v, %v", got, err)
	}
}

func TestLocationBadInput(t *testing.T) {
	bad := map[string]error{
		"":                ErrMalformed,
		"47.1":            ErrMalformed,
		"47.1,":           ErrMalformed,
		",8":              ErrMalformed,
		"91,0":            ErrMalformed,
		"-90.0001,0":      ErrMalformed,
		"0,180.5":         ErrMalformed,
		"NaN,0":           ErrMalformed,
		"Inf,0":           ErrMalformed,
		"1e1,0":           ErrMalformed,
		"0x1p3,0":         ErrMalformed,
		" 1,2":            ErrMalformed,
		"1,2,3,4":         ErrMalformed,
		"1.2.3,4":         ErrMalformed,
		"+-1,2":           ErrMalformed,
		"-,2":             ErrMalformed,
		"1,2\nbad\xff":    ErrMalformed,
		"1,2\nesc\x1b[2J": ErrMalformed,
		"1,2\n" + strings.Repeat("x", MaxLocationLabel+1): ErrTooLarge,
		"1," + strings.Repeat("1", maxCoordText+1):        ErrMalformed,
	}
	for in, want := range bad {
		_, err := ParseLocation([]byte(in))
		wantErr(t, "ParseLocation("+truncate(in, 20)+")", err, want)
	}
	for _, l := range []Location{{Lat: math.NaN()}, {Lat: 0, Lon: math.Inf(1)}, {Lat: 100}, {Label: "a\x00b"}} {
		if _, err := MarshalLocation(l); !errors.Is(err, ErrMalformed) {
			t.Errorf("MarshalLocation(%+v): err = %v, want ErrMalformed", l, err)
		}
	}
}

func FuzzParseLocation(f *testing.F) {
	f.Add([]byte("47.3769,8.5417\nZürich HB"))
	f.Add([]byte("-90,180"))
	f.Add([]byte("1,2,3\nx\ny"))
	f.Add([]byte("NaN,1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLocation(b)
		if err != nil {
			checkParseErr(t, err)
			return
		}
		out, err := MarshalLocation(l)
		if err != nil {
			t.Fatalf("MarshalLocation(ParseLocation(%q)): %v", b, err)
		}
		l2, err := ParseLocation(out)
		if err != nil || l2 != l {
			t.Fatalf("round trip: got %+v, %v; want %+v", l2, err, l)
		}
	})
}

// ---- poll setup ----

func TestPollSetup(t *testing.T) {
	p := PollSetup{ID: mid, Question: "Lunch at 12?", Choices: []string{"Yes", "No", "Later <&>"}, Multi: true}
	b, err := MarshalPollSetup(p)
	if err != nil {
		t.Fatal(err)
	}
	want := string(mid[:]) + `{"d":"Lunch at 12?","c":[{"i":0,"n":"Yes"},{"i":1,"n":"No"},{"i":2,"n":"Later <&>"}],"t":1,"s":0}`
	if got := string(b); got != want {
		t.Fatalf("layout\n got %q\nwant %q", got, want)
	}
	for _, p := range []PollSetup{
		p,
		{ID: mid, Question: "Closed?\nSecond line", Choices: []string{"a", "b"}, Closed: true},
		{Question: strings.Repeat("q", MaxPollQuestion), Choices: bytesStrings(MaxPollChoices, MaxPollChoice)},
	} {
		b, err := MarshalPollSetup(p)
		if err != nil {
			t.Fatalf("MarshalPollSetup(%+v): %v", p, err)
		}
		got, err := ParsePollSetup(b)
		if err != nil {
			t.Fatalf("ParsePollSetup: %v", err)
		}
		if diff := cmp.Diff(p, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	// Unknown fields (Threema's "a", "u", …) are ignored.
	got, err := ParsePollSetup(append(mid[:], `{"d":"Q","c":[{"i":0,"n":"A","o":0},{"i":1,"n":"B"}],"t":0,"s":0,"a":0,"u":[]}`...))
	if err != nil || got.Question != "Q" || len(got.Choices) != 2 {
		t.Errorf("ParsePollSetup(extra fields) = %+v, %v", got, err)
	}
}

func bytesStrings(n, size int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = strings.Repeat(string(rune('a'+i)), size)
	}
	return out
}

func TestPollSetupBadInput(t *testing.T) {
	head := string(mid[:])
	bad := map[string]error{
		"":                                       ErrMalformed,
		"1234567":                                ErrMalformed,
		head:                                     ErrMalformed,
		head + "{}":                              ErrMalformed,
		head + `{"d":"Q","c":[{"i":0,"n":"A"}]}`: ErrMalformed,
		head + `{"d":"","c":[{"i":0,"n":"A"},{"i":1,"n":"B"}]}`:                                               ErrMalformed,
		head + `{"d":"Q","c":[{"i":0,"n":"A"},{"i":1,"n":""}]}`:                                               ErrMalformed,
		head + `{"d":"Q","c":[{"i":0,"n":"A"},{"i":2,"n":"B"}]}`:                                              ErrMalformed,
		head + `{"d":"Q","c":[{"i":1,"n":"A"},{"i":0,"n":"B"}]}`:                                              ErrMalformed,
		head + `{"d":"Q","c":[{"i":0,"n":"A"},{"i":1,"n":"B"}],"t":2}`:                                        ErrMalformed,
		head + `{"d":"Q","c":[{"i":0,"n":"A"},{"i":1,"n":"B"}],"s":-1}`:                                       ErrMalformed,
		head + `{"d":"Q","c":[{"i":0,"n":"A"},{"i":1,"n":"B"}]}trail`:                                         ErrMalformed,
		head + `{"d":"Q","c":[{"i":0,"n":"A\u0007"},{"i":1,"n":"B"}]}`:                                        ErrMalformed,
		head + `{"d":"Q","c":"AB"}`:                                                                           ErrMalformed,
		head + `{"d":"` + strings.Repeat("q", MaxPollQuestion+1) + `","c":[{"i":0,"n":"A"},{"i":1,"n":"B"}]}`: ErrTooLarge,
		head + `{"d":"Q","c":[{"i":0,"n":"` + strings.Repeat("a", MaxPollChoice+1) + `"},{"i":1,"n":"B"}]}`:   ErrTooLarge,
		string(make([]byte, MaxBodyLen+1)):                                                                    ErrTooLarge,
	}
	for in, want := range bad {
		_, err := ParsePollSetup([]byte(in))
		wantErr(t, "ParsePollSetup("+truncate(in, 40)+")", err, want)
	}
	for _, p := range []PollSetup{
		{Question: "Q", Choices: []string{"only one"}},
		{Question: "Q", Choices: bytesStrings(MaxPollChoices+1, 1)},
		{Question: "", Choices: []string{"a", "b"}},
	} {
		if _, err := MarshalPollSetup(p); !errors.Is(err, ErrMalformed) {
			t.Errorf("MarshalPollSetup(%+v): err = %v, want ErrMalformed", p, err)
		}
	}
}

func FuzzParsePollSetup(f *testing.F) {
	f.Add(append(mid[:], `{"d":"Lunch?","c":[{"i":0,"n":"Yes"},{"i":1,"n":"No"}],"t":0,"s":0}`...))
	f.Add(append(mid[:], `{"d":"Q","c":[{"i":0,"n":"A"},{"i":1,"n":"B"}],"t":1,"s":1,"x":[1,2]}`...))
	f.Add([]byte("12345678{}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePollSetup(b)
		if err != nil {
			checkParseErr(t, err)
			return
		}
		out, err := MarshalPollSetup(p)
		if err != nil {
			t.Fatalf("MarshalPollSetup(ParsePollSetup(%q)): %v", b, err)
		}
		p2, err := ParsePollSetup(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(p, p2); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

// ---- poll vote ----

func TestPollVote(t *testing.T) {
	creator, _ := ParseID("K7Q2M9XA")
	v := PollVote{Creator: creator, Poll: mid, Choices: []int{2, 0}}
	b, err := MarshalPollVote(v)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(b), "K7Q2M9XA"+string(mid[:])+"[0,2]"; got != want {
		t.Fatalf("layout %q, want %q", got, want)
	}
	got, err := ParsePollVote(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(PollVote{Creator: creator, Poll: mid, Choices: []int{0, 2}}, got); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
	// Withdrawal: no choices.
	b, err = MarshalPollVote(PollVote{Creator: creator, Poll: mid})
	if err != nil || !strings.HasSuffix(string(b), "[]") {
		t.Fatalf("MarshalPollVote(withdraw) = %q, %v", b, err)
	}
	if got, err := ParsePollVote(b); err != nil || got.Choices == nil || len(got.Choices) != 0 {
		t.Fatalf("ParsePollVote(withdraw) = %+v, %v; want empty, non-nil choices", got, err)
	}
}

func TestPollVoteBadInput(t *testing.T) {
	head := "K7Q2M9XA" + string(mid[:])
	bad := map[string]error{
		"":                                  ErrMalformed,
		head:                                ErrMalformed,
		"k7q2m9xa" + string(mid[:]) + "[0]": ErrMalformed,
		head + "null":                       ErrMalformed,
		head + "{}":                         ErrMalformed,
		head + "[-1]":                       ErrMalformed,
		head + "[20]":                       ErrMalformed,
		head + "[1,1]":                      ErrMalformed,
		head + "[1.5]":                      ErrMalformed,
		head + `["1"]`:                      ErrMalformed,
		head + "[0]x":                       ErrMalformed,
		head + "[99999999999999999999]":     ErrMalformed,
		head + "[" + strings.Repeat("0,", MaxBodyLen/2) + "0]": ErrTooLarge,
	}
	for in, want := range bad {
		_, err := ParsePollVote([]byte(in))
		wantErr(t, "ParsePollVote("+truncate(in, 30)+")", err, want)
	}
	creator, _ := ParseID("K7Q2M9XA")
	for _, v := range []PollVote{
		{Poll: mid, Choices: []int{0}},
		{Creator: creator, Choices: []int{0, 0}},
		{Creator: creator, Choices: []int{MaxPollChoices}},
	} {
		if _, err := MarshalPollVote(v); err == nil {
			t.Errorf("MarshalPollVote(%+v) succeeded, want an error", v)
		}
	}
}

func FuzzParsePollVote(f *testing.F) {
	f.Add([]byte("K7Q2M9XA" + string(mid[:]) + "[0,2]"))
	f.Add([]byte("K7Q2M9XA" + string(mid[:]) + "[]"))
	f.Add([]byte("K7Q2M9XA" + string(mid[:]) + " [ 3 , 1 ] "))
	f.Fuzz(func(t *testing.T, b []byte) {
		v, err := ParsePollVote(b)
		if err != nil {
			checkParseErr(t, err)
			return
		}
		out, err := MarshalPollVote(v)
		if err != nil {
			t.Fatalf("MarshalPollVote(ParsePollVote(%q)): %v", b, err)
		}
		v2, err := ParsePollVote(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(v, v2); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

// ---- file ----

func testFile() FileMessage {
	var k [32]byte
	for i := range k {
		k[i] = byte(i)
	}
	return FileMessage{Blob: "00112233445566778899aabbccddeeff", Key: k, Name: "Q3 report.pdf", Mime: "application/pdf", Size: 482113, Caption: "Final <version>"}
}

func TestFileMessage(t *testing.T) {
	f := testFile()
	b, err := MarshalFileMessage(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"b":"00112233445566778899aabbccddeeff","k":"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f","m":"application/pdf","n":"Q3 report.pdf","s":482113,"d":"Final <version>","j":0}`
	if got := string(b); got != want {
		t.Fatalf("layout\n got %s\nwant %s", got, want)
	}
	for _, f := range []FileMessage{
		f,
		{Blob: f.Blob, Name: "ä", Mime: "text/plain; charset=utf-8"},
		{Blob: f.Blob, Name: strings.Repeat("n", MaxFileName), Mime: DefaultMime, Size: 1 << 40, Caption: strings.Repeat("c", MaxFileCaption)},
		{Blob: f.Blob, Name: "👨‍👩‍👧 family.jpg", Mime: "image/jpeg"},
	} {
		b, err := MarshalFileMessage(f)
		if err != nil {
			t.Fatalf("MarshalFileMessage(%+v): %v", f, err)
		}
		got, err := ParseFileMessage(b)
		if err != nil {
			t.Fatalf("ParseFileMessage(%s): %v", b, err)
		}
		if diff := cmp.Diff(f, got); diff != "" {
			t.Errorf("round trip (-want +got):\n%s", diff)
		}
	}
	// Empty mime: the default, both ways.
	f2 := f
	f2.Mime = ""
	b, err = MarshalFileMessage(f2)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := ParseFileMessage(b); err != nil || got.Mime != DefaultMime {
		t.Errorf("empty mime: got %q, %v; want %q", got.Mime, err, DefaultMime)
	}
}

func TestFileMessageBadInput(t *testing.T) {
	good := testFile()
	mut := func(fn func(*FileMessage)) FileMessage { f := good; fn(&f); return f }
	bad := []struct {
		name string
		f    FileMessage
		want error
	}{
		{"short blob", mut(func(f *FileMessage) { f.Blob = "0011" }), ErrMalformed},
		{"upper blob", mut(func(f *FileMessage) { f.Blob = "00112233445566778899AABBCCDDEEFF" }), ErrMalformed},
		{"path blob", mut(func(f *FileMessage) { f.Blob = "../../../../etc/passwd0000000000" }), ErrMalformed},
		{"empty name", mut(func(f *FileMessage) { f.Name = "" }), ErrMalformed},
		{"slash", mut(func(f *FileMessage) { f.Name = "../etc/passwd" }), ErrMalformed},
		{"backslash", mut(func(f *FileMessage) { f.Name = `..\boot.ini` }), ErrMalformed},
		{"nul", mut(func(f *FileMessage) { f.Name = "a\x00b" }), ErrMalformed},
		{"newline", mut(func(f *FileMessage) { f.Name = "a\nb" }), ErrMalformed},
		{"escape", mut(func(f *FileMessage) { f.Name = "\x1b]0;pwned\x07" }), ErrMalformed},
		{"bidi", mut(func(f *FileMessage) { f.Name = "invoice\u202efdp.exe" }), ErrMalformed},
		{"dotdot", mut(func(f *FileMessage) { f.Name = ".." }), ErrMalformed},
		{"dot", mut(func(f *FileMessage) { f.Name = "." }), ErrMalformed},
		{"not utf8", mut(func(f *FileMessage) { f.Name = "a\xffb" }), ErrMalformed},
		{"long name", mut(func(f *FileMessage) { f.Name = strings.Repeat("n", MaxFileName+1) }), ErrTooLarge},
		{"mime no slash", mut(func(f *FileMessage) { f.Mime = "pdf" }), ErrMalformed},
		{"mime control", mut(func(f *FileMessage) { f.Mime = "text/plain\n" }), ErrMalformed},
		{"negative size", mut(func(f *FileMessage) { f.Size = -1 }), ErrMalformed},
		{"long caption", mut(func(f *FileMessage) { f.Caption = strings.Repeat("c", MaxFileCaption+1) }), ErrTooLarge},
		{"caption utf8", mut(func(f *FileMessage) { f.Caption = "\xff" }), ErrMalformed},
	}
	for _, c := range bad {
		_, err := MarshalFileMessage(c.f)
		wantErr(t, "MarshalFileMessage "+c.name, err, c.want)
	}
	raw := map[string]error{
		"":   ErrMalformed,
		"[]": ErrMalformed,
		`{"b":"00112233445566778899aabbccddeeff","k":"00","m":"a/b","n":"x","s":1}`:                                    ErrMalformed,
		`{"b":"00112233445566778899aabbccddeeff","k":"` + strings.Repeat("G", 64) + `","m":"a/b","n":"x","s":1}`:       ErrMalformed,
		`{"b":"00112233445566778899aabbccddeeff","k":"` + strings.Repeat("0", 64) + `","m":"a/b","n":"x","s":1.5}`:     ErrMalformed,
		`{"b":"00112233445566778899aabbccddeeff","k":"` + strings.Repeat("0", 64) + `","m":"a/b","n":"x","s":1,"j":7}`: ErrMalformed,
		`{"b":"00112233445566778899aabbccddeeff","k":"` + strings.Repeat("0", 64) + `","m":"a/b","n":"a/b","s":1}`:     ErrMalformed,
		`{"b":"00112233445566778899aabbccddeeff","k":"` + strings.Repeat("0", 64) + `","m":"a/b","n":"x","s":1} {}`:    ErrMalformed,
		string(make([]byte, MaxBodyLen+1)): ErrTooLarge,
	}
	for in, want := range raw {
		_, err := ParseFileMessage([]byte(in))
		wantErr(t, "ParseFileMessage("+truncate(in, 30)+")", err, want)
	}
	// Threema's extra fields are ignored.
	in := `{"b":"00112233445566778899aabbccddeeff","k":"` + strings.Repeat("0", 64) + `","m":"image/jpeg","n":"p.jpg","s":3,"j":1,"t":"aa","p":"image/jpeg","x":{"w":1}}`
	if _, err := ParseFileMessage([]byte(in)); err != nil {
		t.Errorf("ParseFileMessage(Threema fields): %v", err)
	}
}

func TestSafeFileName(t *testing.T) {
	cases := map[string]string{
		"report.pdf":             "report.pdf",
		"../../etc/passwd":       ".._.._etc_passwd",
		`C:\Windows\x.exe`:       "C:_Windows_x.exe",
		"a\x00b\nc":              "a_b_c",
		"invoice\u202efdp.exe":   "invoice_fdp.exe",
		"":                       "file",
		"..":                     "file",
		" . ":                    "file",
		"  spaced  ":             "spaced",
		"bad\xffutf8":            "bad_utf8",
		strings.Repeat("é", 200): strings.Repeat("é", 127),
		"\x1b[31mred":            "_[31mred",
		"👨‍👩‍👧 family.jpg":       "👨‍👩‍👧 family.jpg",
	}
	for in, want := range cases {
		got := SafeFileName(in)
		if got != want {
			t.Errorf("SafeFileName(%q) = %q, want %q", in, got, want)
		}
		if err := CheckFileName(got); err != nil {
			t.Errorf("CheckFileName(SafeFileName(%q)): %v", in, err)
		}
	}
}

func FuzzParseFileMessage(f *testing.F) {
	b, _ := MarshalFileMessage(testFile())
	f.Add(b)
	f.Add([]byte(`{"b":"00112233445566778899aabbccddeeff","k":"` + strings.Repeat("0", 64) + `","m":"","n":"x","s":0,"j":2,"t":"x"}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := ParseFileMessage(b)
		if err != nil {
			checkParseErr(t, err)
			return
		}
		if err := CheckFileName(m.Name); err != nil {
			t.Fatalf("accepted file name %q: %v", m.Name, err)
		}
		out, err := MarshalFileMessage(m)
		if err != nil {
			t.Fatalf("MarshalFileMessage(ParseFileMessage(%q)): %v", b, err)
		}
		m2, err := ParseFileMessage(out)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if diff := cmp.Diff(m, m2); diff != "" {
			t.Fatalf("round trip (-want +got):\n%s", diff)
		}
	})
}

func FuzzSafeFileName(f *testing.F) {
	f.Add("../../etc/passwd")
	f.Add("invoice\u202efdp.exe")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		got := SafeFileName(s)
		if err := CheckFileName(got); err != nil {
			t.Fatalf("CheckFileName(SafeFileName(%q) = %q): %v", s, got, err)
		}
		if SafeFileName(got) != got {
			t.Fatalf("SafeFileName is not idempotent on %q", got)
		}
	})
}

// ---- reaction, edit, delete ----

func TestReaction(t *testing.T) {
	cases := []struct {
		r    Reaction
		code byte
	}{
		{Reaction{Message: mid, Agree: true}, 0x01},
		{Reaction{Message: mid}, 0x02},
		{Reaction{Message: mid, Agree: true, Withdraw: true}, 0x81},
		{Reaction{Message: mid, Withdraw: true}, 0x82},
	}
	for _, c := range cases {
		b := MarshalReaction(c.r)
		if want := append(mid[:], c.code); !bytes.Equal(b, want) {
			t.Errorf("MarshalReaction(%+v) = %x, want %x", c.r, b, want)
		}
		got, err := ParseReaction(b)
		if err != nil || got != c.r {
			t.Errorf("ParseReaction(%x) = %+v, %v; want %+v", b, got, err, c.r)
		}
	}
	for _, b := range [][]byte{nil, mid[:], append(mid[:], 0), append(mid[:], 3), append(mid[:], 0x80), append(mid[:], 1, 1)} {
		if _, err := ParseReaction(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseReaction(%x): err = %v, want ErrMalformed", b, err)
		}
	}
}

func FuzzParseReaction(f *testing.F) {
	f.Add(append(mid[:], 1))
	f.Add(append(mid[:], 0x82))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReaction(b)
		if err != nil {
			checkParseErr(t, err)
			return
		}
		if out := MarshalReaction(r); !bytes.Equal(out, b) {
			t.Fatalf("round trip: got %x, want %x", out, b)
		}
	})
}

func TestEditDelete(t *testing.T) {
	for _, text := range []string{"fixed typo", "Grüezi 👋", strings.Repeat("x", MaxTextLen)} {
		b, err := MarshalEdit(mid, text)
		if err != nil {
			t.Fatalf("MarshalEdit: %v", err)
		}
		id, got, err := ParseEdit(b)
		if err != nil || id != mid || got != text {
			t.Fatalf("ParseEdit = %x, %d bytes, %v", id, len(got), err)
		}
	}
	bad := map[string]error{
		"":                      ErrMalformed,
		"1234567":               ErrMalformed,
		string(mid[:]):          ErrMalformed,
		string(mid[:]) + "\xff": ErrMalformed,
		string(mid[:]) + strings.Repeat("x", MaxTextLen+1): ErrTooLarge,
	}
	for in, want := range bad {
		_, _, err := ParseEdit([]byte(in))
		wantErr(t, "ParseEdit("+truncate(in, 20)+")", err, want)
	}
	if _, err := MarshalEdit(mid, ""); !errors.Is(err, ErrMalformed) {
		t.Errorf("MarshalEdit(empty): err = %v, want ErrMalformed", err)
	}

	b := MarshalDelete(mid)
	if !bytes.Equal(b, mid[:]) {
		t.Fatalf("MarshalDelete = %x, want %x", b, mid[:])
	}
	b[0] ^= 0xff // the result must not alias the ID
	if id, err := ParseDelete(MarshalDelete(mid)); err != nil || id != mid {
		t.Fatalf("ParseDelete = %x, %v", id, err)
	}
	for _, b := range [][]byte{nil, mid[:7], append(mid[:], 0)} {
		if _, err := ParseDelete(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("ParseDelete(%x): err = %v, want ErrMalformed", b, err)
		}
	}
}

func FuzzParseEdit(f *testing.F) {
	f.Add(append(mid[:], "new text"...))
	f.Add(mid[:])
	f.Fuzz(func(t *testing.T, b []byte) {
		id, text, err := ParseEdit(b)
		if err != nil {
			checkParseErr(t, err)
			return
		}
		out, err := MarshalEdit(id, text)
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip: %x, %v", out, err)
		}
	})
}

func FuzzParseDelete(f *testing.F) {
	f.Add(mid[:])
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		id, err := ParseDelete(b)
		if err != nil {
			checkParseErr(t, err)
			return
		}
		if out := MarshalDelete(id); !bytes.Equal(out, b) {
			t.Fatalf("round trip: got %x, want %x", out, b)
		}
	})
}

// TestBodiesFitEnvelope checks that the largest body of every type pads and
// seals: the body limits and MaxBodyLen agree.
func TestBodiesFitEnvelope(t *testing.T) {
	text := strings.Repeat("x", MaxTextLen)
	edit, err := MarshalEdit(mid, text)
	if err != nil {
		t.Fatal(err)
	}
	groupEdit, err := MarshalGroup(GroupHeader{Key: "0123456789abcdef"}, edit)
	if err != nil {
		t.Fatal(err)
	}
	quote := MarshalQuoteText(mid, text)
	groupQuote, err := MarshalGroup(GroupHeader{Key: "0123456789abcdef"}, quote)
	if err != nil {
		t.Fatal(err)
	}
	poll, err := MarshalPollSetup(PollSetup{Question: strings.Repeat("\"", MaxPollQuestion), Choices: bytesStrings(MaxPollChoices, MaxPollChoice)})
	if err != nil {
		t.Fatal(err)
	}
	_, sa := keyPair(t)
	pb, _ := keyPair(t)
	for name, body := range map[string][]byte{"group edit": groupEdit, "group quote": groupQuote, "poll": poll} {
		env, err := SealEnvelope(nil, Header{}, Precompute(pb, sa), TypeGroupEdit, body)
		if err != nil {
			t.Fatalf("%s of %d bytes: %v", name, len(body), err)
		}
		if n := len(env.Marshal()); n > MaxEnvelopeSize {
			t.Errorf("%s: envelope of %d bytes, limit %d", name, n, MaxEnvelopeSize)
		}
	}
}
