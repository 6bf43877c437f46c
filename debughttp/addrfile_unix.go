//go:build unix

package debughttp

import (
	"errors"
	"io/fs"
	"os"
	"syscall"
)

// oNoFollow makes opening a symbolic link fail instead of opening its target.
const oNoFollow = syscall.O_NOFOLLOW

// owner returns the user ID that owns fi and its number of hard links.
func owner(fi fs.FileInfo) (uid int, links uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), uint64(st.Nlink), true
}

// openNoFollow opens path for reading unless it is a symbolic link.
func openNoFollow(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|oNoFollow, 0)
}

// isLoop reports whether err is what opening a symbolic link with
// oNoFollow gives.
func isLoop(err error) bool { return errors.Is(err, syscall.ELOOP) }
