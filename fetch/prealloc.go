package fetch

import "os"

// preallocStep is how far ahead of its writes a part's blocks are
// reserved.
//
// Reserving the blocks before the data comes makes the writes cheaper:
// ext4, with its delayed allocation, books every block written to a file
// that has none against the free space, one by one, as it copies the data
// into the page cache; over reserved (unwritten) blocks it skips that.
// Saving 8 files of 64 MiB, the writes took about 15% less CPU. A step
// rather than the whole length, so that a server announcing a length it
// never sends cannot make a download take the disk before a byte arrives,
// and a failed part holds at most a step of blocks past its end.
const preallocStep = 8 << 20

// A prealloc reserves the blocks of a part ahead of its writes, up to
// the file's length, without changing the part's size (the size is what
// resumption trusts). It is best effort: where the file system cannot, it
// stops trying, and the writes do without. The zero prealloc does
// nothing.
type prealloc struct {
	f    *os.File
	next int64 // the end of the blocks reserved so far
	end  int64 // the file's length; next >= end: nothing more to do
}

// newPrealloc returns a prealloc for f, whose writes start at off, of a
// file of total bytes (-1 if unknown).
func newPrealloc(f *os.File, off, total int64) prealloc {
	return prealloc{f: f, next: off, end: total}
}

// before reserves blocks, if needed, for a write that ends at offset to.
func (p *prealloc) before(to int64) {
	if to <= p.next || p.next >= p.end {
		return
	}
	n := min(max(preallocStep, to-p.next), p.end-p.next)
	if err := reserve(p.f, p.next, n); err != nil {
		p.end = 0
		return
	}
	p.next += n
}
