package greenlet

import (
	"runtime"
	"testing"

	"go.uber.org/goleak"

	"github.com/goasyncio/asyncio/internal/goid"
)

func TestRegistryForgetsCollectedWorlds(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	ids := make(chan uintptr)
	go func() {
		New(func(...any) any { return nil }).Switch()
		id := goid.Current()
		registry.Lock()
		w := registry.worlds[id].Value()
		registry.Unlock()
		if w == nil {
			id = 0
		}
		ids <- id
	}()
	id := <-ids
	if id == 0 {
		t.Fatal("the world of a goroutine that used greenlets is not registered")
	}
	// The world is unreachable once the goroutine has sent its ID; its
	// cleanup runs on another goroutine after a collection.
	for range 100 {
		runtime.GC()
		registry.Lock()
		_, ok := registry.worlds[id]
		registry.Unlock()
		if !ok {
			return
		}
		runtime.Gosched()
	}
	t.Error("the registry still holds a collected world")
}
