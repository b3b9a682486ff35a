"""sockplay's select module: select.select on the session's sockets.

sockplay's sockets live in its server, so the server waits for them (the
protocol's op select); this process's own files (sys.stdin, a pipe) are
waited for by CPython's select. A call with both looks at each in turn
until one is ready. There is no poll or epoll, so the selectors module
picks SelectSelector, which is built on select.select and works with
both kinds too.
"""

import importlib.machinery
import importlib.util
import os
import sys
import time

import _sockplay_channel as _channel


def _real_select_module():
    """CPython's own select module, which this one hides: built into the
    interpreter (as in Debian's python3) or an extension module on the path."""
    here = os.path.dirname(os.path.abspath(__file__))
    path = [p for p in sys.path if os.path.abspath(p or ".") != here]
    if "select" in sys.builtin_module_names:
        spec = importlib.machinery.BuiltinImporter.find_spec("select")
    else:
        spec = importlib.machinery.PathFinder.find_spec("select", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_real = _real_select_module()
for _name in dir(_real):
    if _name.isupper():
        globals()[_name] = getattr(_real, _name)
error = OSError

# How long one turn of a call waiting on both kinds looks at each.
_TURN = 0.05


def _select(rlist, wlist, xlist, timeout=None):
    """Wait until some of rlist are readable or some of wlist writable (xlist: exceptional conditions).

    Return the three lists of those that are ready, empty when the timeout
    (seconds; None: no limit) runs out.
    """
    if timeout is not None:
        if not isinstance(timeout, (int, float)):
            raise TypeError("timeout must be a float or None")
        if timeout < 0:
            raise ValueError("timeout must be non-negative")
    rlist, wlist, xlist = list(rlist), list(wlist), list(xlist)
    ours = [_split(items) for items in (rlist, wlist)]
    theirs = [[item for item in items if _sockplay_socket(item) is None] for items in (rlist, wlist, xlist)]
    if not ours[0][0] and not ours[1][0]:
        return _real.select(*theirs, timeout)
    if not any(theirs):
        return _ours(ours, timeout)
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        ready = _real.select(*theirs, 0)
        if any(ready):
            return ready
        left = _TURN if deadline is None else max(0.0, min(_TURN, deadline - time.monotonic()))
        ready = _ours(ours, left)
        if any(ready) or deadline is not None and time.monotonic() >= deadline:
            return ready


class _BuiltinLike:
    """A function that stays a plain function as a class attribute, as
    CPython's built-in select does (selectors keeps it as one: a Python
    function there would become a method)."""

    def __init__(self, function):
        self._function = function
        self.__doc__, self.__name__ = function.__doc__, "select"

    def __call__(self, *args, **kwargs):
        return self._function(*args, **kwargs)


select = _BuiltinLike(_select)


def _sockplay_socket(item):
    """The sockplay socket item is (or whose fileno() is), or None."""
    fd = item if isinstance(item, int) else item.fileno()
    return _channel.socket_of_fd(fd)


def _split(items):
    """The sockplay sockets of items: (their handles, the items they came from)."""
    handles, origins = [], []
    for item in items:
        sock = _sockplay_socket(item)
        if sock is not None:
            handles.append(sock.handle)
            origins.append(item)
    return handles, origins


def _ours(ours, timeout):
    """Wait for sockplay's sockets through the server: ([ready to read], [ready to write], [])."""
    (rhandles, ritems), (whandles, witems) = ours
    args = dict(read=rhandles, write=whandles)
    if timeout is not None:
        args["timeout"] = timeout
    result = _channel.call("select", **args)
    readable, writable = set(result["read"]), set(result["write"])
    return ([item for handle, item in zip(rhandles, ritems) if handle in readable],
            [item for handle, item in zip(whandles, witems) if handle in writable],
            [])
