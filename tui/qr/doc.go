// Package qr draws QR codes for the terminal: two modules per character
// row with Unicode half blocks, black on white whatever the terminal's
// colours, so that a phone camera reads them from a dark or a light
// terminal. The admin console and the exec commands use it to hand a TOTP
// secret to an authenticator app.
//
// It knows nothing of sessions, storage or SSH.
package qr
