package report

import (
	"hash/fnv"
	"slices"
)

// memberPalette colours members in the term chart. It holds no red, purple
// or grey: those are the leaderless windows', the faults' and the log gaps'.
// Its order puts blue, orange and teal where etcd1, etcd2 and etcd3 hash.
var memberPalette = []string{
	"#7b8a1f", "#8c564b", "#2f6fba", "#e0722e", "#1a9c8c",
	"#c9a100", "#1f2f6e", "#c2185b", "#3c8d2f", "#17becf",
}

// memberColorNames names memberPalette's colours for the Markdown legend.
var memberColorNames = []string{
	"olive", "brown", "blue", "orange", "teal",
	"gold", "navy", "magenta", "green", "cyan",
}

// paletteSlot is where a member's colour comes from: a hash of its label
// into memberPalette, so that etcd1 has the same colour in every report.
func paletteSlot(label string) int {
	h := fnv.New32a()
	h.Write([]byte(label))
	return int(h.Sum32() % uint32(len(memberPalette)))
}

// assignColors gives each member the colour its label hashes to. Two
// labels that hash to the same colour are told apart by moving the later
// one, in label order, to the next free colour; past len(memberPalette)
// members colours repeat. It returns each member's index into
// memberPalette.
func assignColors(labels []string) []int {
	order := make([]int, len(labels))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if labels[a] < labels[b] {
			return -1
		}
		if labels[a] > labels[b] {
			return 1
		}
		return 0
	})
	slot := make([]int, len(labels))
	used := make([]bool, len(memberPalette))
	free := len(memberPalette)
	for _, i := range order {
		s := paletteSlot(labels[i])
		if free > 0 {
			for used[s] {
				s = (s + 1) % len(memberPalette)
			}
			used[s] = true
			free--
		}
		slot[i] = s
	}
	return slot
}
