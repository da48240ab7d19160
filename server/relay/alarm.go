package relay

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/policy"
	"github.com/parley-chat/parley/store"
)

// alarmAllowed checks an envelope's FlagAlarm against its sender's
// effective policy inside tx: an alarm rings even in quiet hours, so only
// senders with parley_alarm_send true may send one (ErrAlarmForbidden).
// Envelopes without the flag pass without a read.
func alarmAllowed(tx store.Tx, sender *store.User, env *crypto.Envelope) error {
	if env.Flags&crypto.FlagAlarm == 0 {
		return nil
	}
	v, err := policy.EffectiveKeysTx(tx, sender.TenantID, sender.ID, policy.AlarmSend)
	if err != nil {
		return fmt.Errorf("read alarm policy: %w", err)
	}
	if !v.Bool(policy.AlarmSend) {
		return ErrAlarmForbidden
	}
	return nil
}

// checkAlarm is alarmAllowed in a read transaction of its own, read only
// when the envelope is an alarm.
func (s *Service) checkAlarm(ctx context.Context, sender *store.User, env *crypto.Envelope) error {
	if env.Flags&crypto.FlagAlarm == 0 {
		return nil
	}
	return s.db.View(ctx, func(tx store.Tx) error { return alarmAllowed(tx, sender, env) })
}
