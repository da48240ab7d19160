package relay

import (
	"context"
	"fmt"

	"github.com/parley-chat/parley/crypto"
	"github.com/parley-chat/parley/server/auth"
	"github.com/parley-chat/parley/store"
)

// MaxBatch bounds the envelopes of one SendBatch: one per member of the
// largest group (1,250) and one more.
const MaxBatch = 1251

// SendBatch stores the envelopes of one message to several recipients (a
// group message) and announces each to its recipient's live sessions.
//
// Every envelope must have the caller as sender, all must carry the same
// message ID and the same ephemeral flag, and each a distinct recipient;
// otherwise, or when an envelope does not parse, the whole batch is refused
// with the top-level error and nothing is stored. The batch costs one token
// of the sender's rate limit. A recipient the sender may not reach (or an
// alarm the sender may not send) gets its error in its slot of errs; the
// other envelopes are stored in one transaction, and sent has their
// places (zero in the refused slots).
func (s *Service) SendBatch(ctx context.Context, envs [][]byte) (sent []Sent, errs []error, err error) {
	p := auth.From(ctx)
	if p.CanChat() && !p.IsUser() {
		return nil, nil, ErrDetached
	}
	if !p.IsUser() {
		return nil, nil, ErrNotUser
	}
	parsed, err := parseBatch(p.UserID(), envs)
	if err != nil {
		return nil, nil, err
	}
	if !s.allow(p.KeyFingerprint) {
		s.stats.limited.Add(1)
		return nil, nil, ErrRateLimited
	}
	errs = make([]error, len(envs))
	var alarm error // the sender's answer for alarms, read once
	alarmRead := false
	for i, env := range parsed {
		if env.Flags&crypto.FlagAlarm != 0 {
			if !alarmRead {
				alarm, alarmRead = s.checkAlarm(ctx, p.User, env), true
			}
			if alarm != nil {
				errs[i] = alarm
				continue
			}
		}
		if err := s.dir.Reachable(ctx, env.Sender, env.Recipient); err != nil {
			errs[i] = fmt.Errorf("%w: %w", ErrUnreachable, err)
		}
	}
	// Ephemeral envelopes the typing policy stops are dropped (typing.go).
	dropped := make([]bool, len(envs))
	for i, env := range parsed {
		if errs[i] != nil || env.Flags&crypto.FlagEphemeral == 0 {
			continue
		}
		ok, err := s.checkEphemeral(ctx, p.User, env.Recipient)
		if err != nil {
			return nil, nil, err
		}
		dropped[i] = !ok
	}
	received := s.cfg.Now().UTC()
	sent = make([]Sent, len(envs))
	if parsed[0].Flags&crypto.FlagEphemeral == 0 {
		err = s.db.Update(ctx, func(tx store.Tx) error {
			for i, env := range parsed {
				if errs[i] != nil {
					continue
				}
				seq, err := tx.AppendMailbox(env.Recipient, received, envs[i])
				if err != nil {
					return err
				}
				sent[i] = Sent{Seq: seq, Received: received}
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("store envelopes: %w", err)
		}
	}
	for i, env := range parsed {
		if errs[i] != nil {
			continue
		}
		sent[i].Received = received
		if dropped[i] {
			continue
		}
		s.bus.Publish(env.Recipient, Event{Kind: EventMail, Seq: sent[i].Seq, Received: received, Envelope: envs[i]})
		s.stats.add(p.User.TenantID, received)
	}
	return sent, errs, nil
}

// parseBatch parses the envelopes of a batch from sender and checks that
// they are one message: same sender, message ID and ephemeral flag,
// distinct recipients.
func parseBatch(sender crypto.ID, envs [][]byte) ([]*crypto.Envelope, error) {
	switch {
	case len(envs) == 0:
		return nil, fmt.Errorf("%w: empty batch", ErrMalformed)
	case len(envs) > MaxBatch:
		return nil, fmt.Errorf("%w: %d envelopes in one batch, limit %d", ErrMalformed, len(envs), MaxBatch)
	}
	out := make([]*crypto.Envelope, len(envs))
	seen := make(map[crypto.ID]bool, len(envs))
	for i, raw := range envs {
		if len(raw) > crypto.MaxEnvelopeSize {
			return nil, fmt.Errorf("%w: envelope %d has %d bytes, limit %d", ErrTooLarge, i, len(raw), crypto.MaxEnvelopeSize)
		}
		env, err := crypto.ParseEnvelope(raw)
		if err != nil {
			return nil, fmt.Errorf("%w: envelope %d: %w", ErrMalformed, i, err)
		}
		switch {
		case env.Sender != sender:
			return nil, fmt.Errorf("envelope %d: %w", i, ErrForgedSender)
		case i > 0 && env.MessageID != out[0].MessageID:
			return nil, fmt.Errorf("%w: envelope %d belongs to another message", ErrMalformed, i)
		case i > 0 && (env.Flags^out[0].Flags)&crypto.FlagEphemeral != 0:
			return nil, fmt.Errorf("%w: envelope %d differs in the ephemeral flag", ErrMalformed, i)
		case seen[env.Recipient]:
			return nil, fmt.Errorf("%w: envelope %d repeats recipient %s", ErrMalformed, i, env.Recipient)
		}
		seen[env.Recipient] = true
		out[i] = env
	}
	return out, nil
}
