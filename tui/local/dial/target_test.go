package dial

import (
	"errors"
	"strings"
	"testing"
)

var targetTests = []struct {
	in      string
	want    Target
	wantErr string // a part of the error text; "" for success
}{
	{in: "ann@chat.example:2222", want: Target{User: "ann", Host: "chat.example", Port: 2222}},
	{in: "chat.example", want: Target{Host: "chat.example"}},
	{in: "ann@chat.example", want: Target{User: "ann", Host: "chat.example"}},
	{in: "chat.example:22", want: Target{Host: "chat.example", Port: 22}},
	{in: "[::1]:2222", want: Target{Host: "::1", Port: 2222}},
	{in: "[::1]", want: Target{Host: "::1"}},
	{in: "::1", want: Target{Host: "::1"}},
	{in: "bob@[fe80::1%eth0]:65535", want: Target{User: "bob", Host: "fe80::1%eth0", Port: 65535}},
	{in: "[chat.example]:2222", want: Target{Host: "chat.example", Port: 2222}},
	{in: "alias", want: Target{Host: "alias"}},
	{in: "ann@corp@chat.example", want: Target{User: "ann@corp", Host: "chat.example"}},
	{in: "127.0.0.1:1", want: Target{Host: "127.0.0.1", Port: 1}},

	{in: "", wantErr: "empty"},
	{in: "@host", wantErr: "empty user"},
	{in: "ann@", wantErr: "empty host"},
	{in: ":2222", wantErr: "empty host"},
	{in: "host:notaport", wantErr: `invalid port "notaport"`},
	{in: "host:", wantErr: "empty port"},
	{in: "host:0", wantErr: "port 0 out of range"},
	{in: "host:65536", wantErr: "port 65536 out of range"},
	{in: "host:99999999999999999999999", wantErr: "out of range"},
	{in: "host:+22", wantErr: "invalid port"},
	{in: "host:-1", wantErr: "invalid port"},
	{in: "[::1", wantErr: "missing ']'"},
	{in: "[::1]x", wantErr: "after ']'"},
	{in: "[::1]:", wantErr: "empty port"},
	{in: "a:b:c", wantErr: "not an IPv6 address"},
	{in: "-oProxyCommand=x", wantErr: "begins with '-'"},
	{in: "ann smith@host", wantErr: "spaces"},
	{in: "host name", wantErr: "cannot have"},
	{in: "host/path", wantErr: "cannot have"},
	{in: "ho\x00st", wantErr: "cannot have"},
}

func TestParseTarget(t *testing.T) {
	t.Parallel()
	for _, tt := range targetTests {
		got, err := ParseTarget(tt.in)
		if tt.wantErr != "" {
			if err == nil {
				t.Errorf("ParseTarget(%q) = %+v, want an error with %q", tt.in, got, tt.wantErr)
				continue
			}
			if !errors.Is(err, ErrInvalidTarget) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseTarget(%q) error = %q, want ErrInvalidTarget with %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseTarget(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseTarget(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func TestTargetString(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in   Target
		want string
	}{
		{Target{User: "ann", Host: "chat.example", Port: 2222}, "ann@chat.example:2222"},
		{Target{Host: "chat.example"}, "chat.example"},
		{Target{Host: "::1"}, "[::1]"},
		{Target{User: "ann", Host: "::1", Port: 22}, "ann@[::1]:22"},
	} {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, tt := range targetTests {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTarget(s)
		if err != nil {
			return
		}
		again, err := ParseTarget(got.String())
		if err != nil {
			t.Fatalf("ParseTarget(%q) = %+v, but its String %q does not parse: %v", s, got, got.String(), err)
		}
		if again != got {
			t.Fatalf("ParseTarget(%q) = %+v, ParseTarget(%q) = %+v", s, got, got.String(), again)
		}
	})
}
