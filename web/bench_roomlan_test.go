package web_test

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"sockplay/sessions"
	"sockplay/sockets/netns"
	"sockplay/web"
)

// BenchmarkRoom100LAN: BenchmarkRoom100's room of 100 students and an
// instructor on a private server, whose room has a class network.
//
//   - join: the 100 send room_join at once; the time until every result
//     is in, each with its address on the LAN (ms per storm: a session's
//     namespace and its link are made as it joins).
//
//   - broadcast: every student's ("", P) socket waits in recvfrom; the
//     instructor's socket sends one datagram to 10.78.0.255; the time from
//     the sendto until all 100 recvfrom results have reached their
//     WebSocket clients (ms per fan-out).
//
//     go test ./web/ -run '^$' -bench BenchmarkRoom100LAN -benchtime 5x
func BenchmarkRoom100LAN(b *testing.B) {
	const n = 100
	h, err := netns.StartProvenHelper()
	var ue *netns.UnavailableError
	if errors.As(err, &ue) && os.Getenv("CI") != "true" {
		b.Skipf("private networks unavailable here: %v", err)
	} else if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	fast := web.ShareLimit{Every: time.Microsecond, Burst: 10000}
	cfg := sessions.Config{MaxSessions: 20000, RoomNetwork: sessions.NetnsRooms(h),
		Private: func() (sessions.Namespace, error) { return h.New() }}
	srv := newServer(b, cfg, web.WithRoomLimit(web.RoomLimit{Join: fast, Create: fast}))

	b.Run("join", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			k, studs := benchRoom(b, srv, n)
			start := time.Now()
			err := joinAll(studs, k.code, func(r msg) error {
				if r.obj("lan") == nil {
					return fmt.Errorf("room_join without a LAN address: %v", r)
				}
				return nil
			})
			total += time.Since(start)
			if err != nil {
				b.Fatal(err)
			}
			k.inst.must("room_end", obj{})
			for _, c := range studs {
				c.conn.Close()
			}
		}
		b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/join-storm")
	})

	k, studs := benchRoom(b, srv, n)
	const port = 9800
	socks := make([]string, n)
	for j, c := range studs {
		join(b, c, k.code, fmt.Sprint("student ", j))
		socks[j] = c.socket("SOCK_DGRAM")
		c.bind(socks[j], "", port)
	}
	tx := k.inst.socket("SOCK_DGRAM")
	k.inst.must("setsockopt", obj{"sock": tx, "level": "SOL_SOCKET", "option": "SO_BROADCAST", "value": 1})

	b.Run("broadcast", func(b *testing.B) {
		var total time.Duration
		for i := 0; i < b.N; i++ {
			ids := make([]int, n)
			for j, c := range studs {
				ids[j] = c.send("recvfrom", obj{"sock": socks[j], "bufsize": 64})
			}
			errs := make(chan error, n)
			var wg sync.WaitGroup
			start := time.Now()
			k.inst.must("sendto", obj{"sock": tx, "data": text(fmt.Sprint("class ", i)), "addr": []any{"10.78.0.255", port}})
			for j, c := range studs {
				wg.Go(func() {
					r, err := awaitKind(c, "result", func(m msg) bool { return m.num("id") == ids[j] })
					if err == nil && (!r.ok() || r.obj("data").str("text") != fmt.Sprint("class ", i)) {
						err = fmt.Errorf("student %d: %v", j, r)
					}
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
		}
		b.ReportMetric(float64(total.Microseconds())/1e3/float64(b.N), "ms/broadcast-fan-out")
	})
}
