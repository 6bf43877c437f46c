package futures

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"

	"github.com/goasyncio/asyncio/futures/internal/remote"
)

// A Func is a function registered for worker processes, with argument type
// A and result type R: the handle Call takes. The zero Func is invalid. A
// Func is a small value, to be copied freely.
type Func[A, R any] struct {
	name string
}

// Name returns the name the function was registered with.
func (f Func[A, R]) Name() string { return f.name }

// Register records fn under name, so that worker processes can run it, and
// returns the handle to pass to Call. The argument and result travel as JSON
// (see encoding/json for which types survive the trip and how).
//
// A worker process is the program started anew, so it knows only the
// functions registered while its packages are initialized: call Register to
// initialize a package-level variable,
//
//	var square = futures.Register("square", func(x int) (int, error) { return x * x, nil })
//
// not from main or a test function, or calls fail with ErrNotRegistered.
// Register may be called from any goroutine. It panics if name is empty,
// longer than 65535 bytes, or already registered, or if fn is nil.
func Register[A, R any](name string, fn func(A) (R, error)) Func[A, R] {
	if name == "" || len(name) > 1<<16-1 {
		panic("futures: Register with an empty or overlong name")
	}
	if fn == nil {
		panic("futures: Register of a nil function")
	}
	if !remote.Register(name, serveAs(fn)) {
		panic("futures: Register called twice for " + strconv.Quote(name))
	}
	return Func[A, R]{name}
}

// serveAs returns the function that runs fn in a worker.
func serveAs[A, R any](fn func(A) (R, error)) remote.Serve {
	return func(arg []byte) (byte, []byte) {
		var a A
		if err := json.Unmarshal(arg, &a); err != nil {
			return replyEncoding, []byte("argument: " + err.Error())
		}
		v, p, err := callRecover(fn, a)
		switch {
		case p != nil:
			b, _ := json.Marshal(p) // two strings: cannot fail
			return remote.Panic, b
		case err != nil:
			return remote.Error, []byte(err.Error())
		}
		b, err := json.Marshal(v)
		if err != nil {
			return replyEncoding, []byte("result: " + err.Error())
		}
		return replyValue, b
	}
}

// callRecover calls fn(a), turning a panic into a report.
func callRecover[A, R any](fn func(A) (R, error), a A) (v R, p *remote.PanicReport, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = &remote.PanicReport{Value: fmt.Sprint(r), Stack: string(debug.Stack())}
		}
	}()
	v, err = fn(a)
	return v, nil, err
}
