//go:build !unix

package fetch

import "os"

// openFile opens the regular file at path as os.OpenFile does, with flag
// and perm; a path naming anything but a regular file is an error matching
// ErrNotRegularFile. Without O_NOFOLLOW here, the path is looked at before
// it is opened and the file after; the unix version has no such gap.
func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	if fi, err := os.Lstat(path); err == nil && !fi.Mode().IsRegular() {
		return nil, notRegular(path, fi.Mode())
	}
	f, err := os.OpenFile(path, flag, perm)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err == nil && !fi.Mode().IsRegular() {
		err = notRegular(path, fi.Mode())
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
