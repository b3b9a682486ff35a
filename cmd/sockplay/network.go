package main

import (
	"fmt"
	"net/netip"

	"sockplay/sessions"
	"sockplay/sockets/netns"
)

// The values of --network.
const (
	networkHost    = sessions.NetworkHost
	networkPrivate = sessions.NetworkPrivate
)

// checkNetwork reads --network (or SOCKPLAY_NETWORK): "host", "private",
// or "" for the default, which depends on the listen address (see
// chooseNetwork).
func checkNetwork(v string) error {
	switch v {
	case "", networkHost, networkPrivate:
		return nil
	}
	return fmt.Errorf("--network: %q is neither host nor private", v)
}

// chooseNetwork decides the sessions' network from --network and where
// sockplay listens (listen, local when on loopback): an explicit choice
// stands; by default a server on loopback (a learner's own machine) uses
// the host's network, and any other a private network per session — so a
// server reachable from other machines shares the host's network only when
// told to with --network host. Private networks need namespaces: when the
// kernel refuses them it is an error saying what was refused and how to
// allow it (available is netns.Available, which says so). --allow-net
// applies only to the host's network.
func chooseNetwork(network string, listen netip.AddrPort, local bool, allowNet []netip.Prefix, available func() error) (string, error) {
	explicit := network != ""
	if !explicit {
		network = networkPrivate
		if local {
			network = networkHost
		}
	}
	if network == networkHost {
		return network, nil
	}
	why := "--network private"
	if !explicit {
		why = fmt.Sprintf("sockplay listens on %v, beyond loopback, so each session gets a private network (--network private)", listen)
	}
	if len(allowNet) > 0 {
		return "", fmt.Errorf("%s: --allow-net cannot apply, since a private network has no route out; to let sockets reach other networks, start sockplay with --network host --allow-net CIDR", why)
	}
	if err := available(); err != nil {
		if explicit {
			return "", fmt.Errorf("%s: %w", why, err)
		}
		return "", fmt.Errorf("%s: %w; or, to let every session share this machine's network, start sockplay with --network host", why, err)
	}
	return network, nil
}

// newNamespace makes a session's private network.
func newNamespace() (sessions.Namespace, error) {
	ns, err := netns.New()
	if err != nil {
		return nil, err // not a typed nil in the interface
	}
	return ns, nil
}

// roomNetwork is what gives the sessions' rooms their class networks: on
// a private network a LAN per room, in the helper where newNamespace makes
// the sessions' namespaces; on the host's network none (a room there has
// no LAN, and says why).
func roomNetwork(network string) sessions.RoomNetwork {
	if network != networkPrivate {
		return nil
	}
	return sessions.NetnsRooms(nil)
}
