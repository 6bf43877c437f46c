//go:build !linux

package main

import "syscall"

// workerAttr is nil where the kernel cannot signal a child as its parent
// dies: a worker of a run that was killed stops only when told to.
func workerAttr() *syscall.SysProcAttr { return nil }
