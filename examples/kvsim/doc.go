// Package kvsim is a small replicated counter store, written with package
// asyncio's streams as a production service would be, and the worked
// example of package sim: its tests run it on simulated hosts under
// partitions and crashes, search a thousand seeds for a run that breaks
// it, and replay the one they find.
//
// Every replica takes increments from clients. A replica applies an
// increment to its Store, passes it on to each of its peers, and
// acknowledges it to the client once every peer has applied it too. A
// client that gets no answer in time tries the next replica. Each
// increment carries an ID, and a Store applies an ID once: that is what
// makes the retry safe, as the first attempt may have been applied even
// though its answer never came.
//
// The protocol is a line of text each way:
//
//	INCR key id   ->  OK n     (from a client; n is the replica's count)
//	APPLY key id  ->  OK       (from a peer replica)
//
// Client.UnsafeRetry plants a bug for the tests to find: the client gives
// each attempt a new ID, so a retry of an increment that was applied
// after all is applied twice.
package kvsim
