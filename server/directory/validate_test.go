package directory_test

import (
	"errors"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/parley-chat/parley/server/directory"
)

func TestNormalizeTenantName(t *testing.T) {
	tests := []struct {
		in, want string // want "": refused
	}{
		{"acme", "acme"},
		{"ACME", "acme"},
		{"  Acme-Corp\t", "acme-corp"},
		{"a", "a"},
		{"0", "0"},
		{"9lives", "9lives"},
		{"a-b-c", "a-b-c"},
		{"acme-", "acme-"},
		{strings.Repeat("x", 63), strings.Repeat("x", 63)},
		{strings.Repeat("X", 63), strings.Repeat("x", 63)},

		{"", ""},
		{"   ", ""},
		{"-acme", ""},
		{"acme corp", ""},
		{"acme_corp", ""},
		{"acme.corp", ""},
		{"acme/corp", ""},
		{strings.Repeat("x", 64), ""},
		{"ac\x00me", ""},
		{"ac\x1bme", ""},
		{"acme\u202e", ""},
		{"acme\u200b", ""},
		{"bäckerei", ""},
		{"\xff", ""},
	}
	for _, tt := range tests {
		got, err := directory.NormalizeTenantName(tt.in)
		if tt.want == "" {
			if !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("NormalizeTenantName(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeTenantName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeDomain(t *testing.T) {
	label63 := strings.Repeat("a", 63)
	tests := []struct {
		in, want string // want "": refused
	}{
		{"example.com", "example.com"},
		{"Example.COM", "example.com"},
		{"  mail.example.com ", "mail.example.com"},
		{"a.b.c.d.example", "a.b.c.d.example"},
		{"xn--bckerei-4wa.de", "xn--bckerei-4wa.de"},
		{"my-company.example", "my-company.example"},
		{"123.example", "123.example"},
		{label63 + ".example", label63 + ".example"},
		// 4 labels of 61, 4 dots and "com": 251 characters.
		{strings.Repeat(strings.Repeat("b", 61)+".", 4) + "com", strings.Repeat(strings.Repeat("b", 61)+".", 4) + "com"},

		{"", ""},
		{"localhost", ""},
		{"example", ""},
		{".example.com", ""},
		{"example.com.", ""},
		{"example..com", ""},
		{"-example.com", ""},
		{"example-.com", ""},
		{"exa mple.com", ""},
		{"exa_mple.com", ""},
		{"example.c", ""},
		{"example.123", ""},
		{"1.2.3.4", ""},
		{"[1.2.3.4]", ""},
		{"ada@example.com", ""},
		{"bäckerei.de", ""},
		{"example.com\x00", ""},
		{strings.Repeat("a", 64) + ".example", ""},
		// 4 labels of 62, 4 dots and "com": 255 characters, over 253.
		{strings.Repeat(strings.Repeat("b", 62)+".", 4) + "com", ""},
	}
	for _, tt := range tests {
		got, err := directory.NormalizeDomain(tt.in)
		if tt.want == "" {
			if !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("NormalizeDomain(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeDomain(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizePersonName(t *testing.T) {
	tests := []struct {
		in, want string // want "": refused
	}{
		{"Ada Lovelace", "Ada Lovelace"},
		{"  Ada  ", "Ada"},
		{"\tAda\n", "Ada"},
		{"Zoë Ñúñez", "Zoë Ñúñez"},
		{"李小龙", "李小龙"},
		{"O'Brien-Smith, Jr.", "O'Brien-Smith, Jr."},
		{"Ada 🚀", "Ada 🚀"},
		{"a", "a"},
		{strings.Repeat("é", 100), strings.Repeat("é", 100)},
		{" " + strings.Repeat("x", 100) + " ", strings.Repeat("x", 100)},

		{"", ""},
		{"   ", ""},
		{strings.Repeat("é", 101), ""},
		{"Ada\nLovelace", ""},
		{"Ada\rLovelace", ""},
		{"Ada\tLovelace", ""},
		{"Ada\x00", ""},
		{"Ada\x7f", ""},
		{"\x1b[2JAda", ""},
		{"Ada\u0085x", ""}, // NEL, a C1 control (trimmed at the ends as white space)
		{"Ada\u009b31m", ""},
		{"Ada\u202e", ""}, // right-to-left override
		{"Ada\u202a", ""}, // left-to-right embedding
		{"Ada\u2066x", ""},
		{"Ada\u2069", ""},
		{"Ada\u200e", ""},
		{"Ada\u200f", ""},
		{"Ada\u061c", ""},
		{"Ada\xff", ""},
		{"\xc3", ""},
	}
	for _, tt := range tests {
		got, err := directory.NormalizePersonName(tt.in)
		if tt.want == "" {
			if !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("NormalizePersonName(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizePersonName(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestNormalizeEmail(t *testing.T) {
	tests := []struct {
		in, wantAddr, wantDomain string // wantAddr "": refused
	}{
		{"ada@example.com", "ada@example.com", "example.com"},
		{"Ada@Example.COM", "Ada@example.com", "example.com"},
		{"  ada@example.com  ", "ada@example.com", "example.com"},
		{"ada.lovelace+tag@mail.example.com", "ada.lovelace+tag@mail.example.com", "mail.example.com"},
		{"a_b-c!#$%&'*/=?^`{|}~@example.com", "a_b-c!#$%&'*/=?^`{|}~@example.com", "example.com"},

		{"", "", ""},
		{"ada", "", ""},
		{"@example.com", "", ""},
		{"ada@", "", ""},
		{"ada@@example.com", "", ""},
		{"ada@localhost", "", ""},
		{"ada@example", "", ""},
		{"ada@[127.0.0.1]", "", ""},
		{"ada@exa_mple.com", "", ""},
		{"Ada <ada@example.com>", "", ""},
		{"<ada@example.com>", "", ""},
		{"ada@example.com (Ada)", "", ""},
		{`"ada lovelace"@example.com`, "", ""},
		{"ada@example.com, bob@example.com", "", ""},
		{"ada lovelace@example.com", "", ""},
		{".ada@example.com", "", ""},
		{"ada.@example.com", "", ""},
		{"ada..l@example.com", "", ""},
		{"ada\x00@example.com", "", ""},
		{"ada\n@example.com", "", ""},
		{"ada@example.com\r\nBcc: eve@example.com", "", ""},
		{strings.Repeat("a", 243) + "@example.com", "", ""}, // 255 characters
	}
	for _, tt := range tests {
		addr, domain, err := directory.NormalizeEmail(tt.in)
		if tt.wantAddr == "" {
			if !errors.Is(err, directory.ErrInvalid) {
				t.Errorf("NormalizeEmail(%q) = %q, %q, %v; want ErrInvalid", tt.in, addr, domain, err)
			}
			continue
		}
		if err != nil || addr != tt.wantAddr || domain != tt.wantDomain {
			t.Errorf("NormalizeEmail(%q) = %q, %q, %v; want %q, %q", tt.in, addr, domain, err, tt.wantAddr, tt.wantDomain)
		}
	}
}

// Errors quote the input back to the person at the terminal: clipped, and
// with control and bidi characters defanged.
func TestValidationErrorsDefangInput(t *testing.T) {
	long := strings.Repeat("é", 500)
	tests := []struct {
		name string
		err  error
	}{
		{"tenant name with escape", second(directory.NormalizeTenantName("\x1b[2J\x1b]0;pwned\x07"))},
		{"tenant name with bidi", second(directory.NormalizeTenantName("acme\u202egpj.exe"))},
		{"long tenant name", second(directory.NormalizeTenantName(long))},
		{"domain with newline", second(directory.NormalizeDomain("evil\n.example"))},
		{"long domain", second(directory.NormalizeDomain(long))},
		{"e-mail with escape", third(directory.NormalizeEmail("\x1b[31mada@example.com"))},
		{"long e-mail", third(directory.NormalizeEmail(long + "@example.com"))},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, directory.ErrInvalid) {
			t.Errorf("%s: error = %v, want ErrInvalid", tt.name, tt.err)
			continue
		}
		msg := tt.err.Error()
		for _, r := range msg {
			if unicode.IsControl(r) || (r >= 0x202a && r <= 0x202e) {
				t.Errorf("%s: error %q holds %U", tt.name, msg, r)
			}
		}
		if n := utf8.RuneCountInString(msg); n > 200 {
			t.Errorf("%s: error is %d characters long, want the input clipped", tt.name, n)
		}
	}
}

func second[T any](_ T, err error) error        { return err }
func third[T, U any](_ T, _ U, err error) error { return err }

func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{
		"ada@example.com", "Ada@Example.COM", " ada@example.com ", "ada.lovelace+tag@mail.example.com",
		"Ada <ada@example.com>", `"a b"@example.com`, "ada@[127.0.0.1]", "ada@localhost", "ada", "",
		"ada@example.com, bob@example.com", "ada\x00@example.com", "ada@exa_mple.com", "\xff@example.com",
		"ada@\u212aelvin.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		addr, domain, err := directory.NormalizeEmail(s)
		if err != nil {
			if !errors.Is(err, directory.ErrInvalid) {
				t.Fatalf("NormalizeEmail(%q) error %v is not ErrInvalid", s, err)
			}
			if addr != "" || domain != "" {
				t.Fatalf("NormalizeEmail(%q) refused but returned %q, %q", s, addr, domain)
			}
			return
		}
		if !strings.HasSuffix(addr, "@"+domain) {
			t.Fatalf("NormalizeEmail(%q) = %q, %q: the address is not in the domain", s, addr, domain)
		}
		if d, err := directory.NormalizeDomain(domain); err != nil || d != domain {
			t.Fatalf("NormalizeEmail(%q) domain %q normalises to %q, %v", s, domain, d, err)
		}
		if len(addr) > 254 {
			t.Fatalf("NormalizeEmail(%q) = %q: %d bytes, over 254", s, addr, len(addr))
		}
		for _, r := range addr {
			if unicode.IsControl(r) {
				t.Fatalf("NormalizeEmail(%q) = %q holds control character %U", s, addr, r)
			}
		}
		addr2, domain2, err := directory.NormalizeEmail(addr)
		if err != nil || addr2 != addr || domain2 != domain {
			t.Fatalf("NormalizeEmail(%q) = %q, %q; but that normalises to %q, %q, %v", s, addr, domain, addr2, domain2, err)
		}
	})
}
