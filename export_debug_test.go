package asyncio

import "time"

// White-box hooks for the tests of Snapshot in package asyncio_test.

// SnapshotInFlight returns the snapshot of at most n tasks (n < 0: all) of
// l that callers wait for, or nil.
func (l *Loop) SnapshotInFlight(n int) *snapshotFlight {
	snapshots.Lock()
	defer snapshots.Unlock()
	return snapshots.inFlight[snapshotKey{l, max(n, -1)}]
}

// Waiters returns how many callers wait for f.
func (f *snapshotFlight) Waiters() int {
	snapshots.Lock()
	defer snapshots.Unlock()
	return f.waiters
}

// Taken reports whether the loop has taken the snapshot.
func (f *snapshotFlight) Taken() bool {
	snapshots.Lock()
	defer snapshots.Unlock()
	return f.taken
}

// SetQueuedReport makes debug loops report executor work that waits for a
// worker after d instead of a second, until restore is called. No loop may
// run meanwhile.
func SetQueuedReport(d time.Duration) (restore func()) {
	old := queuedReport
	queuedReport = d
	return func() { queuedReport = old }
}

// SetStuckReport makes debug loops report their stuck tasks after d instead
// of ten seconds, until restore is called. No loop may run meanwhile.
func SetStuckReport(d time.Duration) (restore func()) {
	old := stuckReport
	stuckReport = d
	return func() { stuckReport = old }
}

// ReportStuck reports the loop's stuck tasks as an idle debug loop does.
func (l *Loop) ReportStuck() { l.reportStuck() }
