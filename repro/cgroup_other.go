//go:build !linux

package repro

import (
	"errors"

	"github.com/etcdpm/etcdpm/cluster/scenario"
)

// Throttling a member needs Linux's cgroups.

var errNoCgroups = errors.New("throttling a member needs Linux's cgroups")

const cfsPeriod = 100000

type cgroupSetting struct{}

type processThrottle struct{}

func (*processThrottle) undo() error { return nil }

func cgroupV2() bool { return false }

func procCgroup(int, string) (string, error) { return "", errNoCgroups }

func writeSettings(string, scenario.Limits) []cgroupSetting { return nil }

func apply(string, []cgroupSetting, bool) error { return errNoCgroups }

func blockDevice(string) (string, string, error) { return "", "", errNoCgroups }

func throttleProcess(int, string, string, scenario.Limits) (*processThrottle, string, error) {
	return nil, "", errNoCgroups
}
