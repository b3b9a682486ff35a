package sessions

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"

	"sockplay/sessions/protocol"
	"sockplay/sockets"
	"sockplay/sockets/netns"
)

// A session's lab LAN (op lab): 2 to 8 hosts, each a network namespace
// with one interface on netns.LabSubnet, on one bridge (sockets/netns
// NewLab). Its first host, h1, is the session's own namespace in a private
// session; in a host-network session, whose own sockets stay on the host,
// h1 is a namespace made for the lab (Config.Labs). Sockets and peers are
// made on a host with the request's host field; every host's traffic is
// captured (packets.go). Building and tearing down take the helper tens of
// milliseconds, so they run on a goroutine of their own, never under the
// session lock.

// labState is a session's lab, guarded by the session lock.
type labState struct {
	lab    *netns.Lab
	own    *netns.Namespace // h1, made for the lab (host network); nil when h1 is the session's namespace
	policy *sockets.Policy  // the policy of sockets on its hosts
}

// owned reports whether host goes away with the lab: every host but a
// private session's own namespace.
func (l *labState) owned(host string) bool {
	return host != "" && (host != "h1" || l.own != nil)
}

// LabHost is one host of a lab, as the lab op's result lists it.
type LabHost struct {
	Name string `json:"name"`
	Addr string `json:"addr"`
}

// LabFields are the lab op's result fields.
type LabFields struct {
	Hosts     []LabHost `json:"hosts"`               // h1 first; empty after a teardown
	Subnet    string    `json:"subnet,omitempty"`    // the LAN, "10.77.0.0/24"
	Broadcast string    `json:"broadcast,omitempty"` // its broadcast address
	Bind      string    `json:"bind,omitempty"`      // what sockets on its hosts may bind to (a sentence)
	Connect   string    `json:"connect,omitempty"`   // what they may reach (a sentence)
	Kept      bool      `json:"kept,omitempty"`      // the session already had a lab of that many hosts: it is kept as it is
}

func (l *labState) fields() LabFields {
	f := LabFields{Hosts: []LabHost{}, Subnet: netns.LabSubnet.String(), Broadcast: l.lab.Broadcast.String()}
	for _, h := range l.lab.Hosts {
		f.Hosts = append(f.Hosts, LabHost{h.Name, h.Addr.String()})
	}
	d := l.policy.Describe()
	f.Bind, f.Connect = d.Bind, d.Connect
	return f
}

// place is where a new socket or peer lives: its host ("" the session's
// own network), how its descriptors are made, and its policy.
type place struct {
	host   string
	open   sockets.Opener
	policy *sockets.Policy
}

// placeOn finds the host a socket or spawn request names (inside withLock).
func (s *Session) placeOn(host string) (place, *sockets.Error) {
	if host == "" {
		return place{open: s.network.opener(), policy: s.cfg.Policy}, nil
	}
	if s.lab == nil {
		return place{}, sockets.BadRequest("", "no host %q: this session has no lab; build one with {\"op\":\"lab\",\"hosts\":3}", host)
	}
	h := s.lab.lab.Host(host)
	if h == nil {
		var names []string
		for _, h := range s.lab.lab.Hosts {
			names = append(names, h.Name)
		}
		return place{}, sockets.BadRequest("", "no host %q in this session's lab: its hosts are %s", host, strings.Join(names, ", "))
	}
	if !s.lab.owned(host) {
		return place{host: host, open: s.network.opener(), policy: s.cfg.Policy}, nil
	}
	return place{host: host, open: h.NS.Socket, policy: s.lab.policy}, nil
}

// labPolicy is the policy of sockets on the hosts of a lab that a
// host-network session built: a private network's, with the lab's subnet.
func labPolicy(p *sockets.Policy) *sockets.Policy {
	q := *p
	q.Private, q.Wildcard, q.Lab, q.Extra = true, true, netns.LabSubnet, nil
	return &q
}

