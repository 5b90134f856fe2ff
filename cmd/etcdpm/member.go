package main

import "github.com/etcdpm/etcdpm/repro/member"

// memberCmd runs one embedded etcd member: what `etcdpm repro` starts for each member of its
// local cluster. Hidden: it takes etcd's own flags, not etcdpm's.
type memberCmd struct {
	Flags []string `arg:"" optional:"" help:"etcd's flags, e.g. --name=n1 --data-dir=n1.etcd."`
}

func (c *memberCmd) Run() error {
	member.Main(c.Flags) // exits with etcd
	return nil
}
