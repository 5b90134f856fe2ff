package analysis

// series is one member's change points, bounded: when full it thins the
// points that only change the term first, then role changes, keeping the
// moves into and out of leadership longest; Omitted counts what it dropped.
type series struct {
	points  []Point
	omitted int
	stride  int // after a compaction, keep one term-only point in stride
	skip    int
}

func (s *series) add(p Point, max int) {
	if max < 4 {
		max = 4
	}
	n := len(s.points)
	if n > 0 && s.points[n-1].State == p.State && s.stride > 1 {
		s.skip++
		if s.skip < s.stride {
			s.omitted++
			return
		}
		s.skip = 0
	}
	s.points = append(s.points, p)
	if len(s.points) >= max {
		for level := 0; level < 3 && len(s.points) > max/2; level++ {
			s.thin(level)
		}
		if s.stride < 1<<20 {
			s.stride = max2(2, s.stride*2)
		}
	}
}

// thin drops every other point of priority level or lower, never the first
// or the last point.
func (s *series) thin(level int) {
	ps := s.points
	out := ps[:1]
	drop := false
	for i := 1; i < len(ps)-1; i++ {
		if pointPriority(ps[i-1], ps[i]) <= level {
			drop = !drop
			if drop {
				s.omitted++
				continue
			}
		}
		out = append(out, ps[i])
	}
	out = append(out, ps[len(ps)-1])
	clear(ps[len(out):])
	s.points = out
}

// pointPriority ranks how much a point says: 0 a term change, 1 a role
// change, 2 a move into or out of leadership (or down).
func pointPriority(prev, p Point) int {
	switch {
	case prev.State == p.State:
		return 0
	case prev.State == StateLeader || p.State == StateLeader || p.State == StateDown || prev.State == StateDown:
		return 2
	default:
		return 1
	}
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}
