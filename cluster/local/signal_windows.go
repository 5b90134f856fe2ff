package local

import (
	"errors"
	"os"
	"os/exec"
)

// prepare has nothing to set on Windows: members are killed one by one.
func prepare(*exec.Cmd) {}

// send terminates the process for sigTerm and sigKill; Windows cannot freeze a process.
func send(p *os.Process, sig signal) error {
	if sig == sigTerm || sig == sigKill {
		return p.Kill()
	}
	return errors.New("pausing a member is not supported on windows")
}

func killGroup(p *os.Process) { p.Kill() }
