//go:build !linux

package fetch

// renameNoReplace renames from to to unless to exists: then it fails with
// an error matching fs.ErrExist.
func renameNoReplace(from, to string) error { return linkNoReplace(from, to) }
