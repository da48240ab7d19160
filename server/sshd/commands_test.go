package sshd

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestJoinFreeText(t *testing.T) {
	for _, c := range []struct{ in, want []string }{
		{[]string{"user", "create", "--name", "Ada", "Lovelace", "--tenant", "acme"},
			[]string{"user", "create", "--name", "Ada Lovelace", "--tenant", "acme"}},
		{[]string{"user", "create", "--tenant", "acme", "--name", "Ada Lovelace"},
			[]string{"user", "create", "--tenant", "acme", "--name", "Ada Lovelace"}},
		{[]string{"--name=Ada", "B.", "King", "--json"}, []string{"--name=Ada B. King", "--json"}},
		{[]string{"--name"}, []string{"--name"}},
		{[]string{"tenant", "create", "acme", "--seats", "5"}, []string{"tenant", "create", "acme", "--seats", "5"}},
	} {
		if diff := cmp.Diff(c.want, joinFreeText(c.in, "--name")); diff != "" {
			t.Errorf("joinFreeText(%q): (-want +got)\n%s", c.in, diff)
		}
	}
}
