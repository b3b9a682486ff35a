package peers

import (
	"bytes"
	"fmt"
	"time"

	"sockplay/sockets"
)

// Limits of the UDP peers' options.
const (
	maxDatagram = 65507 // the most data one IPv4 UDP datagram carries
	maxCount    = 1000  // sends a chat or broadcaster makes
	minInterval = 100   // ms between them, at least
	maxInterval = 60000 // ms between them, at most
)

// udp-echo: every datagram goes back to its sender, unchanged.
func startUDPEcho(p *Peer, _ *options) *sockets.Error {
	s, e := p.udp()
	if e != nil {
		return e
	}
	p.spawn(func() {
		p.listening("is waiting for datagrams")
		for {
			r, ok := p.recvFrom(s)
			if !ok {
				return
			}
			p.sendTo(s, r.Data, *r.From, fmt.Sprintf("echoed the %s back to %v.", plural(len(r.Data), "byte"), *r.From))
		}
	})
	return nil
}

// chatPrefix starts every reply of udp-chat. A datagram that starts with it
// gets no reply, so that two chats, or a chat and an echo, do not answer
// each other for ever.
const chatPrefix = "peer: got "

// udp-chat: replies to each datagram with a line saying what came, and, if
// option to is given, also sends message there every interval_ms, count
// times (the first at once).
func startUDPChat(p *Peer, o *options) *sockets.Error {
	to := o.addr("to")
	message := o.text("message", "hello from udp-chat", maxDatagram)
	interval := o.int("interval_ms", 1000, minInterval, maxInterval)
	count := o.int("count", 10, 1, maxCount)
	if to == nil && (o.has("message") || o.has("interval_ms") || o.has("count")) {
		o.bad("message, interval_ms and count are for the messages sent to option to, which is missing")
	}
	if o.err != nil {
		return o.err
	}
	s, e := p.udp()
	if e != nil {
		return e
	}
	if to != nil {
		// The first message goes out now, so that a refused address fails
		// the start, as it would fail the first sendto() of a script.
		note := func(i int) string {
			return fmt.Sprintf("sent message %d of %d to %v.", i, count, *to)
		}
		if _, _, e := s.SendTo(p.ctx, []byte(message), *to, sockets.CallOptions{}); e != nil {
			return e
		}
		p.spawn(func() {
			p.emit(Event{What: "sent", Addr: to, Data: []byte(message), Note: note(1)})
			for i := 2; i <= count && p.sleep(time.Duration(interval)*time.Millisecond); i++ {
				if p.sendTo(s, []byte(message), *to, note(i)) != nil {
					return
				}
			}
			p.emit(Event{What: "done", Note: fmt.Sprintf("sent all %d messages to %v; it still answers datagrams.", count, *to)})
		})
	}
	p.spawn(func() {
		p.listening("is waiting for datagrams")
		for {
			r, ok := p.recvFrom(s)
			if !ok {
				return
			}
			if bytes.HasPrefix(r.Data, []byte(chatPrefix)) {
				continue
			}
			reply := append([]byte(fmt.Sprintf("%s%d bytes: ", chatPrefix, len(r.Data))), r.Data...)
			p.sendTo(s, reply, *r.From, fmt.Sprintf("answered %v.", *r.From))
		}
	})
	return nil
}

// broadcastHost is where broadcaster sends: the loopback network's
// broadcast address.
const broadcastHost = "127.255.255.255"

// broadcaster: sets SO_BROADCAST and sends message to
// 127.255.255.255:port every interval_ms, count times (the first at once).
func startBroadcaster(p *Peer, o *options) *sockets.Error {
	if !o.has("port") {
		o.bad("option port is required: the port the receivers are bound to")
	}
	port := o.int("port", 0, 1, 65535)
	message := o.text("message", "hello from broadcaster", maxDatagram)
	interval := o.int("interval_ms", 500, minInterval, maxInterval)
	count := o.int("count", 10, 1, maxCount)
	if familyOf(p.addr) != sockets.AFInet {
		o.bad("IPv6 has no broadcast; bind it to an IPv4 address such as [\"127.0.0.1\", 0]")
	}
	if o.err != nil {
		return o.err
	}
	s, e := p.udp(sockopt{"SO_BROADCAST", 1})
	if e != nil {
		return e
	}
	to := sockets.Addr{Host: broadcastHost, Port: port}
	note := func(i int) string {
		return fmt.Sprintf("broadcast %d of %d to %v: every socket bound to ('', %d) or (%q, %d) gets a copy.", i, count, to, port, broadcastHost, port)
	}
	if _, _, e := s.SendTo(p.ctx, []byte(message), to, sockets.CallOptions{}); e != nil {
		return e
	}
	p.spawn(func() {
		p.emit(Event{What: "sent", Addr: &to, Data: []byte(message), Note: note(1)})
		for i := 2; i <= count && p.sleep(time.Duration(interval)*time.Millisecond); i++ {
			if p.sendTo(s, []byte(message), to, note(i)) != nil {
				return
			}
		}
		p.emit(Event{What: "done", Note: fmt.Sprintf("sent all %d broadcasts; it keeps its socket until it is stopped.", count)})
	})
	return nil
}
