package futures

// WorkerEnv is the variable that marks worker processes.
const WorkerEnv = workerEnv

// LiveWorkers returns how many worker goroutines p has started.
func LiveWorkers(p *ThreadPoolExecutor) int {
	p.pool.mu.Lock()
	defer p.pool.mu.Unlock()
	return p.pool.live
}

// MaxWorkers returns p's worker limit, 0 if not settled yet.
func MaxWorkers(p *ThreadPoolExecutor) int {
	p.pool.mu.Lock()
	defer p.pool.mu.Unlock()
	return p.pool.max
}

// DefaultThreadWorkers is the worker limit of a pool made with 0.
var DefaultThreadWorkers = defaultThreadWorkers

// Waiters returns how many Wait or AsCompleted calls watch f.
func Waiters[T any](f *Future[T]) int {
	f.c.mu.Lock()
	defer f.c.mu.Unlock()
	return len(f.c.waiters)
}
