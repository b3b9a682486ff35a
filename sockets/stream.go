package sockets

import (
	"net/netip"
	"sync"
	"syscall"
)

// SendRecord is one send call's place in its socket's outgoing byte stream:
// bytes [Start, End) of everything the socket ever sent. Tag is whatever the
// caller passed as CallOptions.Tag (sockplay keeps the session and request id).
type SendRecord struct {
	Index      int // the n-th send call on the socket, from 1
	Start, End int64
	Tag        any
}

// maxRecords bounds the send records a socket keeps when its peer is not
// reading (records are also dropped once the peer has read past them).
const maxRecords = 4096

// stream is a stream socket's bookkeeping: how far it has written and read,
// and the send calls the peer has not read past yet.
type stream struct {
	mu       sync.Mutex
	sent     int64 // bytes written to the outgoing stream
	received int64 // bytes consumed from the incoming stream
	sends    int   // send calls made
	records  []SendRecord
	key      connKey
}

// connKey names one end of a TCP connection.
type connKey struct{ local, peer netip.AddrPort }

// conns indexes the connected stream sockets of this process, so a receive
// can find the sockplay socket at the other end and the sends it read.
var conns = struct {
	sync.Mutex
	m map[connKey]*Socket
}{m: map[connKey]*Socket{}}

func addrPort(sa syscall.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *syscall.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *syscall.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// register indexes a newly connected stream socket by its two addresses.
func (s *Socket) register() {
	if s.typ != SockStream {
		return
	}
	var key connKey
	s.rc.Control(func(fd uintptr) {
		if sa, err := syscall.Getsockname(int(fd)); err == nil {
			key.local = addrPort(sa)
		}
		if sa, err := syscall.Getpeername(int(fd)); err == nil {
			key.peer = addrPort(sa)
		}
	})
	if !key.peer.IsValid() {
		return
	}
	s.stream.mu.Lock()
	s.stream.key = key
	s.stream.mu.Unlock()
	conns.Lock()
	conns.m[key] = s
	conns.Unlock()
}

// registered reports whether s is indexed as a connected stream socket.
func (s *Socket) registered() bool {
	s.stream.mu.Lock()
	defer s.stream.mu.Unlock()
	return s.stream.key.peer.IsValid()
}

// settle registers a stream socket whose handshake ended after its connect
// call returned: a non-blocking connect (EINPROGRESS), or one that timed out
// or was cancelled while the kernel went on. Whatever looks at the socket
// next (a send, a receive, its state) settles it, so its stream map works
// as for any other connection.
func (s *Socket) settle() {
	if s.typ != SockStream || s.registered() {
		return
	}
	s.mu.Lock()
	connecting := s.connecting
	s.mu.Unlock()
	if !connecting {
		return
	}
	connected := false
	s.rc.Control(func(fd uintptr) {
		_, err := syscall.Getpeername(int(fd))
		connected = err == nil
	})
	if connected {
		s.setConnecting(false)
		s.register()
	}
}

func (s *Socket) unregister() {
	s.stream.mu.Lock()
	key := s.stream.key
	s.stream.mu.Unlock()
	conns.Lock()
	if conns.m[key] == s {
		delete(conns.m, key)
	}
	conns.Unlock()
}

// peerSocket is the sockplay socket at the other end of s's connection, or nil.
func (s *Socket) peerSocket() *Socket {
	s.stream.mu.Lock()
	key := s.stream.key
	s.stream.mu.Unlock()
	if !key.peer.IsValid() {
		return nil
	}
	conns.Lock()
	defer conns.Unlock()
	return conns.m[connKey{local: key.peer, peer: key.local}]
}

// grow adds n bytes just sent to the send call whose record is rec (nil
// before its first byte went) and returns the record. The caller holds
// st.mu.
func (st *stream) grow(tag any, rec *SendRecord, n int) *SendRecord {
	if rec == nil {
		rec = st.newRecord(tag)
	}
	rec.End += int64(n)
	st.sent += int64(n)
	// The call's record is the last one, unless a receive that had read all
	// of it dropped it meanwhile.
	if k := len(st.records); k > 0 && st.records[k-1].Index == rec.Index {
		st.records[k-1].End = rec.End
		return rec
	}
	if len(st.records) >= maxRecords {
		st.records = append(st.records[:0], st.records[len(st.records)-maxRecords/2:]...)
	}
	st.records = append(st.records, *rec)
	return rec
}

// newRecord counts a new send call and returns its empty record, tagged
// with tag, starting where the outgoing stream is now. The caller holds
// st.mu.
func (st *stream) newRecord(tag any) *SendRecord {
	st.sends++
	return &SendRecord{Index: st.sends, Start: st.sent, End: st.sent, Tag: tag}
}

// recordSend ends a send call: rec is its record (nil if no byte went: an
// empty send still counts as a call) and goes to opts.OnSent.
func (s *Socket) recordSend(opts CallOptions, rec *SendRecord) SendRecord {
	st := &s.stream
	if rec == nil {
		st.mu.Lock()
		rec = st.newRecord(opts.Tag)
		st.mu.Unlock()
	}
	if opts.OnSent != nil {
		opts.OnSent(*rec)
	}
	return *rec
}

// recordRecv notes n bytes read from the incoming stream (not consumed when
// peek) and returns their range and the peer's send calls they hold.
func (s *Socket) recordRecv(n int, peek bool) ([2]int64, []SendRecord) {
	st := &s.stream
	st.mu.Lock()
	start := st.received
	if !peek {
		st.received += int64(n)
	}
	received := st.received
	st.mu.Unlock()
	span := [2]int64{start, start + int64(n)}
	peer := s.peerSocket()
	if peer == nil || n == 0 {
		return span, nil
	}
	ps := &peer.stream
	ps.mu.Lock()
	defer ps.mu.Unlock()
	var out []SendRecord
	for _, r := range ps.records {
		if r.End > span[0] && r.Start < span[1] {
			out = append(out, r)
		}
	}
	// Both ends have passed these records now.
	keep := 0
	for keep < len(ps.records) && ps.records[keep].End <= received {
		keep++
	}
	ps.records = ps.records[keep:]
	return span, out
}
