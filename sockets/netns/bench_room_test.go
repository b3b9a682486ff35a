package netns

import (
	"context"
	"sync"
	"testing"
	"time"

	"sockplay/sockets"
)

// BenchmarkRoomLAN measures a class network of 100 members: the time to
// plug all of them in at once and close the LAN (join100: a join storm),
// one member's leave and join again, and one broadcast's fan-out — from the
// instructor's sendto to 10.78.0.255 until every member's ("", P) socket
// has it (broadcast).
//
//	go test -run '^$' -bench RoomLAN -benchtime 20x ./sockets/netns
func BenchmarkRoomLAN(b *testing.B) {
	const members = 100
	h, err := startHelper(false)
	if err != nil {
		b.Skip(err)
	}
	defer h.Close()
	r, err := h.NewRoomLAN()
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	nss := make([]*Namespace, members)
	for i := range nss {
		if nss[i], err = h.New(); err != nil {
			b.Fatal(err)
		}
		defer nss[i].Close()
	}
	b.Run("join100", func(b *testing.B) {
		for b.Loop() {
			storm, err := h.NewRoomLAN()
			if err != nil {
				b.Fatal(err)
			}
			joinAll(b, storm, nss)
			if err := storm.Close(); err != nil {
				b.Fatal(err)
			}
		}
	})
	joinAll(b, r, nss)

	b.Run("leave+join", func(b *testing.B) {
		for b.Loop() {
			if err := r.Leave(nss[members-1]); err != nil {
				b.Fatal(err)
			}
			if err := r.Join(nss[members-1], members); err != nil {
				b.Fatal(err)
			}
		}
	})

	b.Run("broadcast", func(b *testing.B) {
		policy := &sockets.Policy{Wildcard: true, Extra: mustPrefixes("10.78.0.0/24")}
		var socks []*sockets.Socket
		for _, ns := range nss {
			s, e := sockets.NewIn(sockets.AFInet, sockets.SockDgram, policy, ns.Socket)
			if e != nil {
				b.Fatal(e)
			}
			defer s.Close()
			s.SetOption("SOL_SOCKET", "SO_BROADCAST", 1)
			if _, e := s.Bind(sockets.Addr{Port: 9600}); e != nil {
				b.Fatal(e)
			}
			socks = append(socks, s)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		to := sockets.Addr{Host: RoomBroadcast.String(), Port: 9600}
		for b.Loop() {
			if _, _, e := socks[0].SendTo(ctx, []byte("class"), to, sockets.CallOptions{}); e != nil {
				b.Fatal(e)
			}
			var wg sync.WaitGroup
			for _, s := range socks {
				wg.Go(func() {
					if _, e := s.RecvFrom(ctx, 64, nil, sockets.CallOptions{}); e != nil {
						b.Error(e)
					}
				})
			}
			wg.Wait()
		}
	})
}

// joinAll plugs every namespace into r at once, nss[i] as host i+1.
func joinAll(b *testing.B, r *RoomLAN, nss []*Namespace) {
	var wg sync.WaitGroup
	errs := make(chan error, len(nss))
	for i, ns := range nss {
		wg.Go(func() {
			if err := r.Join(ns, i+1); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
}
