package local

import (
	"context"
	"io"
	"sync"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/tui/core"
)

// The group registry, the account settings and the blob store, across
// connections.

var (
	_ core.Groups  = (*link)(nil)
	_ core.Account = (*link)(nil)
)

func (l *link) CreateGroup(ctx context.Context, name string, members []crypto.ID) (core.GroupInfo, error) {
	c, err := l.current()
	if err != nil {
		return core.GroupInfo{}, err
	}
	g, err := c.CreateGroup(ctx, name, members)
	return g, offline(err)
}

func (l *link) MyGroups(ctx context.Context) ([]core.GroupInfo, error) {
	c, err := l.current()
	if err != nil {
		return nil, err
	}
	gs, err := c.MyGroups(ctx)
	return gs, offline(err)
}

func (l *link) Group(ctx context.Context, key string) (core.GroupInfo, error) {
	c, err := l.current()
	if err != nil {
		return core.GroupInfo{}, err
	}
	g, err := c.Group(ctx, key)
	return g, offline(err)
}

func (l *link) AddGroupMembers(ctx context.Context, key string, ids []crypto.ID) (core.GroupInfo, error) {
	c, err := l.current()
	if err != nil {
		return core.GroupInfo{}, err
	}
	g, err := c.AddGroupMembers(ctx, key, ids)
	return g, offline(err)
}

func (l *link) RemoveGroupMembers(ctx context.Context, key string, ids []crypto.ID) (core.GroupInfo, error) {
	c, err := l.current()
	if err != nil {
		return core.GroupInfo{}, err
	}
	g, err := c.RemoveGroupMembers(ctx, key, ids)
	return g, offline(err)
}

func (l *link) RenameGroup(ctx context.Context, key, name string) (core.GroupInfo, error) {
	c, err := l.current()
	if err != nil {
		return core.GroupInfo{}, err
	}
	g, err := c.RenameGroup(ctx, key, name)
	return g, offline(err)
}

func (l *link) SetGroupAdmin(ctx context.Context, key string, id crypto.ID, admin bool) (core.GroupInfo, error) {
	c, err := l.current()
	if err != nil {
		return core.GroupInfo{}, err
	}
	g, err := c.SetGroupAdmin(ctx, key, id, admin)
	return g, offline(err)
}

func (l *link) LeaveGroup(ctx context.Context, key string) error {
	c, err := l.current()
	if err != nil {
		return err
	}
	return offline(c.LeaveGroup(ctx, key))
}

// settingsState keeps the last restrictions the server gave, for while
// the client is offline (the server enforces them whatever the client
// believes), and the watchers to move to each new connection.
type settingsState struct {
	mu       sync.Mutex
	last     core.Restrictions
	watchers map[*settingsWatcher]struct{}
}

type settingsWatcher struct {
	notify func()
	cancel func() // on the current connection
}

// Settings asks the server; offline, it answers what the server said last.
func (l *link) Settings(ctx context.Context) (core.Restrictions, error) {
	st := &l.settings
	c, err := l.current()
	if err == nil {
		var r core.Restrictions
		r, err = c.Settings(ctx)
		if err == nil {
			st.mu.Lock()
			st.last = r
			st.mu.Unlock()
			return r, nil
		}
		err = offline(err)
	}
	if !isOffline(err) {
		return core.Restrictions{}, err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.last, nil
}

// WatchSettings follows the settings across connections; each new
// connection calls notify once, for what changed while offline.
func (l *link) WatchSettings(notify func()) (cancel func()) {
	st := &l.settings
	w := &settingsWatcher{notify: notify}
	st.mu.Lock()
	if st.watchers == nil {
		st.watchers = map[*settingsWatcher]struct{}{}
	}
	st.watchers[w] = struct{}{}
	st.mu.Unlock()
	if c, err := l.current(); err == nil {
		w.cancel = c.WatchSettings(notify)
	}
	return func() {
		st.mu.Lock()
		delete(st.watchers, w)
		st.mu.Unlock()
		if w.cancel != nil {
			w.cancel()
		}
	}
}

// rewatch moves the settings watchers to a new connection.
func (l *link) rewatch(c interface{ WatchSettings(func()) func() }) {
	st := &l.settings
	st.mu.Lock()
	ws := make([]*settingsWatcher, 0, len(st.watchers))
	for w := range st.watchers {
		ws = append(ws, w)
	}
	st.mu.Unlock()
	for _, w := range ws {
		if w.cancel != nil {
			w.cancel()
		}
		w.cancel = c.WatchSettings(w.notify)
		w.notify()
	}
}

func (l *link) SetNickname(ctx context.Context, name string) error {
	c, err := l.current()
	if err != nil {
		return err
	}
	return offline(c.SetNickname(ctx, name))
}

func (l *link) SetQuietHours(ctx context.Context, zone, spec string) error {
	c, err := l.current()
	if err != nil {
		return err
	}
	return offline(c.SetQuietHours(ctx, zone, spec))
}

func (l *link) ClearQuietHours(ctx context.Context) error {
	c, err := l.current()
	if err != nil {
		return err
	}
	return offline(c.ClearQuietHours(ctx))
}

// Files: the blob store of the current connection. An upload or a
// download cut off by the connection's end fails (the user sends or saves
// again); nothing of it is queued.

var _ core.Blobs = (*link)(nil)

func (l *link) Put(ctx context.Context, r io.Reader, size int64, recipients []crypto.ID) (string, error) {
	c, err := l.current()
	if err != nil {
		return "", err
	}
	id, err := c.Put(ctx, r, size, recipients)
	return id, offline(err)
}

func (l *link) Get(ctx context.Context, blob string) (io.ReadCloser, error) {
	c, err := l.current()
	if err != nil {
		return nil, err
	}
	rc, err := c.Get(ctx, blob)
	return rc, offline(err)
}

func (l *link) Delete(ctx context.Context, blob string) error {
	c, err := l.current()
	if err != nil {
		return err
	}
	return offline(c.Delete(ctx, blob))
}
