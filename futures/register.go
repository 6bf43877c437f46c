package futures

import (
	"encoding/json"
	"fmt"
	"runtime/debug"
	"strconv"
	"sync"
)

// A Func is a function registered for worker processes, with argument type
// A and result type R: the handle Call takes. The zero Func is invalid. A
// Func is a small value, to be copied freely.
type Func[A, R any] struct {
	name string
}

// Name returns the name the function was registered with.
func (f Func[A, R]) Name() string { return f.name }

// registry maps names to the functions that serve calls to them in worker
// processes. It is the package's only global state: a worker process is a
// fresh copy of the program, and the name is how the two agree on a
// function, as Python's pickle agrees on a module-level function's
// qualified name.
var registry struct {
	sync.RWMutex
	funcs map[string]serveFunc
}

// A serveFunc decodes an argument, calls the registered function and
// encodes the outcome as a reply.
type serveFunc func(arg []byte) (kind byte, payload []byte)

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
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.funcs[name]; dup {
		panic("futures: Register called twice for " + strconv.Quote(name))
	}
	if registry.funcs == nil {
		registry.funcs = make(map[string]serveFunc)
	}
	registry.funcs[name] = serveAs(fn)
	return Func[A, R]{name}
}

func lookup(name string) serveFunc {
	registry.RLock()
	defer registry.RUnlock()
	return registry.funcs[name]
}

// serveAs returns the serveFunc that runs fn in a worker process.
func serveAs[A, R any](fn func(A) (R, error)) serveFunc {
	return func(arg []byte) (byte, []byte) {
		var a A
		if err := json.Unmarshal(arg, &a); err != nil {
			return replyEncoding, []byte("argument: " + err.Error())
		}
		v, p, err := callRecover(fn, a)
		switch {
		case p != nil:
			b, _ := json.Marshal(p) // two strings: cannot fail
			return replyPanic, b
		case err != nil:
			return replyError, []byte(err.Error())
		}
		b, err := json.Marshal(v)
		if err != nil {
			return replyEncoding, []byte("result: " + err.Error())
		}
		return replyValue, b
	}
}

// callRecover calls fn(a), turning a panic into a panicReply.
func callRecover[A, R any](fn func(A) (R, error), a A) (v R, p *panicReply, err error) {
	defer func() {
		if r := recover(); r != nil {
			p = &panicReply{Value: fmt.Sprint(r), Stack: string(debug.Stack())}
		}
	}()
	v, err = fn(a)
	return v, nil, err
}
