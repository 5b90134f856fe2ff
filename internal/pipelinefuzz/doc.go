// Package pipelinefuzz holds the fuzz target over the whole of etcdpm
// analyze: a capture directory read by capdir, its log parsed, analyzed and
// rendered in every format, each output checked for what it guarantees
// (docs/security.md). It has no code of its own beyond the test.
package pipelinefuzz