// opLab builds the session's lab, or tears it down with hosts 0 (inside
// withLock). The result comes from the goroutine that does it.
func (s *Session) opLab(req *call) {
	var e *sockets.Error
	switch {
	case req.Hosts == nil:
		e = sockets.BadRequest("TypeError", "lab needs hosts: %d to %d for a LAN, or 0 to tear it down", netns.MinLabHosts, netns.MaxLabHosts)
	case s.ending:
		e = sockets.BadRequest("", "the session is closing")
	case s.labBusy:
		e = sockets.BadRequest("", "the lab is being built or torn down; wait for that result first")
	case *req.Hosts == 0 && s.lab == nil:
		e = sockets.BadRequest("", "this session has no lab to tear down")
	case *req.Hosts == 0:
	case *req.Hosts < netns.MinLabHosts || *req.Hosts > netns.MaxLabHosts:
		e = sockets.BadRequest("ValueError", "a lab has %d to %d hosts, not %d (0 tears it down)", netns.MinLabHosts, netns.MaxLabHosts, *req.Hosts)
	case s.lab != nil && *req.Hosts == len(s.lab.lab.Hosts):
		// Asking again for the lab the session has keeps it: a lesson's
		// step that builds one can be run again, and the next lesson's too.
		f := s.lab.fields()
		f.Kept = true
		s.result(req, "", f, nil)
		return
	case s.lab != nil:
		e = sockets.BadRequest("", "this session already has a lab of %d hosts; tear it down first with {\"op\":\"lab\",\"hosts\":0}", len(s.lab.lab.Hosts))
	case s.network.make == nil && s.cfg.Labs == nil:
		e = &sockets.Error{Kind: sockets.KindLimit, Message: "this server offers no lab LANs (they need private network namespaces)"}
	}
	if e != nil {
		s.result(req, "", nil, e)
		return
	}
	s.labBusy = true
	s.ops.Add(1)
	if *req.Hosts == 0 {
		go s.tearDown(req)
		return
	}
	go s.build(req, *req.Hosts)
}

// build builds a lab of n hosts and logs the lab op's result. It runs on
// its own goroutine, counted in s.ops.
func (s *Session) build(req *call, n int) {
	defer s.ops.Done()
	l, err := s.newLab(n)
	if err == nil {
		// Capture from before the result, so that no packet of what a
		// client does next is missed.
		for _, h := range l.lab.Hosts {
			if l.owned(h.Name) {
				s.startCapture(h.Name, h.NS)
			}
		}
	}
	stored := false
	s.withLock(func() {
		s.labBusy = false
		if s.ending {
			return
		}
		if err != nil {
			s.result(req, "", nil, labError(err))
			return
		}
		s.lab, stored = l, true
		s.result(req, "", l.fields(), nil)
	})
	if err != nil {
		return
	}
	if !stored { // the session ended while it was built
		for _, h := range l.lab.Hosts {
			if l.owned(h.Name) {
				s.stopCapture(h.Name)
			}
		}
		l.close()
	}
}

// newLab makes the lab's hosts (outside the session lock).
func (s *Session) newLab(n int) (*labState, error) {
	l := &labState{policy: s.cfg.Policy}
	var owner *netns.Namespace
	if s.network.make != nil {
		ns, err := s.network.namespace()
		if err != nil {
			return nil, err
		}
		var ok bool
		if owner, ok = ns.(*netns.Namespace); !ok {
			return nil, errors.New("this session's private network cannot hold a lab LAN")
		}
	} else {
		ns, err := s.cfg.Labs()
		if err != nil {
			return nil, fmt.Errorf("a lab's first host could not be made: %w", err)
		}
		owner, l.own, l.policy = ns, ns, labPolicy(s.cfg.Policy)
	}
	lab, err := netns.NewLab(owner, n)
	if err != nil {
		if l.own != nil {
			l.own.Close()
		}
		return nil, err
	}
	l.lab = lab
	return l, nil
}

