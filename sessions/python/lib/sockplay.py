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
"""

import socket as _socket_module

import _sockplay_channel as _channel
from _sockplay_channel import PolicyError, LimitError

__all__ = ["queued", "tcp_info", "packets", "spawn", "kill", "handle", "socket_of",
           "PolicyError", "LimitError"]


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
    return result["peer"], tuple(result["addr"])


def kill(peer_id):
    """Stop a peer that spawn() started; return once its sockets are closed."""
    _channel.call("kill", peer=peer_id)
