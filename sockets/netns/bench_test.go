package netns

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkNamespace measures what a private network costs: the time to
// make and close a namespace (and a lab), and the memory a namespace holds
// while it is open — in the helper (its RSS) and in the kernel (slab and
// per-CPU memory from /proc/meminfo, which other processes disturb: run it
// on a quiet machine). helper-RSS-kB is what one helper costs at all, and so
// what a helper process per namespace would cost each.
//
//	go test -run '^$' -bench Namespace -benchtime 200x ./sockets/netns
func BenchmarkNamespace(b *testing.B) {
	for _, m := range modes() {
		b.Run(m.name, func(b *testing.B) {
			h, err := startHelper(m.userNS)
			if err != nil {
				b.Skip(err)
			}
			defer h.Close()
			b.Run("new+close", func(b *testing.B) {
				for b.Loop() {
					ns, err := h.New()
					if err != nil {
						b.Fatal(err)
					}
					ns.Close()
				}
			})
			b.Run("held", func(b *testing.B) {
				rss0, kern0 := rssKB(b, h.PID()), kernelKB(b)
				var held []*Namespace
				for b.Loop() {
					ns, err := h.New()
					if err != nil {
						b.Fatal(err)
					}
					held = append(held, ns)
				}
				rss1, kern1 := rssKB(b, h.PID()), kernelKB(b)
				n := float64(len(held))
				b.ReportMetric(float64(rss1-rss0)/n, "helper-kB/ns")
				b.ReportMetric(float64(kern1-kern0)/n, "kernel-kB/ns")
				b.ReportMetric(float64(rss0), "helper-RSS-kB")
				for _, ns := range held {
					ns.Close()
				}
			})
			b.Run("lab3", func(b *testing.B) {
				ns, err := h.New()
				if err != nil {
					b.Fatal(err)
				}
				defer ns.Close()
				for b.Loop() {
					lab, err := NewLab(ns, 3)
					if err != nil {
						b.Fatal(err)
					}
					lab.Close()
				}
			})
		})
	}
}

// rssKB is a process's resident memory, in kB.
func rssKB(b *testing.B, pid int) int {
	return statusField(b, fmt.Sprintf("/proc/%d/status", pid), "VmRSS:")
}

// kernelKB is the kernel's slab and per-CPU memory, in kB.
func kernelKB(b *testing.B) int {
	return statusField(b, "/proc/meminfo", "Slab:") + statusField(b, "/proc/meminfo", "Percpu:")
}

func statusField(b *testing.B, path, field string) int {
	f, err := os.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), field); ok {
			v, err := strconv.Atoi(strings.Fields(rest)[0])
			if err != nil {
				b.Fatal(err)
			}
			return v
		}
	}
	b.Fatalf("%s: no %s", path, field)
	return 0
}
