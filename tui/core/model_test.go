package core

import (
	"encoding/json"
	"testing"

	"github.com/parley-chat/parley/crypto"
)

// Records written before conversations had kinds carry a "peer"; they
// must still open as 1:1 conversations.
func TestLegacyRecordsOpenAsDirect(t *testing.T) {
	bob := crypto.ID{'B', 'O', 'B', 'B', 'O', 'B', '0', '1'}
	var m Message
	if err := json.Unmarshal([]byte(`{"peer":"BOBBOB01","id":[1,2,3,4,5,6,7,8],"text":"hi","state":6}`), &m); err != nil {
		t.Fatal(err)
	}
	if got, want := m.Conv, Direct(bob); got != want {
		t.Fatalf("legacy message conv = %v, want %v", got, want)
	}
	if m.From != bob || m.Kind != KindText {
		t.Fatalf("legacy message from %v kind %d, want %v, text", m.From, m.Kind, bob)
	}
	var c Conversation
	if err := json.Unmarshal([]byte(`{"peer":"BOBBOB01","name":"Bob","unread":2}`), &c); err != nil {
		t.Fatal(err)
	}
	if c.Ref != Direct(bob) || c.Name != "Bob" || c.Unread != 2 {
		t.Fatalf("legacy conversation = %+v", c)
	}
	// A new record keeps its own reference.
	b, err := json.Marshal(Conversation{Ref: GroupConv("0123456789abcdef"), Name: "Team"})
	if err != nil {
		t.Fatal(err)
	}
	var back Conversation
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Ref != GroupConv("0123456789abcdef") {
		t.Fatalf("round trip ref = %v", back.Ref)
	}
}

func TestConvRefString(t *testing.T) {
	bob := crypto.ID{'B', 'O', 'B', 'B', 'O', 'B', '0', '1'}
	for ref, want := range map[ConvRef]string{Direct(bob): "BOBBOB01", GroupConv("ab"): "group:ab", ListConv("cd"): "list:cd"} {
		if got := ref.String(); got != want {
			t.Errorf("%#v.String() = %q, want %q", ref, got, want)
		}
	}
}

func TestPollResultsAndReadCount(t *testing.T) {
	a, b := crypto.ID{'A'}, crypto.ID{'B'}
	p := Poll{Choices: []string{"yes", "no", "maybe"}, Votes: map[crypto.ID][]int{a: {0, 2}, b: {0}}}
	got := p.Results()
	if got[0] != 2 || got[1] != 0 || got[2] != 1 {
		t.Fatalf("results = %v, want [2 0 1]", got)
	}
	m := Message{Recipients: map[crypto.ID]State{a: StateRead, b: StateDelivered}}
	if r, of := m.ReadCount(); r != 1 || of != 2 {
		t.Fatalf("read count = %d/%d, want 1/2", r, of)
	}
}
