"""sockplay's channel to its server (private: use socket and sockplay).

A program run by sockplay has its session's channel as file descriptor
SOCKPLAY_FD (3): one JSON value a line in each direction, protocol v1,
the same requests and messages a page sends and receives over its
WebSocket. Every socket call is one request; the thread that makes it
waits for its result, while one reader thread hands each result to the
thread waiting for it, so threads wait side by side.
"""

import base64
import builtins
import itertools
import json
import os
import sys
import threading


# The language of the sentences these modules make themselves: "zh"
# (Simplified Chinese) when the run asked for it (SOCKPLAY_LANG), else
# English. Python's own exception text stays as Python prints it.
LANG = "zh" if os.environ.get("SOCKPLAY_LANG") == "zh" else "en"


def say(english, chinese):
    """The sentence in the program's language (LANG)."""
    return chinese if LANG == "zh" else english


class PolicyError(PermissionError):
    """A call that sockplay's address policy refuses (the message says what is allowed)."""


class LimitError(OSError):
    """A call past one of the session's limits (sockets, bytes, peers)."""


class Channel:
    """The protocol channel on one file descriptor."""

    def __init__(self, fd):
        self._fd = fd
        self._reader = open(fd, "rb", buffering=64 * 1024, closefd=False)
        self._write_lock = threading.Lock()
        self._lock = threading.Lock()
        self._waiting = {}  # request id -> _Call
        self._abandoned = set()  # ids whose result no one waits for (a Ctrl-C, its cancel)
        self._ids = itertools.count(1)
        self._ended = None  # why the channel ended, once it has
        self.hello = json.loads(self._reader.readline() or "null")
        if not self.hello or self.hello.get("kind") != "hello":
            raise ConnectionError(say("sockplay: the server did not greet this program",
                                      "sockplay：服务器没有向这个程序发来问候（hello），无法连上会话"))
        self.limits = self.hello.get("limits", {})
        threading.Thread(target=self._read, name="sockplay-channel", daemon=True).start()

    def call(self, op, **args):
        """Make request op with args; return its result, or raise its error."""
        if sys.is_finalizing():  # the reader thread no longer runs: never wait for it
            raise ConnectionError(say("sockplay: the program is ending; no more socket calls",
                                      "sockplay：程序正在结束，不能再调用套接字"))
        call = _Call(next(self._ids))
        call.thread = threading.current_thread()
        with self._lock:
            if self._ended:
                raise ConnectionError(self._ended)
            self._waiting[call.id] = call
        self._send(dict(id=call.id, op=op, **args))
        try:
            call.done.wait()
        except BaseException:  # Ctrl-C: the server stops waiting too
            cancel = next(self._ids)
            with self._lock:
                self._waiting.pop(call.id, None)
                self._abandoned.update((call.id, cancel))
            self._send({"id": cancel, "op": "cancel", "target": call.id})
            raise
        if call.result is None:
            raise ConnectionError(self._ended)
        if not call.result.get("ok"):
            raise error_of(call.result.get("error") or {})
        return call.result

    def _send(self, request):
        line = (json.dumps(request, separators=(",", ":")) + "\n").encode()
        with self._write_lock:
            view = memoryview(line)
            while view:
                view = view[os.write(self._fd, view):]

    def _read(self):
        """The reader thread: each result goes to the call waiting for it."""
        try:
            for line in self._reader:
                self._dispatch(json.loads(line))
        finally:
            with self._lock:
                self._ended = say("sockplay: the session ended (the server closed this program's channel)",
                                  "sockplay：会话已结束（服务器关闭了这个程序的通道）")
                calls, self._waiting = list(self._waiting.values()), {}
            for call in calls:
                call.done.set()

    def _dispatch(self, message):
        if message.get("kind") == "waiting":
            # The call goes on waiting; the cell kernel shows its cell as
            # waiting (a hook it puts on its cells' threads).
            with self._lock:
                call = self._waiting.get(message.get("id"))
            hook = getattr(call and call.thread, "sockplay_waiting", None)
            if hook is not None:
                hook(True)
            return
        if message.get("kind") != "result":
            return
        id = message.get("id")
        if not isinstance(id, int):
            id = None  # not one of this module's requests
        with self._lock:
            call = self._waiting.pop(id, None)
            abandoned = id in self._abandoned
            self._abandoned.discard(id)
        if call is not None:
            call.result = message
            call.done.set()
        elif not abandoned:  # the answer to a line that was not one of this module's requests
            print("sockplay: the server refused a request:",
                  (message.get("error") or {}).get("message"), file=sys.stderr)


