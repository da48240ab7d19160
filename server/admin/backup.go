package admin

import (
	"context"

	"github.com/parley-chat/parley/store"
)

// AuthorizeBackup checks that the caller may take a backup of the whole
// instance — an instance admin (with its second factor when it has one);
// no tenant role and no API key may — and records it in the audit log
// (instance.backup) before a byte is copied.
func (s *Service) AuthorizeBackup(ctx context.Context) error {
	p, err := s.authorize(ctx, "", PermTenantsManage)
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx store.Tx) error {
		return s.record(tx, p, "", "instance.backup", "", nil, nil)
	})
}
