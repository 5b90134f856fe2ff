package cluster

import (
	"errors"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
)

// Ports are picked below Linux's default ephemeral range (32768-60999), so that the outgoing
// connections of a running cluster cannot take a port a member is about to listen on.
const (
	minPort = 20000
	maxPort = 32000
)

// FreePorts returns n distinct ports on 127.0.0.1 that were free a moment ago,
// for members' listeners and published ports.
func FreePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for tries := 0; len(ports) < n; tries++ {
		if tries > 100*n {
			return nil, errors.New("finding free ports on 127.0.0.1: none left")
		}
		port := minPort + rand.IntN(maxPort-minPort)
		if slices.Contains(ports, port) {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		ports = append(ports, port)
	}
	return ports, nil
}
