package debughttp

// The address file lets asyncio-ps find a server from a process ID. Its name
// is predictable, so it lives in a directory private to the user, and both
// sides check what they find instead of trusting the name: in a shared
// directory another user could plant a symbolic link that makes Listen
// overwrite a file of the victim's, or a file of their own that points
// asyncio-ps at a server of their choosing.

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
)

// maxAddrFile bounds what ReadAddrFile reads: an address is far shorter.
const maxAddrFile = 256

// AddrFile returns the file in which Listen records the address of the
// server of process pid: debug-PID.addr in the directory goasyncio of
// $XDG_RUNTIME_DIR if that is set to an absolute path, else in the directory
// goasyncio-UID of os.TempDir(), where UID is the user's ID. The directory
// is private to the user (mode 0700); Listen makes it. A program and the
// asyncio-ps that looks for it must see the same XDG_RUNTIME_DIR and TMPDIR.
func AddrFile(pid int) string {
	return filepath.Join(addrDir(), "debug-"+strconv.Itoa(pid)+".addr")
}

func addrDir() string {
	if run := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(run) {
		return filepath.Join(run, "goasyncio")
	}
	name := "goasyncio"
	if uid := os.Getuid(); uid >= 0 { // -1 where there are no user IDs
		name += "-" + strconv.Itoa(uid)
	}
	return filepath.Join(os.TempDir(), name)
}

// ReadAddrFile returns the address that the server of process pid recorded
// in AddrFile(pid). It refuses, with an error saying why, a file that it
// cannot trust to have been written by Listen in a process of the same user:
// a symbolic link, a file that is not regular, has other links, is owned by
// another user (other than root) or writable by others, is too big or does
// not hold a host:port address, or one in a directory that is not private to
// the user. Where the file is missing, the error matches fs.ErrNotExist.
func ReadAddrFile(pid int) (string, error) {
	path := AddrFile(pid)
	if err := checkPrivateDir(filepath.Dir(path)); err != nil {
		return "", err
	}
	f, err := openNoFollow(path)
	if err != nil {
		return "", describe(path, err)
	}
	defer f.Close()
	// Checking the open file, not the name, leaves no gap in which the file
	// could be swapped for another.
	fi, err := f.Stat()
	if err != nil {
		return "", fmt.Errorf("debughttp: %w", err)
	}
	if err := checkTrusted(path, fi); err != nil {
		return "", err
	}
	if fi.Size() > maxAddrFile {
		return "", fmt.Errorf("debughttp: %s is too big for an address file (%d bytes)", path, fi.Size())
	}
	b, err := io.ReadAll(io.LimitReader(f, maxAddrFile))
	if err != nil {
		return "", fmt.Errorf("debughttp: %w", err)
	}
	addr := strings.TrimSpace(string(b))
	if host, _, err := net.SplitHostPort(addr); err != nil || net.ParseIP(host) == nil {
		return "", fmt.Errorf("debughttp: %s holds %q, not a host:port address", path, addr)
	}
	return addr, nil
}

// checkTrusted checks that fi, the file at path, can only have been written
// by the user or root.
func checkTrusted(path string, fi fs.FileInfo) error {
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("debughttp: %s is not a regular file (%v)", path, fi.Mode())
	}
	uid, links, ok := owner(fi)
	if !ok {
		return nil // no owners or modes to check on this system
	}
	if uid != os.Getuid() && uid != 0 {
		return fmt.Errorf("debughttp: %s is owned by uid %d, not %d", path, uid, os.Getuid())
	}
	if fi.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("debughttp: %s is writable by others (mode %v)", path, fi.Mode())
	}
	// Another link could be a file of the user's that someone linked here,
	// to have it read as an address.
	if links != 1 {
		return fmt.Errorf("debughttp: %s has %d links; an address file has one", path, links)
	}
	return nil
}

