// Package funcname names functions as task dumps and traces show them.
package funcname

import (
	"runtime"
	"strings"
)

// Of names the function at pc without its package path, e.g.
// "main.download" or "fetch.(*Client).Get"; "?" if pc is no function's.
func Of(pc uintptr) string {
	f := runtime.FuncForPC(pc)
	if f == nil {
		return "?"
	}
	name := f.Name()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return name
}
