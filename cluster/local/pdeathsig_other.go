//go:build unix && !linux

package local

import "syscall"

func setPdeathsig(*syscall.SysProcAttr) {}
