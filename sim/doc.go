// Package sim runs a whole networked system in one asyncio loop, in
// virtual time, with network faults drawn from a seed, so that a run is
// reproducible exactly: what FoundationDB's simulator and Tokio's turmoil
// give their users, for unchanged Go code written with package asyncio.
//
// A World holds named hosts. Each host has an address (10.0.0.N), and runs
// tasks: its boot function (Host.Boot), started with the world and after
// each restart, and tasks the test starts on it (Host.Go), with the tasks
// those start. Inside the world, asyncio.OpenConnection, StartServer and
// the Stream API go over the simulated network instead of the operating
// system's, and so do ListenDatagram and DialDatagram: the loop is given
// it with asyncio.WithNetwork. Code under test
// is not changed or rebuilt: a server's main function that calls
// StartServer(ctx, "tcp", ":7", handler) is a host's boot function as it
// is. Host names resolve as DNS names do ("db:5432").
//
// The test drives the world from Run's driver function: it starts clients
// on hosts, injects faults, and checks what happened.
//
//   - SetLink sets the latency, jitter and bandwidth between two hosts, and
//     the loss and duplication of their datagrams.
//   - Partition and Repair cut two hosts apart and join them again.
//     Datagrams are lost. As TCP retransmits, a connection's bytes are not:
//     they arrive after the repair, and a connection being made fails with
//     ETIMEDOUT if the cut outlasts the connect timeout (127 s, Linux's).
//   - Hold and Release keep the messages of one direction and deliver them
//     later, in order.
//   - Reset resets every connection between two hosts.
//   - Crash stops a host: its tasks are cancelled, its listeners are gone,
//     and its connections are reset, which each peer learns when the reset
//     reaches it. Dialling it is refused until Restart, which runs its boot
//     function again.
//
// The errors are those a real network gives: a refused connection matches
// syscall.ECONNREFUSED, a reset syscall.ECONNRESET, a connect timeout
// syscall.ETIMEDOUT; an unknown host, or an address outside the world, is
// a *net.DNSError. A network call from a task on no host, or from a
// crashed host, is an error naming the call.
//
// # Time and seeds
//
// The loop runs on asyncio's virtual clock, which all hosts share: an hour
// of timeouts, retries and heartbeats runs in milliseconds. Every random
// choice (jitter, and World.Rand for the test's own) comes from the world's
// seed, and the loop runs its tasks in a fixed order, so one seed gives one
// run: World.Trace, a line per connection, message and fault stamped with
// its virtual time, is the same byte for byte. Search runs many seeds and
// returns the first that fails; Replay runs one again; Check does both for
// a Go test and prints the command that replays the failing seed
// (SIM_SEED=N go test -run ...). If no task can make progress, Run returns
// asyncio's ErrDeadlock error, which lists the stuck tasks; tasks started
// with Go carry their host's name.
//
// # What is not simulated
//
// Only what goes through the loop is simulated and replayed. Kept out:
//
//   - goroutines the code starts itself, and executors (ToThread,
//     RunInExecutor): they run in real time, outside the seed's order. Code
//     under test should do its work in tasks; a test can replace such
//     calls with tasks through an interface of its own.
//   - the file system, the wall clock (time.Now), and real sockets (package
//     net used directly): a simulated program sees the real ones. Inject a
//     clock or a store where the code needs one, and use the loop's clock
//     (Loop.Time) for time.
//   - TLS and Unix sockets: only TCP streams and UDP datagrams are
//     simulated, and WithTLS or StartTLS in a world is an error. A datagram
//     to a port where no one listens is dropped, with no ICMP error.
//   - the kernel's buffers: a connection holds up to 256 KiB that its
//     reader has not taken, then the writer's Drain waits; the window
//     reopens as soon as the reader takes bytes, without a round trip.
package sim
