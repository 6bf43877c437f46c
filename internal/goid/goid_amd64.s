//go:build !purego

#include "textflag.h"

// func Current() uintptr
//
// The runtime keeps the current goroutine's descriptor in a thread-local
// slot; TLS addressing is the form the runtime's own assembly uses to read
// it, and the assembler adapts it to each operating system.
TEXT ·Current(SB), NOSPLIT, $0-8
	MOVQ TLS, CX
	MOVQ 0(CX)(TLS*1), AX
	MOVQ AX, ret+0(FP)
	RET
