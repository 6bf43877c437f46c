// Package remote holds what the two executors of registered functions
// share: the worker-process pool of package futures and the cluster
// executor of package futures/cluster. Both run a function looked up by
// name on an argument in JSON, get back a reply of one of a few kinds, and
// turn that reply into a result in the same way, with the same errors.
package remote

import (
	"encoding/json"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
)

// The kinds of reply, and what the payload holds.
const (
	Hello         byte = iota // nothing: a worker process serves
	Value                     // the result, in JSON
	Error                     // the text of the error the function returned
	Panic                     // a PanicReport, in JSON
	NotRegistered             // nothing
	Encoding                  // what could not be encoded or decoded, and why
)

// A PanicReport is how a worker reports a panic in a function.
type PanicReport struct {
	Value string
	Stack string
}

// A Serve decodes an argument, calls a registered function and encodes the
// outcome as a reply.
type Serve func(arg []byte) (kind byte, payload []byte)

// registry maps names to the functions that serve calls to them. A worker
// is a fresh copy of the program, and the name is how the two agree on a
// function, as Python's pickle agrees on a module-level function's
// qualified name.
var registry struct {
	sync.RWMutex
	funcs map[string]Serve
}

// Register records s under name, and reports false if the name is taken.
func Register(name string, s Serve) bool {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.funcs[name]; dup {
		return false
	}
	if registry.funcs == nil {
		registry.funcs = make(map[string]Serve)
	}
	registry.funcs[name] = s
	return true
}

// Lookup returns the function registered under name, or nil.
func Lookup(name string) Serve {
	registry.RLock()
	defer registry.RUnlock()
	return registry.funcs[name]
}

// Errors are the errors that Decode wraps, which are package futures'
// own. Package futures sets them as it is initialized, before anything can
// make a call.
var Errors struct {
	NotRegistered error
	Encoding      error
	// Panic makes a *futures.PanicError.
	Panic func(value any, stack []byte) error
}

// Decode turns the reply to a call of name into the call's result.
func Decode[R any](name string, kind byte, payload []byte) (R, error) {
	var zero R
	switch kind {
	case Value:
		return decodeValue[R](name, payload)
	case Error:
		return zero, errors.New(string(payload))
	case Panic:
		var p PanicReport
		if err := json.Unmarshal(payload, &p); err != nil {
			p.Value = "(unreadable panic report: " + err.Error() + ")"
		}
		return zero, Errors.Panic(p.Value, []byte(p.Stack))
	case NotRegistered:
		return zero, fmt.Errorf("%w: %q (call Register to initialize a package-level variable)", Errors.NotRegistered, name)
	case Encoding:
		return zero, fmt.Errorf("%w: %s: %s", Errors.Encoding, name, payload)
	}
	return zero, fmt.Errorf("futures: worker sent a reply of unknown kind %d", kind)
}

// decodeValue decodes a result. A panic in an UnmarshalJSON method becomes
// the error rather than killing the caller's goroutine.
func decodeValue[R any](name string, payload []byte) (v R, err error) {
	defer func() {
		if p := recover(); p != nil {
			var zero R
			v, err = zero, Errors.Panic(p, debug.Stack())
		}
	}()
	if err := json.Unmarshal(payload, &v); err != nil {
		var zero R
		return zero, fmt.Errorf("%w: %s: result: %w", Errors.Encoding, name, err)
	}
	return v, nil
}
