package chat

import (
	"context"
	"fmt"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// Benchmarks of the chat's View as a hosted session renders it: an open
// conversation of short and long messages, in and out, in every state,
// some with reactions, beside a chat list with previews.
//
//	go test -run '^$' -bench 'View' -benchmem -count 3 ./tui/chat/

// benchHistory is a conversation with Bob of n messages, a minute apart,
// oldest first.
func benchHistory(n int) []core.Message {
	texts := []string{
		"ok",
		"See you at the gym at nine?",
		"That was a great session. Next time let's try the overhang route on the north wall; " +
			"I think we're both ready for it, and the new holds they put up last week look *fun*.",
		"Bring the spare harness please, and the _long_ rope if you still have it.",
		"👍 sounds good",
	}
	states := []core.State{core.StateRead, core.StateDelivered, core.StateSent}
	start := time.Date(2025, 3, 15, 8, 0, 0, 0, time.UTC)
	msgs := make([]core.Message, n)
	for i := range msgs {
		m := core.Message{
			Conv: core.Direct(bob),
			ID:   benchID(i),
			Time: start.Add(time.Duration(i) * time.Minute),
			Text: fmt.Sprintf("%s (#%d)", texts[i%len(texts)], i),
			Kind: core.KindText,
		}
		// Runs of two or three messages from the same side.
		if i%5 < 2 {
			m.Outgoing, m.State = true, states[i%len(states)]
		} else {
			m.From, m.State = bob, core.StateReceived
		}
		if i%7 == 3 {
			m.Agree = []crypto.ID{bob}
		}
		if i%11 == 5 {
			m.Edited = m.Time.Add(time.Minute)
		}
		msgs[i] = m
	}
	return msgs
}

func benchID(i int) crypto.MessageID {
	var id crypto.MessageID
	id[0], id[1], id[2] = byte(i), byte(i>>8), byte(i>>16)
	return id
}

// benchModel is a model on the chat screen, w×h, with Bob's
// conversation open showing the first page of history.
func benchModel(b testing.TB, w, h int, history []core.Message, page int) *Model {
	b.Helper()
	svc := newFakeService()
	m := New(Options{Service: newFakeList(svc), Context: context.Background(), Location: time.UTC,
		Tenant: "Acme Climbing", Now: func() time.Time { return testNow }})
	m.Update(tea.WindowSizeMsg{Width: w, Height: h})
	m.screen = screenChat
	m.pass = nil
	m.input.Focus()
	var convs []core.Conversation
	m.prev.got = map[core.ConvRef]preview{}
	for i := range 12 {
		ref := core.Direct(bob)
		name := "Bob Builder"
		if i > 0 {
			ref = core.Direct(mustID(fmt.Sprintf("USER%04d", i)))
			name = fmt.Sprintf("Friend number %d", i)
		}
		c := core.Conversation{Ref: ref, Name: name, LastAt: testNow.Add(-time.Duration(i) * time.Hour), Unread: i % 3}
		convs = append(convs, c)
		m.prev.got[ref] = preview{of: summaryKey(&c), ok: true,
			last: core.LastMessage{From: ref.Peer, Preview: "the last thing said in this chat", Time: c.LastAt}}
	}
	m.prev.reading = true // no preview reads: the benchmark never runs commands
	m.convs = convs
	m.reloading = true // nor reloads
	m.openConversation(core.Direct(bob), "Bob Builder")
	m.pageLoaded(core.Page{Messages: append([]core.Message(nil), history[:page]...)}, m.lineCount)
	return m
}

// arrive is what a reload brings when one new message arrived: a fresh
// page, as the core decodes it again, ending at message n.
func arrive(history []core.Message, n, page int, convs []core.Conversation) loadedMsg {
	msgs := make([]core.Message, page)
	copy(msgs, history[n-page:n])
	return loadedMsg{convs: convs, peer: core.Direct(bob), page: core.Page{Messages: msgs}}
}

var benchSizes = [][2]int{{100, 30}, {200, 50}}

// BenchmarkViewNewMessage is one new message arriving in the open
// conversation: the reload's answer taken in, then one View.
func BenchmarkViewNewMessage(b *testing.B) {
	const page = 60
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			history := benchHistory(2000)
			m := benchModel(b, sz[0], sz[1], history, page)
			n := page
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				n++
				if n > len(history) {
					n = page + 1
				}
				m.Update(arrive(history, n, page, m.convs))
				_ = m.View()
			}
		})
	}
}

// BenchmarkViewIdle is a View when nothing changed (a status tick, a
// key that does nothing).
func BenchmarkViewIdle(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			m := benchModel(b, sz[0], sz[1], benchHistory(60), 60)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				_ = m.View()
			}
		})
	}
}
