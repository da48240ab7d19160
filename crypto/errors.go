package crypto

import "errors"

// Errors returned by this package. Callers match them with errors.Is.
var (
	// ErrInvalidID reports a string that is not a Parley ID.
	ErrInvalidID = errors.New("invalid Parley ID: want 8 characters A-Z or 0-9")
	// ErrInvalidKey reports a malformed public or secret key.
	ErrInvalidKey = errors.New("invalid key")
	// ErrDecrypt reports a box, secretbox or sealed value that does not open:
	// wrong key, tampered or truncated data.
	ErrDecrypt = errors.New("decryption failed")
	// ErrWrongPassphrase reports a passphrase that does not open a sealed secret.
	ErrWrongPassphrase = errors.New("wrong passphrase")
	// ErrMalformed reports bytes that do not parse as the expected structure.
	ErrMalformed = errors.New("malformed data")
	// ErrPadding reports plaintext whose padding is not as specified.
	ErrPadding = errors.New("invalid padding")
	// ErrTooLarge reports a body above the allowed size.
	ErrTooLarge = errors.New("too large")
)
