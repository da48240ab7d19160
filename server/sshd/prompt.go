package sshd

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"github.com/parley-chat/parley/crypto"
)

var (
	errAborted  = errors.New("aborted")
	errTooLong  = fmt.Errorf("input longer than %d bytes", crypto.MaxPassphraseLen)
	errNoSecret = errors.New("no passphrase given")
)

// readSecret reads a line typed on a client terminal in raw mode, without
// echo: Enter ends it, Backspace deletes a character, Ctrl+U clears the
// line, Ctrl+C and Ctrl+D abort.
func readSecret(r *bufio.Reader, w io.Writer, prompt string) ([]byte, error) {
	if _, err := io.WriteString(w, prompt); err != nil {
		return nil, err
	}
	var buf []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			return nil, err
		}
		switch b {
		case '\r', '\n':
			_, _ = io.WriteString(w, "\r\n")
			return buf, nil
		case 0x03, 0x04:
			_, _ = io.WriteString(w, "\r\n")
			return nil, errAborted
		case 0x7f, 0x08:
			if len(buf) > 0 {
				_, n := utf8.DecodeLastRune(buf)
				buf = buf[:len(buf)-n]
			}
		case 0x15:
			buf = buf[:0]
		case 0x1b:
			// An escape sequence (arrow keys and the like) is not part of a passphrase.
			if err := skipEscape(r); err != nil {
				return nil, err
			}
		default:
			if b < 0x20 {
				continue
			}
			if len(buf) >= crypto.MaxPassphraseLen {
				return nil, errTooLong
			}
			buf = append(buf, b)
		}
	}
}

// readLine reads one line from a session without a terminal; the line
// ends at '\n' or at the end of input.
func readLine(r *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		b, err := r.ReadByte()
		if errors.Is(err, io.EOF) {
			if len(buf) == 0 {
				return nil, errNoSecret
			}
			break
		}
		if err != nil {
			return nil, err
		}
		if b == '\n' {
			break
		}
		if len(buf) > crypto.MaxPassphraseLen {
			return nil, errTooLong
		}
		buf = append(buf, b)
	}
	if n := len(buf); n > 0 && buf[n-1] == '\r' {
		buf = buf[:n-1]
	}
	return buf, nil
}

// skipEscape consumes the rest of a CSI or SS3 sequence after ESC.
func skipEscape(r *bufio.Reader) error {
	b, err := r.ReadByte()
	if err != nil {
		return err
	}
	if b != '[' && b != 'O' {
		return r.UnreadByte()
	}
	for i := 0; i < 32; i++ {
		c, err := r.ReadByte()
		if err != nil {
			return err
		}
		if c >= 0x40 && c <= 0x7e {
			return nil
		}
	}
	return nil
}