func labError(err error) *sockets.Error {
	return &sockets.Error{Kind: sockets.KindOS, Exception: "OSError", Message: "the lab could not be built: " + err.Error()}
}

// tearDown closes the lab: the sockets and peers on its own hosts, their
// captures, and the hosts. It runs on its own goroutine, counted in s.ops.
func (s *Session) tearDown(req *call) {
	defer s.ops.Done()
	var l *labState
	var stop []*peerEntry
	s.withLock(func() {
		l = s.lab
		for _, h := range s.order {
			if e := s.socks[h]; !e.closed && l.owned(e.host) {
				e.sock.Close()
				e.closed = true
				s.refresh(e)
			}
		}
		for _, pe := range s.peers {
			if !pe.stopping && l.owned(pe.host) {
				pe.stopping = true
				stop = append(stop, pe)
			}
		}
	})
	if l == nil {
		return // the session ended first
	}
	for _, pe := range stop {
		pe.stop()
	}
	for _, h := range l.lab.Hosts {
		if l.owned(h.Name) {
			s.stopCapture(h.Name)
		}
	}
	l.close()
	s.withLock(func() {
		for _, pe := range stop {
			delete(s.peers, pe.id)
		}
		s.lab, s.labBusy = nil, false
		if !s.ending {
			s.result(req, "", LabFields{Hosts: []LabHost{}}, nil)
		}
	})
}

// close closes the lab's hosts (outside the session lock).
func (l *labState) close() {
	l.lab.Close()
	if l.own != nil {
		l.own.Close()
	}
}

// closeLab closes a closing session's lab, after its sockets and peers.
func (s *Session) closeLab() {
	var l *labState
	s.mu.Lock()
	l, s.lab = s.lab, nil
	s.mu.Unlock()
	if l != nil {
		l.close()
	}
}

// parseBytesValue reads a setsockopt value that is bytes: a payload
// ({"hex": "e0010101 00000000"}, base64 or text), or a membership's
// {"group": "224.1.1.1", "interface": "0.0.0.0"}, which is
// struct.pack('4s4s', inet_aton(group), inet_aton(interface)). It returns
// nil bytes for a value that is not an object (an int or a boolean), and
// what the result's value says.
func parseBytesValue(raw protocol.Raw) ([]byte, membership, *sockets.Error) {
	if len(raw) == 0 || raw[0] != '{' {
		return nil, membership{}, nil
	}
	v, ok := protocol.ParseOptionBytes(raw)
	if !ok {
		return nil, membership{}, sockets.BadRequest("TypeError", "value must be an integer, a boolean, or bytes: {\"hex\": \"…\"}, or {\"group\": \"224.1.1.1\", \"interface\": \"0.0.0.0\"} for a membership")
	}
	if v.Group == nil {
		b, e := v.Payload.Bytes(sockets.MaxOptionBytes)
		if e != nil {
			return nil, membership{}, e
		}
		return b, membership{Hex: fmt.Sprintf("%x", b)}, nil
	}
	iface := "0.0.0.0"
	if v.Interface != nil {
		iface = *v.Interface
	}
	g, err1 := netip.ParseAddr(*v.Group)
	i, err2 := netip.ParseAddr(iface)
	if err1 != nil || err2 != nil || !g.Is4() || !i.Is4() {
		return nil, membership{}, sockets.BadRequest("OSError", "illegal IP address string passed to inet_aton: group and interface are IPv4 addresses, such as \"224.1.1.1\" and \"0.0.0.0\"")
	}
	gb, ib := g.As4(), i.As4()
	b := append(gb[:], ib[:]...)
	return b, membership{Group: g.String(), Interface: i.String(), Hex: fmt.Sprintf("%x", b)}, nil
}

// membership is what a setsockopt with bytes gets back: the bytes set (the
// kernel cannot read a membership back), and for a group the addresses.
type membership struct {
	Group     string `json:"group,omitempty"`
	Interface string `json:"interface,omitempty"`
	Hex       string `json:"hex"`
}
