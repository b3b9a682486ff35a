package main

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// What the server records of itself for the performance work, each named
// by a variable of its environment (main): a CPU profile, an execution
// trace, a heap profile.

// startProfile writes a CPU profile of the server into path until the
// function it returns is called (as the server stops), for the
// performance work (README, Performance): the benchmarks that run sockplay
// as a child pass the variable SOCKPLAY_CPUPROFILE on. An empty path
// profiles nothing.
func startProfile(path string, stderr io.Writer) func() {
	return record(path, "CPU profile", pprof.StartCPUProfile, pprof.StopCPUProfile, stderr)
}

// startTrace writes an execution trace of the server (runtime/trace: every
// goroutine's runs and waits, the collector's phases) into path until the
// function it returns is called, as startProfile does a CPU profile: what
// holds a request up shows in `go tool trace`. An empty path traces
// nothing.
func startTrace(path string, stderr io.Writer) func() {
	return record(path, "execution trace", trace.Start, trace.Stop, stderr)
}

// startHeapProfile writes a heap profile of the server into path when the
// function it returns is called (as the server stops): what was allocated
// since the start (go tool pprof -sample_index=alloc_space) and what is
// live as it stops. It collects first: a profile counts what the last
// collection saw, which without one could be long before the end of the
// run. An empty path writes nothing.
func startHeapProfile(path string, stderr io.Writer) func() {
	var out io.Writer
	return record(path, "heap profile", func(w io.Writer) error { out = w; return nil }, func() {
		runtime.GC()
		if err := pprof.Lookup("heap").WriteTo(out, 0); err != nil {
			fmt.Fprintf(stderr, "sockplay: no heap profile: %v\n", err)
		}
	}, stderr)
}

// record starts a recording (what) into a new file at path, and returns
// what stops it and closes the file. A file that cannot be made or started
// is said on stderr, and nothing is recorded.
func record(path, what string, start func(io.Writer) error, stop func(), stderr io.Writer) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err == nil {
		err = start(f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "sockplay: no %s: %v\n", what, err)
		return func() {}
	}
	return func() {
		stop()
		f.Close()
	}
}
