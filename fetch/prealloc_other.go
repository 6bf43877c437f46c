//go:build !linux

package fetch

import (
	"errors"
	"os"
)

// reserve allocates the blocks of f's bytes from off to off+n, leaving
// its size unchanged: only on Linux, for now.
func reserve(f *os.File, off, n int64) error {
	return errors.ErrUnsupported
}
