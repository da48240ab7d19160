package relay

import "errors"

// Errors of the relay, worded for the person who sent the message.
var (
	ErrNotUser       = errors.New("only an enrolled, unlocked user can send")
	ErrDetached      = errors.New("you are no longer a member of a tenant: you cannot send messages")
	ErrTooLarge      = errors.New("message too large")
	ErrMalformed     = errors.New("malformed envelope")
	ErrForgedSender  = errors.New("envelope sender is not your Parley ID")
	ErrRateLimited   = errors.New("sending too fast: slow down")
	ErrUnreachable   = errors.New("recipient cannot be reached")
	ErrBehind        = errors.New("session fell behind: catch up from the mailbox")
	ErrTooManyAcks   = errors.New("too many acknowledgements in one call")
	ErrSubscriptions = errors.New("too many live sessions for this user")
	// ErrOneDevice refuses a second device to a user whose
	// parley_multi_device is false.
	ErrOneDevice = errors.New("your organisation allows you one device (policy parley_multi_device), and another device of yours is registered: ask an admin to remove it")
	// ErrAlarmForbidden refuses an alarm message (crypto.FlagAlarm) from a
	// sender whose policy parley_alarm_send is not true.
	ErrAlarmForbidden = errors.New("your organisation does not allow you to send alarm messages (policy parley_alarm_send)")
)
