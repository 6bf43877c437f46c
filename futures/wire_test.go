package futures_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/goasyncio/asyncio/futures"
)

func TestReplyFramesRoundTrip(t *testing.T) {
	payloads := [][]byte{nil, []byte("49"), bytes.Repeat([]byte("x"), 100<<10)}
	var stream []byte
	for _, p := range payloads {
		stream = append(stream, futures.ReplyFrame(futures.ReplyValue, p)...)
	}
	r := bufio.NewReader(bytes.NewReader(stream))
	for i, want := range payloads {
		kind, got, err := futures.ReadReply(r)
		if err != nil || kind != futures.ReplyValue || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: kind %d, %d bytes, %v; want kind %d, %d bytes", i, kind, len(got), err, futures.ReplyValue, len(want))
		}
	}
	if _, _, err := futures.ReadReply(r); err != io.ErrUnexpectedEOF {
		t.Errorf("after the last frame: %v, want io.ErrUnexpectedEOF", err)
	}
}

// header returns a reply frame header that passes every check but the
// length's: it claims n bytes of payload.
func header(n uint32) []byte {
	h := binary.BigEndian.AppendUint32(nil, binary.BigEndian.Uint32(futures.ReplyFrame(0, nil)))
	h = binary.BigEndian.AppendUint32(h, n)
	h = binary.BigEndian.AppendUint32(h, 0)
	return binary.BigEndian.AppendUint32(h, crc32.Checksum(h, crc32.MakeTable(crc32.Castagnoli)))
}

func TestReadReplyRejectsJunk(t *testing.T) {
	valid := futures.ReplyFrame(futures.ReplyValue, []byte(`{"X":1}`))
	flip := func(i int) []byte {
		b := bytes.Clone(valid)
		b[i] ^= 1
		return b
	}
	for _, tc := range []struct {
		name, input, want string
	}{
		{"Text", "hello, world\n" + string(valid), `begins "hell"`},
		{"OneByte", "x" + string(valid), "not a frame header"},
		{"Request", string(futures.RequestFrame("f", []byte("1"))), "not a frame header"},
		{"LengthOverLimit", string(header(futures.MaxFrame + 1)), "over the limit"},
		{"HeaderBitFlip", string(flip(5)), "header checksum mismatch"},
		{"PayloadBitFlip", string(flip(len(valid) - 1)), "payload checksum mismatch"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, _, err := futures.ReadReply(bufio.NewReader(strings.NewReader(tc.input)))
			runtime.ReadMemStats(&after)
			if !futures.IsMalformed(err) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want a malformed frame: %s", err, tc.want)
			}
			// Junk must not make the reader allocate what it claims.
			if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
				t.Errorf("reading junk allocated %d bytes", n)
			}
		})
	}
}

func TestReadReplyTruncated(t *testing.T) {
	valid := futures.ReplyFrame(futures.ReplyValue, []byte("49"))
	for _, n := range []int{0, 1, 15, 16, len(valid) - 1} {
		_, _, err := futures.ReadReply(bufio.NewReader(bytes.NewReader(valid[:n])))
		if err != io.ErrUnexpectedEOF {
			t.Errorf("frame cut to %d bytes: %v, want io.ErrUnexpectedEOF", n, err)
		}
	}
	// A header may claim a payload as long as the limit: no junk, but a
	// frame cut short after its header.
	if _, _, err := futures.ReadReply(bufio.NewReader(bytes.NewReader(header(futures.MaxFrame)))); err != io.ErrUnexpectedEOF {
		t.Errorf("the header of a frame at the limit, alone: %v, want io.ErrUnexpectedEOF", err)
	}
}

func TestRequestFrameAtTheLimit(t *testing.T) {
	skipHuge(t)
	name := "f"
	arg := make([]byte, futures.MaxFrame-2-len(name)) // the name's length takes 2 bytes
	if n := len(futures.RequestFrame(name, arg)); n != 16+futures.MaxFrame {
		t.Errorf("a request frame at the limit has %d bytes, want a header and %d", n, futures.MaxFrame)
	}
}

// FuzzReadReply checks that the reader survives any input, and accepts only
// what the writer makes.
func FuzzReadReply(f *testing.F) {
	f.Add(futures.ReplyFrame(futures.ReplyValue, []byte("49")))
	f.Add(futures.ReplyFrame(futures.ReplyHello, nil))
	f.Add([]byte("hello, world\n"))
	f.Add(header(futures.MaxFrame + 1))
	f.Add(header(3))
	f.Fuzz(func(t *testing.T, b []byte) {
		kind, payload, err := futures.ReadReply(bufio.NewReader(bytes.NewReader(b)))
		if err != nil {
			return
		}
		if want := futures.ReplyFrame(kind, payload); !bytes.HasPrefix(b, want) {
			t.Errorf("accepted %q as kind %d with payload %q, which is encoded %q", b, kind, payload, want)
		}
	})
}

// rawFrame returns a request frame, checksums and all, with the given
// payload, which need not be a well-formed request.
func rawFrame(payload []byte) []byte {
	castagnoli := crc32.MakeTable(crc32.Castagnoli)
	h := bytes.Clone(futures.RequestFrame("", nil)[:4])
	h = binary.BigEndian.AppendUint32(h, uint32(len(payload)))
	h = binary.BigEndian.AppendUint32(h, crc32.Checksum(payload, castagnoli))
	h = binary.BigEndian.AppendUint32(h, crc32.Checksum(h, castagnoli))
	return append(h, payload...)
}

func TestServeRejectsJunkRequest(t *testing.T) {
	for _, junk := range []string{
		"hello, world\n",
		string(futures.ReplyFrame(futures.ReplyValue, nil)),
		string(rawFrame([]byte{0})),              // too short for the name's length
		string(rawFrame([]byte{0, 5, 'a', 'b'})), // a name longer than the payload
	} {
		err := futures.Serve(strings.NewReader(junk), io.Discard)
		if err == nil || !strings.Contains(err.Error(), "read request: malformed frame") {
			t.Errorf("Serve of %q: %v, want a malformed request", junk, err)
		}
	}
}

func TestServeRoundTrip(t *testing.T) {
	var in bytes.Buffer
	in.Write(futures.RequestFrame("test.square", []byte("7")))
	in.Write(futures.RequestFrame("test.square", []byte("8")))
	var out bytes.Buffer
	if err := futures.Serve(&in, &out); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(&out)
	for _, want := range []string{"", "49", "64"} {
		_, payload, err := futures.ReadReply(r)
		if err != nil || string(payload) != want {
			t.Errorf("reply %q, %v; want %q", payload, err, want)
		}
	}
}

func TestServeShortestRequests(t *testing.T) {
	// A request needs no more than the length of its name: the name and
	// the argument may be empty. Such requests are answered, not taken for
	// junk.
	for _, tc := range []struct {
		name, fn string
		kind     byte
		payload  string
	}{
		{"EmptyName", "", futures.ReplyNotRegistered, ""},
		{"NoArgument", "test.square", futures.ReplyEncoding, "argument: unexpected end of JSON input"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			if err := futures.Serve(bytes.NewReader(futures.RequestFrame(tc.fn, nil)), &out); err != nil {
				t.Fatal(err)
			}
			r := bufio.NewReader(&out)
			futures.ReadReply(r) // hello
			kind, payload, err := futures.ReadReply(r)
			if err != nil || kind != tc.kind || string(payload) != tc.payload {
				t.Errorf("reply kind %d, %q, %v; want kind %d, %q", kind, payload, err, tc.kind, tc.payload)
			}
		})
	}
}
