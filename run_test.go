package asyncio_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/goasyncio/asyncio"
)

func TestWithContextCancelsMain(t *testing.T) {
	defer noLeaks(t)()
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey("k"), "v"))
	var r recorder
	started := make(chan struct{})
	go func() {
		<-started
		cancel()
	}()
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		r.add("value %v", ctx.Value(ctxKey("k")))
		close(started)
		err := asyncio.Sleep(ctx, time.Hour) // real clock: only the cancellation ends it
		r.add("sleep: %v", err)
		return 0, err
	}, asyncio.WithContext(parent))
	if !errors.Is(err, asyncio.ErrCancelled) {
		t.Errorf("Run = %v, want ErrCancelled", err)
	}
	r.check(t, "value v", "sleep: asyncio: cancelled")
}

func TestWithContextAlreadyDone(t *testing.T) {
	defer noLeaks(t)()
	parent, cancel := context.WithCancel(context.Background())
	cancel()
	ran := false
	_, err := asyncio.Run(func(ctx context.Context) (int, error) {
		ran = true
		return 0, asyncio.Sleep(ctx, time.Hour)
	}, asyncio.WithContext(parent))
	if !errors.Is(err, asyncio.ErrCancelled) || ran {
		t.Errorf("Run with a done context = %v, ran = %v; main must not start", err, ran)
	}
}
