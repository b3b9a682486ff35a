package web_test

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/web"
)

// BenchmarkRoom100: a room of 100 students, each a WebSocket client of a
// session of its own, and an instructor, on one in-process server.
//
//   - join: the 100 send room_join at once; the time until every result
//     is in and the instructor's roster lists all 101 (ms per storm).
//   - roster: in a quiet room, one student makes a socket; the time until
//     the instructor's roster shows it (ms; a change within 250 ms of the
//     last roster waits for the rest of those 250 ms, as rosters are
//     coalesced).
//   - follow: the instructor's room_drive; the time until all 100 got
//     their follow (ms per fan-out).
//
// (The class LAN's broadcast fan-out is measured where the LAN is built.)
//
//	go test ./web/ -run '^$' -bench BenchmarkRoom100 -benchtime 5x
func BenchmarkRoom100(b *testing.B) {
	const n = 100
	fast := web.ShareLimit{Every: time.Microsecond, Burst: 10000}
	srv := newServer(b, sessions.Config{MaxSessions: 20000}, web.WithRoomLimit(web.RoomLimit{Join: fast, Create: fast}))

	b.Run("join", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			k, studs := benchRoom(b, srv, n)
			start := time.Now()
			if err := joinAll(studs, k.code, func(r msg) error { return nil }); err != nil {
				b.Fatal(err)
			}
			if _, err := awaitKind(k.inst, "roster", func(m msg) bool { return len(members(m)) == n+1 }); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
			k.inst.must("room_end", obj{})
			for _, c := range studs {
				c.conn.Close()
			}
		}
		b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/join-storm")
	})

	k, studs := benchRoom(b, srv, n)
	for j, c := range studs {
		join(b, c, k.code, fmt.Sprint("student ", j))
	}
	m, err := awaitKind(k.inst, "roster", func(m msg) bool { return len(members(m)) == n+1 })
	if err != nil {
		b.Fatal(err)
	}
	k.lastRoster = m

	b.Run("roster", func(b *testing.B) {
		var lat []time.Duration
		for i := 0; i < b.N; i++ {
			c := studs[i%n]
			name := fmt.Sprint("student ", i%n)
			want := members(k.lastRoster)[name].num("sockets") + 1
			time.Sleep(300 * time.Millisecond) // a quiet room: the roster is not held back by the last one
			start := time.Now()
			c.socket("SOCK_DGRAM")
			m, err := awaitKind(k.inst, "roster", func(m msg) bool { return members(m)[name].num("sockets") == want })
			if err != nil {
				b.Fatal(err)
			}
			lat = append(lat, time.Since(start))
			k.lastRoster = m
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1e3, "ms-p50/roster-update")
		b.ReportMetric(float64(lat[len(lat)-1].Microseconds())/1e3, "ms-max/roster-update")
	})

	b.Run("follow", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			step := fmt.Sprint("cell-", i)
			start := time.Now()
			id := k.inst.send("room_drive", obj{"page": "/lessons/udp-broadcast", "step": step})
			errs := make(chan error, n)
			var wg sync.WaitGroup
			for _, c := range studs {
				wg.Go(func() {
					_, err := awaitKind(c, "follow", func(m msg) bool { return m.str("step") == step })
					errs <- err
				})
			}
			wg.Wait()
			total += time.Since(start)
			close(errs)
			for err := range errs {
				if err != nil {
					b.Fatal(err)
				}
			}
			if _, err := awaitKind(k.inst, "result", func(m msg) bool { return m.num("id") == id && m.num("followers") == n }); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/follow-fan-out")
	})
}

// benchClass is a room whose instructor has joined.
type benchClass struct {
	code       string
	inst       *client
	lastRoster msg
}

// benchRoom makes a room, its instructor joined, and n students' connections
// (sessions of their own), not joined yet.
func benchRoom(b *testing.B, srv *testServer, n int) (*benchClass, []*client) {
	b.Helper()
	teacher := newJarBrowser(srv)
	k := &benchClass{code: teacher.createRoom(b, "bench", "")}
	k.inst = teacher.dial(b)
	k.inst.must("room_join", obj{"room": k.code})
	studs := make([]*client, n)
	for i := range studs {
		studs[i] = newJarBrowser(srv).dial(b)
	}
	return k, studs
}

// awaitKind reads c's messages until one of kind that match accepts. It
// may run on a goroutine of its own: it fails nothing itself.
func awaitKind(c *client, kind string, match func(msg) bool) (msg, error) {
	timeout := time.After(30 * time.Second)
	for {
		select {
		case m, ok := <-c.msgs:
			if !ok {
				return nil, errors.New("connection closed")
			}
			c.check(m)
			if m.str("kind") == kind && match(m) {
				return m, nil
			}
		case <-timeout:
			return nil, fmt.Errorf("no %s within 30 s", kind)
		}
	}
}

// joinAll has every student send room_join for room at once (named
// "student N") and waits for all their results; a failed join is an error,
// and check looks at each ok result. It returns the first failure.
func joinAll(studs []*client, room string, check func(r msg) error) error {
	errs := make(chan error, len(studs))
	var wg sync.WaitGroup
	for j, c := range studs {
		wg.Go(func() {
			id := c.send("room_join", obj{"room": room, "name": fmt.Sprint("student ", j)})
			r, err := awaitKind(c, "result", func(m msg) bool { return m.num("id") == id })
			if err == nil && !r.ok() {
				err = fmt.Errorf("room_join failed: %v", r)
			} else if err == nil {
				err = check(r)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
