//go:build unix

package futures_test

import (
	"io"
	"os"
	"testing"
	"time"

	"github.com/goasyncio/asyncio/futures"
)

// TestReadNowTakesWhatThePipeHolds pins how the pool reads a reaped worker's reply pipe: it
// takes what the pipe holds, whatever its read deadline, says the worker is
// gone when nothing is left but a writer remains (a process that inherited
// the pipe), and reports the end of input once every writer has closed it.
// A read into an empty buffer is no end of input, as io.Reader has it.
func TestReadNowTakesWhatThePipeHolds(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	r.SetReadDeadline(time.Unix(1, 0)) // as the pool sets it once the worker is reaped
	buf := make([]byte, 8)
	read := func(b []byte, want string, wantErr error) {
		t.Helper()
		n, err := futures.ReadNow(r, b)
		if string(b[:n]) != want || err != wantErr {
			t.Errorf("ReadNow = %q, %v; want %q, %v", b[:n], err, want, wantErr)
		}
	}
	w.WriteString("abc")
	read(nil, "", nil)
	read(buf, "abc", nil)
	read(buf, "", futures.ErrWorkerGone)
	w.WriteString("de")
	w.Close()
	read(buf, "de", nil)
	read(nil, "", nil)
	read(buf, "", io.EOF)
}
