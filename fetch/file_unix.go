//go:build unix

package fetch

import (
	"io/fs"
	"os"

	"golang.org/x/sys/unix"
)

// openFile opens the regular file at path as os.OpenFile does, with flag
// and perm, but without following a symbolic link in the path's last
// element and without blocking: a path naming anything but a regular file
// is an error matching ErrNotRegularFile.
//
// O_NONBLOCK is what keeps a named pipe from blocking the open, and so the
// file is opened with the system call rather than os.OpenFile, which would
// treat the descriptor as one to poll; once the descriptor is known to be
// a regular file it is made blocking again and handed to os.NewFile.
func openFile(path string, flag int, perm os.FileMode) (*os.File, error) {
	fd, err := unix.Open(path, flag|unix.O_NOFOLLOW|unix.O_NONBLOCK|unix.O_CLOEXEC, uint32(perm.Perm()))
	if err != nil {
		// ELOOP for a link on most systems (EMLINK on some BSDs), ENXIO
		// for a pipe opened to write with no reader: whatever the errno,
		// the path is described if it is not a regular file.
		if fi, lerr := os.Lstat(path); lerr == nil && !fi.Mode().IsRegular() {
			return nil, notRegular(path, fi.Mode())
		}
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var st unix.Stat_t
	if err := unix.Fstat(fd, &st); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fstat", Path: path, Err: err}
	}
	if m := fileMode(uint32(st.Mode)); !m.IsRegular() {
		unix.Close(fd)
		return nil, notRegular(path, m)
	}
	if err := unix.SetNonblock(fd, false); err != nil {
		unix.Close(fd)
		return nil, &os.PathError{Op: "fcntl", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// fileMode returns the type bits of a stat mode as an fs.FileMode.
func fileMode(mode uint32) fs.FileMode {
	switch mode & unix.S_IFMT {
	case unix.S_IFDIR:
		return fs.ModeDir
	case unix.S_IFLNK:
		return fs.ModeSymlink
	case unix.S_IFIFO:
		return fs.ModeNamedPipe
	case unix.S_IFSOCK:
		return fs.ModeSocket
	case unix.S_IFCHR:
		return fs.ModeDevice | fs.ModeCharDevice
	case unix.S_IFBLK:
		return fs.ModeDevice
	case unix.S_IFREG:
		return 0
	}
	return fs.ModeIrregular
}
