//go:build !unix

package debughttp

import (
	"errors"
	"io/fs"
	"os"
)

// oNoFollow is 0 where the system has no such flag; O_EXCL still keeps
// Listen from writing through a link.
const oNoFollow = 0

// owner reports that the system has no owners or modes to check.
func owner(fs.FileInfo) (uid int, links uint64, ok bool) { return 0, 0, false }

// openNoFollow opens path for reading; a symbolic link is refused after
// the fact.
func openNoFollow(path string) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return nil, errSymlink
	}
	return os.Open(path)
}

var errSymlink = errors.New("symbolic link")

func isLoop(err error) bool { return errors.Is(err, errSymlink) }
