package futures_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/goasyncio/asyncio/futures"
)

func TestPromise(t *testing.T) {
	errNo := errors.New("no")
	tests := []struct {
		name  string
		do    func(f *futures.Future[int], p futures.Promise[int]) bool // what the last step reports
		want  bool
		state futures.State
		val   int
		err   error
	}{
		{"result", func(f *futures.Future[int], p futures.Promise[int]) bool { return p.SetResult(7) }, true, futures.Finished, 7, nil},
		{"error", func(f *futures.Future[int], p futures.Promise[int]) bool { return p.SetError(errNo) }, true, futures.Finished, 0, errNo},
		{"second result ignored", func(f *futures.Future[int], p futures.Promise[int]) bool { p.SetResult(1); return p.SetResult(2) }, false, futures.Finished, 1, nil},
		{"error after result ignored", func(f *futures.Future[int], p futures.Promise[int]) bool { p.SetResult(1); return p.SetError(errNo) }, false, futures.Finished, 1, nil},
		{"result after cancel ignored", func(f *futures.Future[int], p futures.Promise[int]) bool { f.Cancel(); return p.SetResult(1) }, false, futures.Cancelled, 0, futures.ErrCancelled},
		{"cancel after start fails", func(f *futures.Future[int], p futures.Promise[int]) bool {
			p.Start(func() bool { return true })
			return f.Cancel()
		}, false, futures.Running, 0, nil},
		{"start after cancel", func(f *futures.Future[int], p futures.Promise[int]) bool {
			f.Cancel()
			return p.Start(func() bool { panic("handed off a cancelled future") }) == futures.Cancelled
		}, true, futures.Cancelled, 0, futures.ErrCancelled},
		{"failed hand-off", func(f *futures.Future[int], p futures.Promise[int]) bool {
			return p.Start(func() bool { return false }) == futures.Pending
		}, true, futures.Pending, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, p := futures.NewPromise[int]()
			if got := tt.do(f, p); got != tt.want {
				t.Errorf("reported %v, want %v", got, tt.want)
			}
			if s := f.State(); s != tt.state {
				t.Fatalf("state %v, want %v", s, tt.state)
			}
			if !f.Done() {
				return
			}
			if v, err := f.Result(); v != tt.val || !errors.Is(err, tt.err) || (tt.err == nil && err != nil) {
				t.Errorf("result %v, %v; want %v, %v", v, err, tt.val, tt.err)
			}
		})
	}
}

// A promise's future refuses the methods for futures that the caller
// completes itself, as an executor's future does.
func TestPromiseFutureRefusesSetters(t *testing.T) {
	f, _ := futures.NewPromise[int]()
	for name, fn := range map[string]func(){
		"SetRunning": func() { f.SetRunning() },
		"SetResult":  func() { f.SetResult(1) },
		"SetError":   func() { f.SetError(errors.New("x")) },
	} {
		if p := mustPanic(t, fn); !strings.Contains(p.(string), "made by an executor") {
			t.Errorf("%s panicked with %v", name, p)
		}
	}
}

func TestPromiseLabel(t *testing.T) {
	f, p := futures.NewPromise[int]()
	if f.Label() != "" || strings.Contains(f.String(), "  ") {
		t.Errorf("unlabelled: Label %q, String %q", f.Label(), f.String())
	}
	p.SetLabel(`cluster call "square"`)
	if f.Label() != `cluster call "square"` || !strings.HasSuffix(f.String(), ` state=pending cluster call "square">`) {
		t.Errorf("labelled: Label %q, String %q", f.Label(), f.String())
	}
}
