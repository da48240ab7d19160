package sshd

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"

	gossh "golang.org/x/crypto/ssh"
)

func TestParsePublicKey(t *testing.T) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	signer, err := gossh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	line := strings.TrimSpace(string(gossh.MarshalAuthorizedKey(signer.PublicKey())))
	for _, c := range []struct {
		name, in, comment, err string
	}{
		{"bare", line, "", ""},
		{"with comment and newline", line + " olga@laptop\n", "olga@laptop", ""},
		{"blank and comment lines", "\n# Olga's key\n" + line + " olga\r\n\n", "olga", ""},
		{"with options", `no-pty,command="true" ` + line, "", ""},
		{"empty", "", "", "no public key on standard input"},
		{"only comments", "# nothing\n", "", "no public key on standard input"},
		{"two keys", line + "\n" + line + "\n", "", "has 2 lines"},
		{"garbage", "hello world\n", "", "not an OpenSSH public key"},
		{"private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "", "that is a private key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			pk, comment, err := parsePublicKey([]byte(c.in))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := gossh.FingerprintSHA256(pk), gossh.FingerprintSHA256(signer.PublicKey()); got != want {
				t.Errorf("fingerprint = %s, want %s", got, want)
			}
			if comment != c.comment {
				t.Errorf("comment = %q, want %q", comment, c.comment)
			}
		})
	}
}

func TestGroupSecret(t *testing.T) {
	for in, want := range map[string]string{
		"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP": "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP",
		"ABCDEF":                           "ABCD EF",
		"ABCD":                             "ABCD",
		"":                                 "",
	} {
		if got := groupSecret(in); got != want {
			t.Errorf("groupSecret(%q) = %q, want %q", in, got, want)
		}
	}
}
