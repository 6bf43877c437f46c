package main

import (
	"fmt"
	"io"
	"log"
	"strings"
	"sync"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Text from servers reaches the terminal in status lines, file names,
// URLs of redirects and error messages, and a terminal acts on some
// characters instead of showing them: ESC starts sequences that clear the
// screen, recolour it or retitle the window, and bidi controls reorder
// what follows, so "e\u202Egpj.exe" shows as "eexe.jpg". Everything the
// command prints that did not come from the command itself goes through
// escape first; the JSON summary through jsonSafe; and net/http's own
// complaints about servers, which it prints with package log, through
// logTo.

// hidden reports whether a terminal would act on r, or not show it: C0
// and C1 control characters and DEL, Unicode's invisible format
// characters (bidi controls, zero-width characters, soft hyphens, tags),
// and line and paragraph separators.
func hidden(r rune) bool {
	return unicode.IsControl(r) || unicode.In(r, unicode.Cf, unicode.Zl, unicode.Zp)
}

// escape returns s with each hidden character, and each byte that is not
// UTF-8, spelled out as a Go escape (\x1b, \u202e, \U000e0041, \xff),
// and everything else as it is, "€" and "日本" included. A backslash stays
// a backslash, so an escape in the output may also have been text; but
// whatever the output holds, it is shown, not acted on.
func escape(s string) string {
	if strings.IndexFunc(s, func(r rune) bool { return r == utf8.RuneError || hidden(r) }) < 0 {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case !hidden(r):
			b.WriteString(s[i : i+n])
		case r < utf8.RuneSelf:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r <= 0xffff:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			fmt.Fprintf(&b, `\U%08x`, r)
		}
		i += n
	}
	return b.String()
}

// jsonSafe returns b, the output of encoding/json, with the hidden
// characters that encoding/json leaves as they are (DEL, C1 controls,
// format characters) written as \u escapes, which decode to the same
// text: the summary means the same to a program and shows safely on a
// terminal. encoding/json escapes the C0 controls in strings already, and
// outside strings there is only ASCII, its whitespace included, so each
// character changed here is in a string.
func jsonSafe(b []byte) []byte {
	out := make([]byte, 0, len(b))
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r < 0x7f || !hidden(r) {
			out = append(out, b[i:i+n]...)
		} else if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r)
		}
		i += n
	}
	return out
}

// logTo sends what package log prints (net/http reports there what it
// finds wrong with a server, such as bytes sent after a response) to w,
// escaped, as lines of the command, until restore is called. Once
// restore has returned, nothing more is written to w.
func logTo(w io.Writer) (restore func()) {
	out, prefix, flags := log.Writer(), log.Prefix(), log.Flags()
	log.SetOutput(logLine{w})
	log.SetPrefix("")
	log.SetFlags(0)
	return func() {
		// SetOutput waits for a line being written to w.
		log.SetOutput(out)
		log.SetPrefix(prefix)
		log.SetFlags(flags)
	}
}

// A logLine writes a line of package log as a line of the command.
type logLine struct{ w io.Writer }

func (l logLine) Write(p []byte) (int, error) {
	line := strings.TrimSuffix(string(p), "\n")
	if _, err := fmt.Fprintf(l.w, "aiofetch: %s\n", escape(line)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// A lockedWriter lets goroutines write to w, one write at a time: the
// display writes on the loop's goroutine, package log on net/http's.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
