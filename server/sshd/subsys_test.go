package sshd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"charm.land/ssh"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/server/blobs"
	"github.com/parley-chat/parley/server/directory"
	"github.com/parley-chat/parley/server/groups"
	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/server/quiet"
	"github.com/parley-chat/parley/server/relay"
	"github.com/parley-chat/parley/tui/core"
)

// fakeGroups records what the subsystem asked and answers one group.
type fakeGroups struct {
	core.Groups // methods the test does not use panic
	calls       []string
	ids         []crypto.ID
	err         error
}

func (g *fakeGroups) answer(call string, ids ...crypto.ID) (core.GroupInfo, error) {
	g.calls, g.ids = append(g.calls, call), ids
	if g.err != nil {
		return core.GroupInfo{}, g.err
	}
	me := crypto.ID{'A', 'N', 'N', 'A', 'N', 'N', '0', '1'}
	return core.GroupInfo{Key: "0123456789abcdef", Name: call, Creator: me, Admins: []crypto.ID{me},
		Members: append([]crypto.ID{me}, ids...)}, nil
}

func (g *fakeGroups) CreateGroup(_ context.Context, name string, members []crypto.ID) (core.GroupInfo, error) {
	return g.answer("create "+name, members...)
}

func (g *fakeGroups) MyGroups(context.Context) ([]core.GroupInfo, error) {
	gi, err := g.answer("mine")
	return []core.GroupInfo{gi}, err
}

func (g *fakeGroups) AddGroupMembers(_ context.Context, key string, ids []crypto.ID) (core.GroupInfo, error) {
	return g.answer("add "+key, ids...)
}

func (g *fakeGroups) SetGroupAdmin(_ context.Context, key string, id crypto.ID, admin bool) (core.GroupInfo, error) {
	return g.answer(fmt.Sprintf("admin %s %v", key, admin), id)
}

func (g *fakeGroups) LeaveGroup(_ context.Context, key string) error {
	_, err := g.answer("leave " + key)
	return err
}

// fakeAccount answers Settings and records the setters.
type fakeAccount struct {
	calls []string
	r     core.Restrictions
}

func (a *fakeAccount) Settings(context.Context) (core.Restrictions, error) { return a.r, nil }
func (a *fakeAccount) WatchSettings(func()) func()                         { return func() {} }
func (a *fakeAccount) SetNickname(_ context.Context, name string) error {
	a.calls = append(a.calls, "nick "+name)
	return nil
}

func (a *fakeAccount) SetQuietHours(_ context.Context, zone, spec string) error {
	a.calls = append(a.calls, "quiet "+zone+" "+spec)
	return nil
}

func (a *fakeAccount) ClearQuietHours(context.Context) error {
	a.calls = append(a.calls, "clear")
	return nil
}

func testConn(ports hosted.Ports) *protoConn {
	return &protoConn{s: &Server{log: slog.New(slog.DiscardHandler)}, p: &auth.Principal{Session: "test"}, ports: ports}
}

func request(kind proto.Kind, v any) proto.Frame {
	js, _ := json.Marshal(v)
	return proto.Frame{Kind: kind, ID: 1, Payload: js}
}

