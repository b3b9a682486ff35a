package web_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// floodPairs is how many sendto/recvfrom pairs one flood of the benchmark
// sends: twice as many results, plus the stats they cause.
const floodPairs = 10_000

// floodProbe, evaluated in the workbench page, times clicks on #new-udp4
// from the input event (its timeStamp, when the browser made it) to the
// frame after the new socket's card appeared, and records long tasks.
const floodProbe = `(() => {
  const probe = window.floodProbe = { clicks: [], ms: [], long: [] };
  document.addEventListener('click', (e) => {
    if (e.target.closest('#new-udp4')) probe.clicks.push(e.timeStamp);
  }, true);
  new MutationObserver((records) => {
    for (const r of records) for (const n of r.addedNodes) {
      if (!n.classList?.contains('sock-card') || probe.clicks.length === 0) continue;
      const t0 = probe.clicks.shift();
      requestAnimationFrame(() => probe.ms.push(performance.now() - t0));
    }
  }).observe(document.getElementById('cards'), { childList: true });
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) probe.long.push(e.duration);
  }).observe({ type: 'longtask' });
  probe.loaf = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) probe.loaf.push({ d: Math.round(e.duration), block: Math.round(e.blockingDuration),
      render: Math.round(e.startTime + e.duration - e.renderStart), layout: Math.round(e.startTime + e.duration - e.styleAndLayoutStart),
      scripts: e.scripts.map((s) => s.invoker + ' ' + Math.round(s.duration) + ' fl' + Math.round(s.forcedStyleAndLayoutDuration)).join('; ') });
  }).observe({ type: 'long-animation-frame' });
  return true;
})()`

// BenchmarkBrowserFlood floods a workbench page in headless Chromium
// through the real path (a second client of its session pipelines UDP
// sendto/recvfrom pairs between the page's sockets) and measures:
//
//   - events/s: messages the page applied per second, from the flood's
//     start until the page shows the flood's last message;
//   - sent/s: messages per second the server delivered to the flooding
//     client in the same time (the page cannot go faster than this);
//   - click-ms: clicks on "new UDP socket" during the flood, from the input
//     event to the frame after the new card appeared (median, and max);
//   - longtasks: main-thread tasks over 50 ms during the floods.
//
// The flood comes as fast as the server makes it, or (rate=N) at N results
// per second, a load the page should keep up with: there events/s is close
// to N, and click-ms is what a learner clicking during a flood waits.
func BenchmarkBrowserFlood(b *testing.B) {
	for _, rate := range []int{0, 10_000} {
		name := "max"
		if rate > 0 {
			name = fmt.Sprintf("rate=%d", rate)
		}
		b.Run(name, func(b *testing.B) { benchFlood(b, rate) })
	}
}

func benchFlood(b *testing.B, rate int) {
	p, f := floodPage(b)
	f.rate = rate
	eval[bool](p, floodProbe)
	var events int
	var pageTime, serverTime time.Duration
	clicks := 0
	for b.Loop() {
		first := f.lastSeq()
		p.do("the page is up to date", renderedThrough(first))
		done := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; n < 4 && clicks < 50; n++ {
				select {
				case <-done:
					return
				case <-time.After(300 * time.Millisecond):
				}
				clicks++
				ctx, cancel := context.WithTimeout(p.ctx, 2*browserStep)
				err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#new-udp4")),
					waitJS(fmt.Sprintf(`floodProbe.ms.length >= %d`, clicks),
						chromedp.WithPollingInterval(5*time.Millisecond)))
				cancel()
				if err != nil {
					b.Errorf("click %d: %v", clicks, err)
					return
				}
			}
		}()
		start := time.Now()
		last := f.flood(floodPairs, nil, "s1")
		serverTime += time.Since(start)
		p.do("the page shows the flood's last message", shownThrough(last))
		pageTime += time.Since(start)
		close(done)
		wg.Wait()
		events += last - first
	}
	if testing.Verbose() {
		b.Log("longest animation frames (ms):\n" + eval[string](p, `floodProbe.loaf.sort((a, b) => b.d - a.d).slice(0, 12).map((e) => JSON.stringify(e)).join("\n")`))
	}
	ms := eval[[]float64](p, `floodProbe.ms`)
	long := eval[[]float64](p, `floodProbe.long`)
	b.ReportMetric(float64(events)/pageTime.Seconds(), "events/s")
	b.ReportMetric(float64(events)/serverTime.Seconds(), "sent/s")
	if len(ms) > 0 {
		slices.Sort(ms)
		b.ReportMetric(ms[len(ms)/2], "click-ms")
		b.ReportMetric(ms[len(ms)-1], "click-max-ms")
	}
	b.ReportMetric(float64(len(long)), "longtasks")
	if len(long) > 0 {
		b.ReportMetric(slices.Max(long), "longtask-max-ms")
	}
	b.ReportMetric(0, "ns/op")
}
