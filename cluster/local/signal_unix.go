//go:build unix

package local

import (
	"os"
	"os/exec"
	"runtime"
	"syscall"
)

// prepare puts a member in its own process group, so that killGroup reaches anything it starts,
// and on Linux has the kernel kill it should this process die first.
func prepare(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if runtime.GOOS == "linux" {
		setPdeathsig(cmd.SysProcAttr)
	}
}

// send delivers sig to the process.
func send(p *os.Process, sig signal) error {
	return syscall.Kill(p.Pid, unixSignals[sig])
}

// killGroup sends SIGKILL to the process's group, or to the process alone should that fail.
func killGroup(p *os.Process) {
	if syscall.Kill(-p.Pid, syscall.SIGKILL) != nil {
		p.Kill()
	}
}

var unixSignals = [...]syscall.Signal{
	sigTerm: syscall.SIGTERM,
	sigKill: syscall.SIGKILL,
	sigStop: syscall.SIGSTOP,
	sigCont: syscall.SIGCONT,
}
