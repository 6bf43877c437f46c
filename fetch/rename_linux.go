package fetch

import (
	"os"

	"golang.org/x/sys/unix"
)

// renameNoReplace renames from to to, in one step, unless to exists: then
// it fails with an error matching fs.ErrExist. File systems without
// RENAME_NOREPLACE get linkNoReplace.
func renameNoReplace(from, to string) error {
	err := unix.Renameat2(unix.AT_FDCWD, from, unix.AT_FDCWD, to, unix.RENAME_NOREPLACE)
	switch err {
	case nil:
		return nil
	case unix.EINVAL, unix.ENOSYS, unix.EOPNOTSUPP:
		return linkNoReplace(from, to)
	}
	return &os.LinkError{Op: "rename", Old: from, New: to, Err: err}
}