// makePrivateDir makes dir with mode 0700 unless it exists, and checks that
// it is private to the user.
func makePrivateDir(dir string) error {
	if err := checkParent(filepath.Dir(dir)); err != nil {
		return err
	}
	err := os.Mkdir(dir, 0o700)
	switch {
	case err == nil:
		// The umask may have taken away bits of 0700 that the owner needs.
		if err := os.Chmod(dir, 0o700); err != nil {
			return fmt.Errorf("debughttp: %w", err)
		}
	case !errors.Is(err, fs.ErrExist):
		return fmt.Errorf("debughttp: %w", err)
	}
	return checkPrivateDir(dir)
}

// checkPrivateDir checks that dir is a directory, not a symbolic link to
// one, owned by the user and closed to everyone else (mode 0700).
func checkPrivateDir(dir string) error {
	fi, err := os.Lstat(dir)
	if err != nil {
		return describe(dir, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("debughttp: %s is a symbolic link, not a directory of its own", dir)
	}
	if !fi.IsDir() {
		return fmt.Errorf("debughttp: %s is not a directory (%v)", dir, fi.Mode())
	}
	uid, _, ok := owner(fi)
	if !ok {
		return nil
	}
	if uid != os.Getuid() {
		return fmt.Errorf("debughttp: %s is owned by uid %d, not %d", dir, uid, os.Getuid())
	}
	if want := fs.ModeDir | 0o700; fi.Mode() != want {
		return fmt.Errorf("debughttp: %s has mode %v, want %v", dir, fi.Mode(), want)
	}
	return nil
}

// checkParent checks that others cannot rename or remove what the user
// makes in dir: a directory others may write to must be sticky, as /tmp is.
func checkParent(dir string) error {
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("debughttp: %w", err)
	}
	if _, _, ok := owner(fi); ok && fi.Mode().Perm()&0o022 != 0 && fi.Mode()&fs.ModeSticky == 0 {
		return fmt.Errorf("debughttp: others may replace what is in %s (mode %v, not sticky)", dir, fi.Mode())
	}
	return nil
}

// writeAddrFile records addr in path, which it makes exclusively, never
// writing through a file or link that is there; one left by an earlier
// process with the same ID, or an earlier Listen, is replaced if it is a
// regular file of the user's.
func writeAddrFile(path, addr string) error {
	if err := makePrivateDir(filepath.Dir(path)); err != nil {
		return err
	}
	f, err := createExclusive(path)
	if errors.Is(err, fs.ErrExist) {
		if err := removeStale(path); err != nil {
			return err
		}
		f, err = createExclusive(path)
	}
	if err != nil {
		return describe(path, err)
	}
	_, werr := f.WriteString(addr + "\n")
	if err := errors.Join(werr, f.Close()); err != nil {
		os.Remove(path)
		return fmt.Errorf("debughttp: %w", err)
	}
	return nil
}

// createExclusive makes path for writing, failing if anything, a dangling
// symbolic link included, is there.
func createExclusive(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
}

// removeStale removes path if it is a regular file of the user's.
func removeStale(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return describe(path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("debughttp: %s is a symbolic link, not an address file; not replacing it", path)
	}
	if err := checkTrusted(path, fi); err != nil {
		return fmt.Errorf("%w; not replacing it", err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("debughttp: %w", err)
	}
	return nil
}

// addrFile is the open Server whose address is in the process's address
// file. The file belongs to the process, so this state does too: a second
// Listen replaces the file, and the first server's Close must then leave it.
var addrFile struct {
	sync.Mutex
	owner *Server
}

// recordAddr writes s's address to path and makes s the file's owner.
func recordAddr(s *Server, path string) error {
	addrFile.Lock()
	defer addrFile.Unlock()
	if err := writeAddrFile(path, s.Addr()); err != nil {
		return err
	}
	addrFile.owner = s
	return nil
}

// removeAddr removes the address file if it is s's.
func removeAddr(s *Server, path string) {
	addrFile.Lock()
	defer addrFile.Unlock()
	if addrFile.owner == s {
		os.Remove(path)
		addrFile.owner = nil
	}
}

// describe words an error of opening or creating path.
func describe(path string, err error) error {
	if isLoop(err) {
		return fmt.Errorf("debughttp: %s is a symbolic link; an address file is not", path)
	}
	return fmt.Errorf("debughttp: %w", err)
}