// TestSubsystemGroups: group requests reach the Groups port with their
// IDs parsed, and the answer carries IDs as text; bad IDs and oversized
// lists are refused as invalid before the port sees them; without a
// registry every group request is unknown; an unknown field ends the
// channel (bad_frame).
func TestSubsystemGroups(t *testing.T) {
	ctx := t.Context()
	gs := &fakeGroups{}
	c := testConn(hosted.Ports{Groups: gs})
	bob := crypto.ID{'B', 'O', 'B', 'B', 'O', 'B', '0', '2'}
	res, err := c.handle(ctx, request(proto.KindGroupCreate, proto.GroupCreateRequest{Name: "Team", Members: []string{"bobbob02"}}))
	g, _ := res.(proto.GroupInfo)
	if err != nil || g.Name != "create Team" || !slices.Equal(g.Members, []string{"ANNANN01", "BOBBOB02"}) || g.Creator != "ANNANN01" ||
		!slices.Equal(gs.ids, []crypto.ID{bob}) {
		t.Fatalf("create: %+v, %v; the port got %v", res, err, gs.ids)
	}
	res, err = c.handle(ctx, request(proto.KindGroupsMine, struct{}{}))
	if l, _ := res.(proto.GroupList); err != nil || len(l.Groups) != 1 || l.Groups[0].Key != "0123456789abcdef" {
		t.Fatalf("mine: %+v, %v", res, err)
	}
	if _, err := c.handle(ctx, request(proto.KindGroupAdmin, proto.GroupAdminRequest{Key: "k", ID: "BOBBOB02", Admin: true})); err != nil ||
		gs.calls[len(gs.calls)-1] != "admin k true" {
		t.Fatalf("admin: %v, calls %v", err, gs.calls)
	}
	if res, err := c.handle(ctx, request(proto.KindGroupLeave, proto.GroupRequest{Key: "k"})); err != nil || res != struct{}{} {
		t.Fatalf("leave: %+v, %v", res, err)
	}
	n := len(gs.calls)
	for name, f := range map[string]proto.Frame{
		"bad member":      request(proto.KindGroupAdd, proto.GroupMembersRequest{Key: "k", IDs: []string{"BOBBOB02", "no"}}),
		"bad admin":       request(proto.KindGroupAdmin, proto.GroupAdminRequest{Key: "k", ID: "?"}),
		"too many":        request(proto.KindGroupAdd, proto.GroupMembersRequest{Key: "k", IDs: make([]string, proto.MaxGroupMembers+1)}),
		"create too many": request(proto.KindGroupCreate, proto.GroupCreateRequest{Name: "x", Members: make([]string, proto.MaxGroupMembers+1)}),
	} {
		_, err := c.handle(ctx, f)
		if code, _ := c.classify(err); code != proto.CodeInvalid {
			t.Errorf("%s: %v (%s), want invalid", name, err, code)
		}
	}
	if len(gs.calls) != n {
		t.Errorf("refused requests reached the port: %v", gs.calls[n:])
	}
	if _, err := c.handle(ctx, proto.Frame{Kind: proto.KindGroup, Payload: []byte(`{"key":"k","extra":1}`)}); !errors.Is(err, proto.ErrFrame) {
		t.Errorf("an unknown field: %v, want ErrFrame", err)
	}
	gs.err = groups.ErrNotFound
	_, err = c.handle(ctx, request(proto.KindGroupLeave, proto.GroupRequest{Key: "k"}))
	if code, msg := c.classify(err); code != proto.CodeNotFound || msg != "no such group" {
		t.Errorf("an unknown group: %s %q", code, msg)
	}

	none := testConn(hosted.Ports{})
	_, err = none.handle(ctx, request(proto.KindGroupsMine, struct{}{}))
	if code, msg := none.classify(err); code != proto.CodeUnknown || msg != core.ErrNoGroups.Error() {
		t.Errorf("groups without a registry: %s %q", code, msg)
	}
}

// TestSubsystemAccount: Settings comes back as the port read it, with an
// empty map rather than null; the setters reach the port.
func TestSubsystemAccount(t *testing.T) {
	ctx := t.Context()
	until := time.Date(2026, 12, 8, 8, 0, 0, 0, time.UTC)
	acc := &fakeAccount{r: core.Restrictions{Quiet: true, QuietUntil: until, QuietSchedule: "Mon-Fri 18:00-08:00 (UTC)", UserQuietHours: true}}
	c := testConn(hosted.Ports{Account: acc})
	res, err := c.handle(ctx, request(proto.KindSettings, struct{}{}))
	s, _ := res.(proto.Settings)
	if err != nil || !s.Quiet || !s.QuietUntil.Equal(until) || !s.NextChange.IsZero() || s.Forbidden == nil || !s.UserQuietHours {
		t.Fatalf("settings: %+v, %v", res, err)
	}
	js, _ := json.Marshal(s)
	if !strings.Contains(string(js), `"forbidden":{}`) || strings.Contains(string(js), "next_change") {
		t.Errorf("settings on the wire: %s", js)
	}
	for _, f := range []proto.Frame{request(proto.KindSetNickname, proto.NicknameRequest{Name: "Ada"}),
		request(proto.KindSetQuietHours, proto.QuietHoursRequest{Zone: "UTC", Spec: "Sat,Sun all-day"}),
		request(proto.KindClearQuietHours, struct{}{})} {
		if _, err := c.handle(ctx, f); err != nil {
			t.Fatalf("request %#02x: %v", byte(f.Kind), err)
		}
	}
	if want := []string{"nick Ada", "quiet UTC Sat,Sun all-day", "clear"}; !slices.Equal(acc.calls, want) {
		t.Errorf("calls %q, want %q", acc.calls, want)
	}
}

