"""sockplay's helpers: what plain Python cannot easily see about a socket.

These are sockplay's, not Python's (a program that uses them runs only in
sockplay):

    sockplay.queued(s)      (bytes in the receive queue, bytes in the send queue)
    sockplay.tcp_info(s)    the kernel's state and counters of a socket
    sockplay.packets()      the packets the session's network carried lately
    sockplay.spawn(peer, addr=None, **options)   start a built-in peer: (peer_id, (host, port))
    sockplay.kill(peer_id)  stop it
    sockplay.handle(s)      the socket's handle on the workbench ('s3')
    sockplay.socket_of(h)   the socket.socket for a handle made elsewhere (a button, a console)
    sockplay.lab(3)         build the session's lab LAN: {'h1': '10.77.0.1', …}
    sockplay.socket_on(host, family, type)   a socket.socket made on a lab host ('h2')
    sockplay.segments(s, count=3, data_only=False, flags=None, bytes=None)
                            the TCP segments of s's connection, as the capture saw them
    sockplay.encoding(name) how the workbench shows data as text: 'utf-8' or 'gbk'
"""

import socket as _socket_module

import _sockplay_channel as _channel
from _sockplay_channel import PolicyError, LimitError

__all__ = ["queued", "tcp_info", "packets", "spawn", "kill", "handle", "socket_of",
           "lab", "socket_on", "segments", "Segments", "encoding", "PolicyError", "LimitError"]


def handle(sock):
    """The session's handle of sock ('s3'), as its card shows it."""
    return sock.handle


def socket_of(handle):
    """A socket.socket for the session's socket handle ('s3')."""
    return _socket_module.socket.from_handle(handle)


def tcp_info(sock):
    """The kernel's view of sock: state, inq, outq, and for TCP the TCP_INFO counters."""
    info = _channel.call("stat", sock=handle(sock))
    for key in ("id", "kind", "seq", "time", "op", "ok", "sock", "request"):
        info.pop(key, None)
    if info.get("peek") is not None:
        info["peek"] = _channel.data_bytes(info["peek"])
    return info


def queued(sock):
    """(inq, outq): bytes waiting in sock's receive queue (SIOCINQ) and send queue (SIOCOUTQ)."""
    info = tcp_info(sock)
    return info["inq"], info["outq"]


def packets(after=None):
    """The packets the session's own network carried (newest last), as dicts.

    With after (a packet's "seq"), only those that came later. A session on
    the server's host network has no packets of its own (see the page).
    """
    args = {} if after is None else {"after": after}
    return _channel.call("packets", **args)["packets"]


def spawn(peer, addr=None, **options):
    """Start the built-in peer named peer ('udp-echo', 'tcp-echo', …): (peer_id, (host, port))."""
    args = {"peer": peer, "options": options}
    if addr is not None:
        args["addr"] = list(addr)
    result = _channel.call("spawn", **args)
    _channel.made("peer", result["peer"], lambda: _kill_leftover(result["peer"]))
    return result["peer"], tuple(result["addr"])


def _kill_leftover(peer_id):
    """Stop a peer for the cell kernel's re-run cleanup: whether it still ran."""
    try:
        _channel.call("kill", peer=peer_id)
    except OSError:  # stopped already (kill(), the page), or the session is gone
        return False
    return True


def kill(peer_id):
    """Stop a peer that spawn() started; return once its sockets are closed."""
    _channel.call("kill", peer=peer_id)


def lab(hosts=3):
    """Build the session's lab LAN of hosts hosts (op lab): {'h1': '10.77.0.1', …}.

    Asking again for the lab the session has keeps it; hosts=0 tears it down.
    """
    result = _channel.call("lab", hosts=hosts)
    return {h["name"]: h["addr"] for h in result.get("hosts") or []}


def socket_on(host, family=_socket_module.AF_INET, type=_socket_module.SOCK_STREAM):
    """A socket.socket made on the lab host host ('h1', 'h2', …): op socket with host."""
    family_name = {_socket_module.AF_INET: "AF_INET", _socket_module.AF_INET6: "AF_INET6"}.get(family)
    type_name = {_socket_module.SOCK_STREAM: "SOCK_STREAM", _socket_module.SOCK_DGRAM: "SOCK_DGRAM"}.get(type)
    if family_name is None:
        raise OSError(97, "Address family not supported by protocol")
    if type_name is None:
        raise OSError(94, "Socket type not supported")
    result = _channel.call("socket", family=family_name, type=type_name, host=host)
    sock = _socket_module.socket._wrap(result["sock"], family, type)
    sock._made()
    if _socket_module.getdefaulttimeout() is not None:
        sock.settimeout(_socket_module.getdefaulttimeout())
    return sock


class Segments(list):
    """The segments op's lines ('→ SYN seq=0 len=0', numbers relative to each
    side's first one), with .absolute (the same lines with the numbers on the
    wire), .lens (each segment's payload size), .isn ({'local': J, 'peer': K})
    and .packets (each segment's packet message as a dict: its window is
    packet['tcp']['win'])."""

    def __init__(self, result):
        super().__init__(result.get("segments") or [])
        self.absolute = result.get("absolute") or []
        self.lens = result.get("lens") or []
        self.isn = result.get("isn") or {}
        self.packets = result.get("packets") or []


def segments(sock, count=None, data_only=False, flags=None, bytes=None):
    """The TCP segments of sock's connection as its lab host's capture saw them (op segments).

    It waits (up to 3 s) for count segments that pass the filters (data_only:
    only those with data; flags: only those with all these flags, ['FIN']) and
    carry bytes payload bytes; TimeoutError when they do not come.
    """
    args = {"sock": handle(sock)}
    if count is not None:
        args["count"] = count
    if data_only:
        args["data_only"] = True
    if flags:
        args["flags"] = list(flags)
    if bytes is not None:
        args["bytes"] = bytes
    return Segments(_channel.call("segments", **args))


def encoding(name):
    """Show data as text in this encoding on the workbench from now on ('utf-8' or 'gbk', op encoding).

    Only the workbench changes: bytes stay bytes, as in any Python program.
    """
    return _channel.call("encoding", encoding=name)["encoding"]
