package sshd

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

var secretCases = []struct {
	in, want string
	err      error
}{
	{"hunter22\r", "hunter22", nil},
	{"abc\x7fd\r", "abd", nil},
	{"abc\x15xyz\n", "xyz", nil},
	{"ab\x1b[Dcd\r", "abcd", nil},
	{"ä\x7fö\r", "ö", nil},
	{"abc\x03", "", errAborted},
	{"abc", "", io.EOF},
	{strings.Repeat("x", 2000) + "\r", "", errTooLong},
}

func TestReadSecret(t *testing.T) {
	for _, c := range secretCases {
		var echo bytes.Buffer
		got, err := readSecret(bufio.NewReader(strings.NewReader(c.in)), &echo, "Passphrase: ")
		if !errors.Is(err, c.err) || string(got) != c.want {
			t.Errorf("readSecret(%q) = %q, %v; want %q, %v", c.in, got, err, c.want, c.err)
		}
		if strings.Contains(echo.String(), "hunter") {
			t.Errorf("the secret was echoed: %q", echo.String())
		}
	}
}

func TestReadLine(t *testing.T) {
	for in, want := range map[string]string{"pass word\n": "pass word", "crlf\r\n": "crlf", "no newline": "no newline"} {
		got, err := readLine(bufio.NewReader(strings.NewReader(in)))
		if err != nil || string(got) != want {
			t.Errorf("readLine(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := readLine(bufio.NewReader(strings.NewReader(""))); !errors.Is(err, errNoSecret) {
		t.Errorf("empty input: %v", err)
	}
}

func FuzzReadSecret(f *testing.F) {
	for _, c := range secretCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, err := readSecret(bufio.NewReader(bytes.NewReader(in)), io.Discard, "")
		if err == nil {
			for _, b := range got {
				if b < 0x20 || b == 0x7f {
					t.Fatalf("control byte %#x in %q", b, got)
				}
			}
		}
		if len(got) > 1024 {
			t.Fatalf("%d bytes accepted", len(got))
		}
		_, _ = readLine(bufio.NewReader(bytes.NewReader(in)))
	})
}
