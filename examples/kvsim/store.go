package kvsim

// A Store is a replica's durable state: its counters and the IDs of the
// increments it applied. It outlives a crash of its replica, as a disk
// does: give a restarted replica the Store it had. A Store must be used by
// one loop's tasks only.
type Store struct {
	counters map[string]int
	applied  map[string]bool
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{counters: make(map[string]int), applied: make(map[string]bool)}
}

// Apply adds one to key's counter unless the increment id was applied
// already, and returns the counter.
func (s *Store) Apply(key, id string) int {
	if !s.applied[id] {
		s.applied[id] = true
		s.counters[key]++
	}
	return s.counters[key]
}

// Get returns key's counter: 0 for a key never incremented.
func (s *Store) Get(key string) int { return s.counters[key] }
