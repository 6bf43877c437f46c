package fetch

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
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

// finalFile looks at path, the final name of the download of req, before
// anything is saved. It returns a skipped Result if cont (Continue) is set
// and the file there is complete, and an error matching ErrExists if a
// file is there that overwrite does not allow to replace; otherwise the
// download may go on. That a name is free now does not mean it will be
// when the download is complete: publish looks again, without a gap.
func finalFile(path string, req Request, cont, overwrite bool) (Result, error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Result{}, nil
	}
	if err != nil {
		return Result{}, err
	}
	var detail string
	switch {
	case !fi.Mode().IsRegular():
		detail = " (" + describeMode(fi.Mode()) + ")"
	case cont:
		res, ok, err := completeFile(path, req)
		if err != nil || ok {
			return res, err
		}
		detail = " (its sha256 is not the one asked for)"
	}
	if overwrite {
		return Result{}, nil
	}
	return Result{}, fmt.Errorf("%w: %s%s", ErrExists, path, detail)
}

// completeFile reports whether the regular file at path is the complete
// download of req (any file is, unless req has a checksum), and returns
// the skipped Result if so.
func completeFile(path string, req Request) (Result, bool, error) {
	f, err := openFile(path, os.O_RDONLY, 0)
	if err != nil {
		return Result{}, false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Result{}, false, err
	}
	res := Result{Request: req, Path: path, Bytes: fi.Size(), Skipped: true}
	if req.SHA256 == "" {
		return res, true, nil
	}
	buf := buffers.Get().(*[bufSize]byte)
	defer buffers.Put(buf)
	h := sha256.New()
	if _, err := io.CopyBuffer(h, f, buf[:]); err != nil {
		return Result{}, false, err
	}
	res.SHA256 = hex.EncodeToString(h.Sum(nil))
	return res, res.SHA256 == req.SHA256, nil
}

// publish gives the complete part its final name. With overwrite it
// replaces whatever has the name; without, a file that took the name
// since finalFile looked (another program's, or another run's) stays,
// and publish fails with ErrExists.
func publish(part, final string, overwrite bool) error {
	if overwrite {
		return os.Rename(part, final)
	}
	err := renameNoReplace(part, final)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s (made while the download ran)", ErrExists, final)
	}
	return err
}

// linkNoReplace renames from to to unless to exists, where the system or
// the file system cannot do that in one step: a hard link is made only if
// to does not exist, and then from is removed. Where there are no hard
// links either (FAT, some network file systems), it looks for to and then
// renames: a file made between the two is replaced, as nothing better is
// possible there.
func linkNoReplace(from, to string) error {
	err := os.Link(from, to)
	if err == nil {
		// The file is complete under its final name; should the part's
		// removal fail, a later run writes over the part, which has no
		// sidecar any more.
		os.Remove(from)
		return nil
	}
	if errors.Is(err, fs.ErrExist) {
		return err
	}
	if _, err := os.Lstat(to); err == nil {
		return &os.LinkError{Op: "rename", Old: from, New: to, Err: fs.ErrExist}
	}
	return os.Rename(from, to)
}
