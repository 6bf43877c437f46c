package fetch

import (
	"strconv"
	"time"
)

// An EventKind says what happened to a download.
type EventKind uint8

const (
	// EventRequest: an attempt starts; its request is being sent.
	EventRequest EventKind = iota + 1

	// EventResponse: the server sent a good response, whose body is now
	// saved to Path. Written is what a resumed part already holds (0 if
	// the file starts over), Total the file's length or -1.
	EventResponse

	// EventProgress: Written has grown. These events come at most every
	// 100ms for each download, and once more when its body has arrived.
	EventProgress

	// EventRetry: the attempt failed with Err; the next starts after
	// Delay. Written tells what the part keeps for that attempt to resume.
	EventRetry

	// EventDone: the download is over; Result tells how it ended.
	EventDone
)

var eventNames = [...]string{
	EventRequest:  "request",
	EventResponse: "response",
	EventProgress: "progress",
	EventRetry:    "retry",
	EventDone:     "done",
}

// String returns the kind's name in lower case, such as "retry".
func (k EventKind) String() string {
	if int(k) < len(eventNames) && eventNames[k] != "" {
		return eventNames[k]
	}
	return "EventKind(" + strconv.Itoa(int(k)) + ")"
}

// An Event tells a Downloader's OnEvent how one download is going. The
// events of one download come in the order they happened: for each
// attempt EventRequest, then EventResponse and EventProgress if the server
// sent a good response, then EventRetry if the download is retried; the
// last is EventDone.
type Event struct {
	Kind  EventKind
	Index int    // the request's position in the slice given to Fetch
	URL   string // the request's URL

	// Path is the file the download is saved to, once its name is known:
	// from the request, or from the first good response.
	Path string

	Attempt int   // the attempt, 1 for the first
	Written int64 // bytes of the file saved so far, a resumed part included
	Total   int64 // the file's length, or -1 while it is unknown

	Delay  time.Duration // EventRetry: the wait before the next attempt
	Err    error         // EventRetry: why the attempt failed
	Result *Result       // EventDone: the outcome
}

// progressEvery is the least time between two EventProgress of one
// download: a display refreshes about that often, and each event costs a
// hop from the worker goroutine to the loop.
const progressEvery = 100 * time.Millisecond

// A ticker tells a worker goroutine when to report progress.
type ticker struct {
	next time.Time
}

// due reports whether a progress report is due now, and if so schedules
// the next one.
func (t *ticker) due() bool {
	now := time.Now()
	if now.Before(t.next) {
		return false
	}
	t.next = now.Add(progressEvery)
	return true
}
