package fetch

import "math/rand/v2"

// SetRand makes the jitter of d's backoffs come from r.
func SetRand(d *Downloader, r *rand.Rand) { d.rand = r }

// Reserve reserves names in order in a new name set and returns what each
// got.
func Reserve(names ...string) []string {
	s := make(nameSet)
	got := make([]string, len(names))
	for i, n := range names {
		got[i] = s.reserve(n)
	}
	return got
}

// Internals that tests check directly.
var (
	SanitizeName    = sanitizeName
	ResponseName    = responseName
	ParseRetryAfter = parseRetryAfter
	Backoff         = backoff
	LinkNoReplace   = linkNoReplace
)

const (
	BackoffBase = backoffBase
	ResumeMin   = resumeMin
	MaxMeta     = maxMeta
)

const PreallocStep = preallocStep