class _Call:
    """One request, waited for by the thread that made it."""

    def __init__(self, id):
        self.id = id
        self.thread = None  # the thread that made the call
        self.done = threading.Event()
        self.result = None


_channel = None
_channel_lock = threading.Lock()


def channel():
    """The program's channel, opened on first use."""
    global _channel
    with _channel_lock:
        if _channel is None:
            fd = os.environ.get("SOCKPLAY_FD")
            if fd is None:
                raise ConnectionError(say(
                    "sockplay's socket module needs a sockplay session: run this program "
                    "from sockplay (Run on the page, or `sockplay run FILE.py`); SOCKPLAY_FD is not set",
                    "sockplay 的 socket 模块需要一个 sockplay 会话：请在 sockplay 里运行这个程序"
                    "（页面上的“运行”，或 `sockplay run FILE.py`）；没有设置 SOCKPLAY_FD"))
            _channel = Channel(int(fd))
        return _channel


def call(op, **args):
    """Make one request on the program's channel and return its result."""
    return channel().call(op, **args)


def made(kind, name, close):
    """Tells the cell kernel that the session made name for the calling
    thread: a socket's handle (kind "socket") or a peer's id ("peer").
    close() closes it and returns whether it was still open: the kernel's
    re-run cleanup calls it when the cell that made it runs again. Outside
    the kernel's cells (no sockplay_made hook on the thread) nothing happens.
    """
    hook = getattr(threading.current_thread(), "sockplay_made", None)
    if hook is not None:
        hook(kind, name, close)


def error_of(err):
    """The Python exception for an error of the protocol (PROTOCOL.md, Errors)."""
    kind, message = err.get("type"), err.get("message", "")
    if kind == "os" and err.get("code"):
        strerror = message.split("] ", 1)[1] if message.startswith("[Errno ") else message
        return OSError(err["code"], strerror)  # OSError picks the subclass by errno
    if kind == "timeout":
        return TimeoutError("timed out")
    if kind == "policy":
        return PolicyError(message)
    if kind == "limit":
        return LimitError(message)
    if kind == "cancelled":
        return InterruptedError(say("the call was cancelled from the sockplay page", "这次调用已在 sockplay 页面上取消"))
    exception = getattr(builtins, err.get("exception") or "", None)
    if isinstance(exception, type) and issubclass(exception, Exception):
        return exception(message)
    return OSError(message)


def payload(data):
    """data (any bytes-like object) as a request's data."""
    return {"base64": base64.b64encode(data).decode("ascii")}


def data_bytes(data):
    """The bytes of a result's data."""
    return bytes.fromhex(data["hex"]) if data else b""


# Fake file descriptor numbers for sockplay's sockets, so that fileno(),
# select and selectors work: they are sockplay's, not this process's.
FD_BASE = 1000
_fds = {}
_fd_numbers = itertools.count(FD_BASE)


def register(sock):
    """Give sock a file descriptor number of its own."""
    fd = next(_fd_numbers)
    _fds[fd] = sock
    return fd


def unregister(fd):
    _fds.pop(fd, None)


def socket_of_fd(fd):
    """The sockplay socket whose fileno() is fd, or None."""
    return _fds.get(fd)
