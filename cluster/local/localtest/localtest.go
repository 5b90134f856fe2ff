// Package localtest finds the etcd binary that tests of real members run: one place for
// every package's tests.
package localtest

import (
	"os"
	"path/filepath"
	"testing"
)

// EtcdBinary returns $ETCDPM_ETCD_BINARY, else the etcd 3.6 that scripts/build-etcd.sh builds
// under root (the repository's root, relative to the test's package). Without it the test is
// skipped, or fails under CI=true.
func EtcdBinary(t testing.TB, root string) string {
	t.Helper()
	bin := os.Getenv("ETCDPM_ETCD_BINARY")
	if bin == "" {
		bin = filepath.Join(root, ".cache", "etcd", "v3.6.16", "etcd")
	}
	if _, err := os.Stat(bin); err != nil {
		msg := "no etcd binary at " + bin + ": run scripts/build-etcd.sh 3.6.16 or set ETCDPM_ETCD_BINARY"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}
