// Package member runs one etcd member inside this process with etcd's own main (etcdmain, on
// top of embed): the same flags, ETCD_* variables, zap JSON logs on stderr and signal handling
// as the etcd binary of the same version (go.etcd.io/etcd/server/v3 in go.mod).
package member

import (
	"os"
	"os/signal"
	"syscall"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

// Main runs etcd with args, its command-line flags (e.g. --name=n1 --data-dir=...), and exits the
// process when etcd stops: it never returns. SIGTERM and SIGINT get etcd's own handling (a leader
// hands leadership over, then the member exits); whatever this process asked of them before is
// undone, so that a member still joining dies of them as the etcd binary does.
func Main(args []string) {
	signal.Reset(syscall.SIGINT, syscall.SIGTERM)
	etcdmain.Main(append([]string{os.Args[0]}, args...))
	os.Exit(0)
}
