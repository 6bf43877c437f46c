package futures

// The pipes between a process pool and a worker carry frames. A frame is a
// 16-byte header, all big-endian,
//
//	magic   uint32  requestMagic or replyMagic: the pipe it belongs in
//	length  uint32  of the payload, at most maxFrame
//	sum     uint32  CRC-32C of the payload
//	hsum    uint32  CRC-32C of the 12 bytes above
//
// followed by the payload:
//
//	request, pool to worker:  uint16 name length | function name | argument
//	reply, worker to pool:    uint8 kind | payload
//
// Arguments and results are JSON (see the package doc for why). The worker
// sends one replyHello frame when it starts serving, then exactly one reply
// for each request, in order; the pool sends one request at a time.
//
// Neither side trusts what it reads. The reply pipe is a file descriptor
// that the worker's functions can reach, and so can a process that
// inherited it: a stray write into it must not be taken for a reply. The
// header is checked before anything is allocated for the payload, so junk
// cannot make the reader allocate gigabytes and wait for them, and the
// payload is checked before it is used. A frame that fails a check breaks
// the connection for good, since nothing tells where the next frame starts:
// the pool kills the worker, and a worker exits.

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/goasyncio/asyncio/futures/internal/remote"
)

// Reply kinds, and what the payload holds: see package remote.
const (
	replyHello         = remote.Hello // nothing: the worker serves
	replyValue         = remote.Value
	replyNotRegistered = remote.NotRegistered
	replyEncoding      = remote.Encoding
)

const (
	headerLen    = 16
	requestMagic = 0x676f5251 // "goRQ"
	replyMagic   = 0x676f5250 // "goRP"
)

// maxFrame bounds a frame's payload, and so an argument or a result:
// larger ones fail with ErrEncoding. It is also the most that junk on a
// pipe could make the reader allocate, had it a valid header. Data of that
// size is better written to a file whose name is passed.
const maxFrame = 256 << 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// A frameError says what is wrong with a frame that failed its checks.
type frameError struct{ what string }

func (e *frameError) Error() string { return "malformed frame: " + e.what }

func malformed(format string, args ...any) error {
	return &frameError{fmt.Sprintf(format, args...)}
}

// tooLarge is the error for a payload of n bytes, more than maxFrame.
func tooLarge(n int) error {
	return fmt.Errorf("%d bytes of JSON, more than the limit of %d MiB", n, maxFrame>>20)
}

// beginFrame returns buf, emptied, with room for a header; the payload is
// to be appended to it, and then endFrame called.
func beginFrame(buf []byte) []byte {
	var hdr [headerLen]byte
	return append(buf[:0], hdr[:]...)
}

// endFrame fills in the header of the frame b made by beginFrame.
func endFrame(b []byte, magic uint32) ([]byte, error) {
	n := len(b) - headerLen
	if n > maxFrame {
		return b, tooLarge(n)
	}
	binary.BigEndian.PutUint32(b[0:], magic)
	binary.BigEndian.PutUint32(b[4:], uint32(n))
	binary.BigEndian.PutUint32(b[8:], crc32.Checksum(b[headerLen:], castagnoli))
	binary.BigEndian.PutUint32(b[12:], crc32.Checksum(b[:12], castagnoli))
	return b, nil
}

// appendRequest appends to buf, emptied, the request frame for a call of
// name with the argument arg.
func appendRequest(buf []byte, name string, arg []byte) ([]byte, error) {
	b := beginFrame(buf)
	b = binary.BigEndian.AppendUint16(b, uint16(len(name)))
	b = append(b, name...)
	b = append(b, arg...)
	return endFrame(b, requestMagic)
}

// writeReply writes a reply frame to w, using buf to build it, and returns
// buf for the next reply.
func writeReply(w *bufio.Writer, buf []byte, kind byte, payload []byte) ([]byte, error) {
	b := append(beginFrame(buf), kind)
	b = append(b, payload...)
	b, err := endFrame(b, replyMagic)
	if err != nil {
		return b, err
	}
	w.Write(b)
	return b, w.Flush()
}

// readFrame reads one frame with the given magic into *buf, growing it as
// needed, and returns the payload, valid until the next call. At a clean
// end of input, before a frame's first byte, it returns io.EOF; a frame
// that fails its checks gives a *frameError.
func readFrame(r *bufio.Reader, magic uint32, buf *[]byte) ([]byte, error) {
	var hdr [headerLen]byte
	// The magic first, so that junk is known for what it is as soon as
	// possible, even if it is shorter than a header and nothing follows.
	if _, err := io.ReadFull(r, hdr[:4]); err != nil {
		return nil, err
	}
	if binary.BigEndian.Uint32(hdr[:4]) != magic {
		return nil, malformed("begins %q, not a frame header", hdr[:4])
	}
	if _, err := io.ReadFull(r, hdr[4:]); err != nil {
		return nil, noEOF(err)
	}
	n := binary.BigEndian.Uint32(hdr[4:])
	switch {
	case binary.BigEndian.Uint32(hdr[12:]) != crc32.Checksum(hdr[:12], castagnoli):
		return nil, malformed("header checksum mismatch")
	case n > maxFrame:
		return nil, malformed("length %d over the limit", n)
	}
	if uint32(cap(*buf)) < n {
		*buf = make([]byte, n)
	}
	b := (*buf)[:n]
	if _, err := io.ReadFull(r, b); err != nil {
		return nil, noEOF(err)
	}
	if crc32.Checksum(b, castagnoli) != binary.BigEndian.Uint32(hdr[8:]) {
		return nil, malformed("payload checksum mismatch")
	}
	return b, nil
}

func readRequest(r *bufio.Reader, buf *[]byte) (name string, arg []byte, err error) {
	b, err := readFrame(r, requestMagic, buf)
	if err != nil {
		return "", nil, err
	}
	if len(b) < 2 || len(b) < 2+int(binary.BigEndian.Uint16(b)) {
		return "", nil, malformed("request of %d bytes too short for its name", len(b))
	}
	n := 2 + int(binary.BigEndian.Uint16(b))
	return string(b[2:n]), b[n:], nil
}

func readReply(r *bufio.Reader, buf *[]byte) (kind byte, payload []byte, err error) {
	b, err := readFrame(r, replyMagic, buf)
	if err != nil {
		return 0, nil, noEOF(err)
	}
	if len(b) < 1 {
		return 0, nil, malformed("empty reply")
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

// isMalformed reports whether err says that a frame failed its checks, and
// returns what was wrong.
func isMalformed(err error) (string, bool) {
	var fe *frameError
	if errors.As(err, &fe) {
		return fe.what, true
	}
	return "", false
}
