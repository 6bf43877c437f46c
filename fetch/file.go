package fetch

import (
	"io/fs"
)

// Files in Dir. Every file that a download opens there (NAME.part, its
// sidecar NAME.part.meta, a file already under the final name) is opened
// with openFile, which does not take a directory entry for what its name
// says it is: the names come from servers, and an earlier run, another
// program or another user may have put something else under them. Opened
// the usual way, a symbolic link would make the download write wherever
// it points, and a named pipe would block the worker that opens it for
// good, and with it the end of the run, since Fetch waits for its
// workers. So openFile follows no link in the last element of the path,
// never blocks in open, and refuses anything but a regular file.

// A notRegularError is the error of openFile for a path that names
// something other than a regular file. It matches ErrNotRegularFile.
type notRegularError struct {
	path string
	what string // what the path names, such as "a symbolic link"
}

func (e *notRegularError) Error() string {
	return "fetch: " + e.path + " is " + e.what + ", not a regular file; remove it"
}

func (e *notRegularError) Is(target error) bool { return target == ErrNotRegularFile }

// notRegular returns the error for path, which names a file of mode m.
func notRegular(path string, m fs.FileMode) error {
	return &notRegularError{path: path, what: describeMode(m)}
}

// describeMode says what kind of file mode m is, with an article.
func describeMode(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "a symbolic link"
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m.IsDir():
		return "a directory"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeDevice != 0:
		return "a device"
	}
	return "a special file"
}
