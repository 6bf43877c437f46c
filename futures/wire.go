package futures

// The pipes between a process pool and a worker carry frames, each a
// big-endian uint32 length followed by that many bytes:
//
//	request, pool to worker:  uint16 name length | function name | argument
//	reply, worker to pool:    uint8 kind | payload
//
// Arguments and results are JSON (see the package doc for why). The worker
// sends one replyHello frame when it starts serving, then exactly one reply
// for each request, in order; the pool sends one request at a time.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// Reply kinds, and what the payload holds.
const (
	replyHello         byte = iota // nothing: the worker serves
	replyValue                     // the result, in JSON
	replyError                     // the text of the error the function returned
	replyPanic                     // a panicReply, in JSON
	replyNotRegistered             // nothing
	replyEncoding                  // what could not be encoded or decoded, and why
)

// maxFrame bounds a frame's length; larger arguments and results fail with
// ErrEncoding.
const maxFrame = 1<<31 - 1

// A panicReply is how a worker reports a panic in a function.
type panicReply struct {
	Value string
	Stack string
}

var errFrameTooLarge = errors.New("frame larger than 2 GiB")

func writeRequest(w *bufio.Writer, name string, arg []byte) error {
	n := 2 + len(name) + len(arg)
	if n > maxFrame || len(name) > 1<<16-1 {
		return errFrameTooLarge
	}
	var hdr [6]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(n))
	binary.BigEndian.PutUint16(hdr[4:], uint16(len(name)))
	w.Write(hdr[:])
	w.WriteString(name)
	w.Write(arg)
	return w.Flush()
}

func writeReply(w *bufio.Writer, kind byte, payload []byte) error {
	if 1+len(payload) > maxFrame {
		return errFrameTooLarge
	}
	var hdr [5]byte
	binary.BigEndian.PutUint32(hdr[:4], uint32(1+len(payload)))
	hdr[4] = kind
	w.Write(hdr[:])
	w.Write(payload)
	return w.Flush()
}

// readFrame reads one frame into *buf, growing it as needed, and returns the
// frame's bytes, valid until the next call. At a clean end of input it
// returns io.EOF.
func readFrame(r *bufio.Reader, buf *[]byte) ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr[:]))
	if n > maxFrame {
		return nil, errFrameTooLarge
	}
	if cap(*buf) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, noEOF(err)
	}
	return b, nil
}

func readRequest(r *bufio.Reader, buf *[]byte) (name string, arg []byte, err error) {
	b, err := readFrame(r, buf)
	if err != nil {
		return "", nil, err
	}
	if len(b) < 2 || len(b) < 2+int(binary.BigEndian.Uint16(b)) {
		return "", nil, errors.New("malformed request")
	}
	n := 2 + int(binary.BigEndian.Uint16(b))
	return string(b[2:n]), b[n:], nil
}

func readReply(r *bufio.Reader, buf *[]byte) (kind byte, payload []byte, err error) {
	b, err := readFrame(r, buf)
	if err != nil {
		return 0, nil, noEOF(err)
	}
	if len(b) < 1 {
		return 0, nil, errors.New("malformed reply")
	}
	return b[0], b[1:], nil
}

// noEOF turns io.EOF into io.ErrUnexpectedEOF, for reads where the input
// must not end.
func noEOF(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
