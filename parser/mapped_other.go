//go:build !(linux || darwin)

package parser

import "os"

func mapFile(*os.File) *mapping { return nil }

func dropPages([]byte) {}

func (m *mapping) unmap() {}