// TestClassify: the services' refusals keep their message under a code;
// anything else is internal, and says no more.
func TestClassify(t *testing.T) {
	c := testConn(hosted.Ports{})
	forbidden := &policy.ForbiddenError{Action: policy.CreateGroup, Key: policy.DisableCreateGroup, Reason: "creating groups is disabled"}
	for _, tc := range []struct {
		err  error
		code string
	}{
		{fmt.Errorf("create group: %w", forbidden), proto.CodeForbidden},
		{groups.ErrNotAdmin, proto.CodeForbidden},
		{groups.ErrManaged, proto.CodeForbidden},
		{groups.ErrNotUser, proto.CodeForbidden},
		{fmt.Errorf("leave group: %w", groups.ErrNotFound), proto.CodeNotFound},
		{fmt.Errorf("%w: the group needs a name", groups.ErrInvalid), proto.CodeInvalid},
		{fmt.Errorf("%w: a group holds at most 1250", groups.ErrTooMany), proto.CodeInvalid},
		{&quiet.Error{Column: 3, Msg: "unknown day"}, proto.CodeInvalid},
		{hosted.ErrNoOwnQuietHours, proto.CodeInvalid},
		{directory.ErrInvalid, proto.CodeInvalid},
		{relay.ErrRateLimited, proto.CodeRateLimited},
		{core.ErrNoGroups, proto.CodeUnknown},
		{fmt.Errorf("%w: 2 MiB is over the limit of 1 MiB (parley_max_attachment_mib)", blobs.ErrTooLarge), proto.CodeInvalid},
		{fmt.Errorf("%w: your files take 1 MiB of 1 MiB", blobs.ErrQuota), proto.CodeInvalid},
		{blobs.ErrServerFull, proto.CodeInvalid},
		{fmt.Errorf("receive file: %w: 5 of 10 bytes arrived", blobs.ErrIncomplete), proto.CodeInvalid},
		{fmt.Errorf("%w: byte 9 of 8", hosted.ErrBlobRange), proto.CodeInvalid},
		{blobs.ErrNotFound, proto.CodeNotFound},
		{errNoUpload, proto.CodeNotFound},
		{blobs.ErrNotUser, proto.CodeForbidden},
		{errTooManyUploads, proto.CodeRateLimited},
		{core.ErrNoBlobs, proto.CodeUnknown},
	} {
		code, msg := c.classify(tc.err)
		if code != tc.code || msg != tc.err.Error() {
			t.Errorf("classify(%v) = %s %q, want %s with the error's text", tc.err, code, msg, tc.code)
		}
	}
	if code, msg := c.classify(errors.New("bolt: disk on fire")); code != proto.CodeInternal || msg != "internal error" {
		t.Errorf("an internal failure: %s %q", code, msg)
	}
}

// pushSession is the channel as push writes to it.
type pushSession struct {
	ssh.Session // push only writes
	mu          sync.Mutex
	buf         bytes.Buffer
}

func (s *pushSession) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *pushSession) events(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	r := bytes.NewReader(s.buf.Bytes())
	var out []string
	for r.Len() > 0 {
		f, err := proto.ReadFrame(r)
		var ev proto.Event
		if err != nil || f.Kind != proto.KindPush || json.Unmarshal(f.Payload, &ev) != nil {
			t.Fatalf("frame %+v, %v", f, err)
		}
		out = append(out, ev.Kind)
	}
	return out
}

type fakeSub struct{ evs []core.Event }

func (s *fakeSub) Drain() ([]core.Event, error) { evs := s.evs; s.evs = nil; return evs, nil }
func (s *fakeSub) Close()                       {}

// TestPushSettings: a settings wake is pushed as "settings", beside the
// feed's events ("groups" among them).
func TestPushSettings(t *testing.T) {
	sess := &pushSession{}
	c := testConn(hosted.Ports{})
	c.sess = sess
	ctx, cancel := context.WithCancel(t.Context())
	wake, settings := make(chan struct{}), make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.push(ctx, &fakeSub{evs: []core.Event{{Kind: core.EventGroups}}}, wake, settings)
	}()
	// The channels are unbuffered: each send waits until push has written
	// what the one before it asked for.
	settings <- struct{}{}
	wake <- struct{}{}
	settings <- struct{}{}
	wake <- struct{}{} // the feed is empty now: nothing is pushed
	cancel()
	<-done
	if got, want := sess.events(t), []string{"settings", "groups", "settings"}; !slices.Equal(got, want) {
		t.Errorf("pushed %q, want %q", got, want)
	}
}
