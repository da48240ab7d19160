package groups

import "errors"

// Errors of the group registry, worded for the person acting.
var (
	// ErrNotFound reports a group that does not exist or that the caller
	// is not a member of: the two are not told apart.
	ErrNotFound = errors.New("no such group")
	// ErrNotAdmin refuses a change by a member who is not a group admin.
	ErrNotAdmin = errors.New("only the group's admins can do that")
	// ErrManaged refuses a change to a managed group: its admins in the
	// organisation set its members and name.
	ErrManaged = errors.New("this group is managed by your organisation: its members and name are fixed")
	// ErrTooMany refuses a group of more than MaxMembers members.
	ErrTooMany = errors.New("too many members")
	// ErrInvalid reports bad input; the wrapping error says what.
	ErrInvalid = errors.New("invalid group request")
	// ErrNotUser refuses a caller that is not an enrolled, active user.
	ErrNotUser = errors.New("only an enrolled, active user can change groups")
)
