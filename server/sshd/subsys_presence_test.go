package sshd

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/parley-chat/parley/server/hosted"
	"github.com/parley-chat/parley/server/proto"
	"github.com/parley-chat/parley/tui/core"
)

// presenceAccount is a fakeAccount that keeps the presence setting.
type presenceAccount struct{ fakeAccount }

func (a *presenceAccount) SetShowPresence(_ context.Context, show bool) error {
	a.calls = append(a.calls, fmt.Sprint("presence ", show))
	return nil
}

// TestSubsystemSetPresence: the request reaches an Account that keeps the
// setting; one that does not answers that there are no settings.
func TestSubsystemSetPresence(t *testing.T) {
	ctx := t.Context()
	acc := &presenceAccount{}
	c := testConn(hosted.Ports{Account: acc})
	if _, err := c.handle(ctx, request(proto.KindSetPresence, proto.PresenceRequest{Show: false})); err != nil {
		t.Fatal(err)
	}
	if want := []string{"presence false"}; !slices.Equal(acc.calls, want) {
		t.Errorf("calls %q, want %q", acc.calls, want)
	}
	plain := testConn(hosted.Ports{Account: &fakeAccount{}})
	_, err := plain.handle(ctx, request(proto.KindSetPresence, proto.PresenceRequest{Show: true}))
	if code, msg := plain.classify(err); code != proto.CodeUnknown || msg != core.ErrNoAccount.Error() {
		t.Errorf("an Account without presence: %s %q", code, msg)
	}
}
