"""sockplay's socket module: Python's socket API on the sockets of a sockplay session.

It stands in for the standard library's socket module in programs that
sockplay runs. Each call is one request of the learner's session: the
socket is a real socket in sockplay's server, shown on the workbench
(cards, log, stream maps, packets) exactly as if it were made with the
page's buttons, under the same address policy and limits. Calls behave as
CPython's do and raise the same exceptions, with the same errno and text:
ConnectionRefusedError(111, 'Connection refused'), TimeoutError('timed
out'), OSError(98, 'Address already in use'), and so on.

What differs from CPython's module:
- fileno() is a number of sockplay's (1000 and up), not a file descriptor
  of this process; sockplay's select module knows it.
- Names resolve only to what the policy allows: numeric addresses,
  'localhost', '' and '<broadcast>' (and this machine's own name, as
  127.0.0.1). Any other name is socket.gaierror, as without a network.
- AF_INET and AF_INET6 with SOCK_STREAM and SOCK_DGRAM only.
- recvmsg() and recvmsg_into() never bring ancillary data (ancdata is
  []): no option that would send it (IP_PKTINFO, SO_TIMESTAMP, ...) is
  offered, and sendmsg() is not there.
"""

import _socket
import io
import sys
from enum import IntEnum, IntFlag

import _sockplay_channel as _channel
from _sockplay_channel import PolicyError, LimitError, say

# Constants and address helpers need no socket: they are CPython's own.
_CONSTANT_PREFIXES = ("AF_", "SOCK_", "SOL_", "SO_", "IPPROTO_", "IP_", "IPV6_", "TCP_",
                      "MSG_", "SHUT_", "INADDR_", "AI_", "NI_", "EAI_", "SOMAXCONN")
for _name in dir(_socket):
    if _name.startswith(_CONSTANT_PREFIXES):
        globals()[_name] = getattr(_socket, _name)
from _socket import (has_ipv6, error, herror, gaierror, timeout, gethostname,
                     inet_aton, inet_ntoa, inet_pton, inet_ntop, htons, htonl, ntohs, ntohl)

IntEnum._convert_("AddressFamily", __name__, lambda name: name.isupper() and name.startswith("AF_"))
IntEnum._convert_("SocketKind", __name__, lambda name: name.isupper() and name.startswith("SOCK_"))
IntFlag._convert_("MsgFlag", __name__, lambda name: name.isupper() and name.startswith("MSG_"))

_FAMILIES = {AF_INET: "AF_INET", AF_INET6: "AF_INET6"}
_TYPES = {SOCK_STREAM: "SOCK_STREAM", SOCK_DGRAM: "SOCK_DGRAM"}
_LEVELS = {SOL_SOCKET: "SOL_SOCKET", IPPROTO_TCP: "IPPROTO_TCP", IPPROTO_IP: "IPPROTO_IP",
           IPPROTO_IPV6: "IPPROTO_IPV6"}
_SHUT = {SHUT_RD: "SHUT_RD", SHUT_WR: "SHUT_WR", SHUT_RDWR: "SHUT_RDWR"}

_default_timeout = None


def getdefaulttimeout():
    """The timeout new sockets start with (None: blocking)."""
    return _default_timeout


def setdefaulttimeout(timeout):
    """Set the timeout new sockets start with."""
    global _default_timeout
    _default_timeout = _check_timeout(timeout)


def _check_timeout(value):
    if value is None:
        return None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError("Timeout value must be int, float or None")
    if value < 0:
        raise ValueError("Timeout value out of range")
    return float(value)


def _bytes(data):
    """data as bytes, as CPython takes it: any bytes-like object, never str."""
    if isinstance(data, str):
        raise TypeError("a bytes-like object is required, not 'str'")
    try:
        return bytes(memoryview(data))
    except TypeError:
        raise TypeError(f"a bytes-like object is required, not '{type(data).__name__}'") from None


def _flag_names(flags):
    """MSG_ flags as the protocol names them."""
    names = [f.name for f in MsgFlag if f and flags & f == f]
    if flags and not names:
        raise OSError(22, "Invalid argument")
    return names


def _addr_out(addr):
    """An address from the server as Python gives it: a tuple (or None)."""
    return tuple(addr) if addr is not None else None


class socket:
    """A socket of the session: socket(family=AF_INET, type=SOCK_STREAM)."""

    def __init__(self, family=-1, type=-1, proto=-1, fileno=None):
        if fileno is not None:
            raise OSError(9, say("Bad file descriptor: sockplay's sockets cannot be made from a file "
                                 "descriptor; use socket.socket.from_handle('s3')",
                                 "Bad file descriptor：sockplay 的套接字不能由文件描述符创建；"
                                 "请用 socket.socket.from_handle('s3')"))
        family = AF_INET if family == -1 else family
        type = SOCK_STREAM if type == -1 else type
        blocking = not type & getattr(_socket, "SOCK_NONBLOCK", 0)
        type &= ~(getattr(_socket, "SOCK_NONBLOCK", 0) | getattr(_socket, "SOCK_CLOEXEC", 0))
        if family not in _FAMILIES:
            raise OSError(97, "Address family not supported by protocol")
        if type not in _TYPES:
            raise OSError(94, "Socket type not supported")
        result = _channel.call("socket", family=_FAMILIES[family], type=_TYPES[type])
        self._setup(result["sock"], family, type, proto=max(proto, 0))
        self._made()
        if not blocking:
            self.setblocking(False)
        elif _default_timeout is not None:
            self.settimeout(_default_timeout)

    def _setup(self, handle, family, type, timeout=None, proto=0):
        self._handle = handle
        self._family, self._type, self._proto = AddressFamily(family), SocketKind(type), proto
        self._timeout = timeout
        self._closed = False
        self._io_refs = 0  # open makefile() files: close waits for them
        self._fileno = _channel.register(self)

    @classmethod
    def _wrap(cls, handle, family, type, timeout=None):
        sock = cls.__new__(cls)
        sock._setup(handle, family, type, timeout)
        return sock

    @classmethod
    def from_handle(cls, handle):
        """The session's socket named handle ('s3'), made elsewhere: a page's button, a console."""
        if not isinstance(handle, str):
            raise TypeError(f"from_handle() needs a handle such as 's3', not {handle!r}")
        local = _channel.call("getsockname", sock=handle)["addr"]
        kind = _channel.call("getsockopt", sock=handle, level="SOL_SOCKET", option="SO_TYPE")["value"]
        return cls._wrap(handle, AF_INET6 if len(local) == 4 else AF_INET, kind)

    def _check_open(self):
        if self._closed:
            raise OSError(9, "Bad file descriptor")

    def _call(self, op, **args):
        self._check_open()
        return _channel.call(op, sock=self._handle, **args)

    # What the socket is.

    family = property(lambda self: self._family, doc="the address family")
    type = property(lambda self: self._type, doc="the socket type")
    proto = property(lambda self: self._proto, doc="the protocol (0 unless given)")
    timeout = property(lambda self: self._timeout, doc="the timeout, as gettimeout() gives it")
    handle = property(lambda self: self._handle, doc="its handle in the session ('s3'), as cards show it")

    def fileno(self):
        """sockplay's number for the socket (-1 once closed), for select."""
        return -1 if self._closed else self._fileno

    def __repr__(self):
        closed = " [closed]" if self._closed else ""
        text = f"<socket.socket{closed} {self._handle} fd={self.fileno()}, family={self._family}, type={self._type}, proto={self._proto}"
        if not self._closed:
            try:
                text += f", laddr={self.getsockname()}"
                text += f", raddr={self.getpeername()}"
            except OSError:
                pass
        return text + ">"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __getstate__(self):
        raise TypeError(f"cannot pickle {type(self).__name__!r} object")

    # Addresses and connections.

    def bind(self, address):
        self._call("bind", addr=_addr_in(address, self._family, "bind"))

    def listen(self, backlog=None):
        if backlog is None:
            self._call("listen")
        else:
            self._call("listen", backlog=max(0, int(backlog)))

    def accept(self):
        """Wait for a connection: return (conn, address)."""
        result = self._call("accept")
        conn = socket._wrap(result["conn"], self._family, self._type)
        conn._made()
        if _default_timeout is not None:
            conn.settimeout(_default_timeout)
        return conn, _addr_out(result["addr"])

    def connect(self, address):
        self._call("connect", addr=_addr_in(address, self._family, "connect"))

    def connect_ex(self, address):
        """connect(), returning the errno (0 on success) instead of raising it."""
        try:
            self.connect(address)
        except TimeoutError:
            return 11  # EAGAIN, as CPython returns on a timeout
        except OSError as e:
            if e.errno is None:
                raise
            return e.errno
        return 0

    def getsockname(self):
        return _addr_out(self._call("getsockname")["addr"])

    def getpeername(self):
        return _addr_out(self._call("getpeername")["addr"])

    def shutdown(self, how):
        if how not in _SHUT:
            raise OSError(22, "Invalid argument")
        self._call("shutdown", how=_SHUT[how])

    def close(self):
        """Close the socket (once its makefile() files are closed too)."""
        if self._closed:
            return
        self._closed = True
        if self._io_refs <= 0:
            self._real_close()

    def _made(self):
        """Tell the cell kernel the session made this socket now (not one made
        elsewhere, as from_handle's): see _sockplay_channel.made."""
        _channel.made("socket", self._handle, self._close_leftover)

    def _close_leftover(self):
        """Close the socket at once, makefile() files or not, for the cell
        kernel's re-run cleanup; return whether the session still had it open."""
        if self._closed and self._io_refs <= 0:
            return False  # closed already
        self._closed, self._io_refs = True, 0
        _channel.unregister(self._fileno)
        try:
            result = _channel.call("close", sock=self._handle)
        except OSError:  # the session is gone
            return False
        return not result.get("already_closed")

    def _real_close(self):
        _channel.unregister(self._fileno)
        if sys.is_finalizing():
            # A makefile() file left open is closed as the interpreter ends,
            # when the channel's reader thread no longer runs: no answer
            # could come. The server closes the sockets when the channel ends.
            return
        _channel.call("close", sock=self._handle)

    def _decref_socketios(self):
        self._io_refs -= 1
        if self._closed and self._io_refs <= 0:
            self._real_close()

    def detach(self):
        raise OSError(95, say("Operation not supported: sockplay's sockets have no file descriptor to detach",
                              "Operation not supported：sockplay 的套接字没有可以 detach 的文件描述符"))

    # Sending and receiving.

    def send(self, data, flags=0):
        """Send what the kernel takes of data now; return how many bytes."""
        data = _bytes(data)[:_channel.channel().limits.get("data", 1 << 20)]
        return self._call("send", data=_channel.payload(data), flags=_flag_names(flags))["n"]

    def sendall(self, data, flags=0):
        """Send all of data (in requests of at most the session's data limit)."""
        data = _bytes(data)
        limit = _channel.channel().limits.get("data", 1 << 20)
        for start in range(0, len(data), limit):
            self._call("sendall", data=_channel.payload(data[start:start + limit]))
        if not data:
            self._call("sendall", data=_channel.payload(b""))

    def sendto(self, data, flags_or_address, address=None):
        """sendto(data, address) or sendto(data, flags, address): one datagram."""
        flags = 0
        if address is None:
            address = flags_or_address
        else:
            flags = flags_or_address
        args = dict(data=_channel.payload(_bytes(data)), addr=_addr_in(address, self._family, "sendto"))
        if flags:
            args["flags"] = _flag_names(flags)
        return self._call("sendto", **args)["n"]

    def recv(self, bufsize, flags=0):
        """Receive at most bufsize bytes (b'' on a stream: the peer closed)."""
        return _channel.data_bytes(self._receive("recv", bufsize, flags)["data"])

    def recvfrom(self, bufsize, flags=0):
        """Receive at most bufsize bytes: (data, address); a longer datagram's rest is lost."""
        result = self._receive("recvfrom", bufsize, flags)
        return _channel.data_bytes(result["data"]), _addr_out(result.get("addr"))

    def recv_into(self, buffer, nbytes=0, flags=0):
        """recv() into buffer; return how many bytes came."""
        data = self.recv(_into_size(buffer, nbytes), flags)
        memoryview(buffer).cast("B")[:len(data)] = data
        return len(data)

    def recvfrom_into(self, buffer, nbytes=0, flags=0):
        """recvfrom() into buffer: (nbytes, address)."""
        data, address = self.recvfrom(_into_size(buffer, nbytes), flags)
        memoryview(buffer).cast("B")[:len(data)] = data
        return len(data), address

    def recvmsg(self, bufsize, ancbufsize=0, flags=0):
        """recvfrom() as (data, ancdata, msg_flags, address): msg_flags has
        MSG_TRUNC when a datagram was longer than bufsize. ancdata is always
        []: sockplay offers no option that brings ancillary data."""
        if not isinstance(ancbufsize, int):
            raise TypeError(f"'{type(ancbufsize).__name__}' object cannot be interpreted as an integer")
        if ancbufsize < 0:
            raise ValueError("invalid ancillary data buffer length")
        result = self._receive("recvfrom", bufsize, flags, "recvmsg()")
        msg_flags = MSG_TRUNC if result.get("truncated") else 0
        return _channel.data_bytes(result["data"]), [], int(msg_flags), _addr_out(result.get("addr"))

    def recvmsg_into(self, buffers, ancbufsize=0, flags=0):
        """recvmsg() into the writable buffers, in turn: (nbytes, ancdata, msg_flags, address)."""
        views = [memoryview(b).cast("B") for b in buffers]
        if any(v.readonly for v in views):
            raise TypeError("recvmsg_into() argument 1 must be an iterable of single-segment read-write buffers")
        data, ancdata, msg_flags, address = self.recvmsg(sum(len(v) for v in views), ancbufsize, flags)
        at = 0
        for v in views:
            part = data[at:at + len(v)]
            v[:len(part)] = part
            at += len(part)
        return len(data), ancdata, msg_flags, address

    def _receive(self, op, bufsize, flags, name=None):
        if not isinstance(bufsize, int):
            raise TypeError(f"'{type(bufsize).__name__}' object cannot be interpreted as an integer")
        if bufsize < 0:
            raise ValueError(f"negative buffer size in {name}" if name else f"negative buffersize in {op}")
        if bufsize == 0 and self._type == SOCK_STREAM:
            self._check_open()
            return {"data": None, "addr": None}  # the kernel returns at once, with nothing
        bufsize = min(bufsize, _channel.channel().limits.get("bufsize", 1 << 20))
        args = dict(bufsize=bufsize, full=True)
        if flags:
            args["flags"] = _flag_names(flags)
        return self._call(op, **args)

    # Options and timeouts.

    def setsockopt(self, level, optname, value, optlen=None):
        level_name, option = _option_names(level, optname)
        if optlen is not None or value is None:
            raise OSError(22, "Invalid argument")
        if isinstance(value, (bytes, bytearray, memoryview)):
            value = {"hex": bytes(value).hex()}
        elif not isinstance(value, int):
            raise TypeError(f"a bytes-like object is required, not '{type(value).__name__}'")
        self._call("setsockopt", level=level_name, option=option, value=value)

    def getsockopt(self, level, optname, buflen=0):
        """The option's int, or with buflen its bytes as the kernel writes them
        (at most buflen: a struct such as TCP_INFO's struct tcp_info)."""
        level_name, option = _option_names(level, optname)
        if not isinstance(buflen, int):
            raise TypeError(f"'{type(buflen).__name__}' object cannot be interpreted as an integer")
        if buflen == 0:
            return self._call("getsockopt", level=level_name, option=option)["value"]
        if buflen <= 0 or buflen > 1024:
            raise OSError("getsockopt buflen out of range")
        return _channel.data_bytes(self._call("getsockopt", level=level_name, option=option, buflen=buflen)["data"])

    def settimeout(self, value):
        """None: calls wait as long as it takes; 0: they never wait; t: they wait t seconds."""
        value = _check_timeout(value)
        self._call("settimeout", timeout=value)
        self._timeout = value

    def gettimeout(self):
        return self._timeout

    def setblocking(self, flag):
        self._call("setblocking", flag=bool(flag))
        self._timeout = None if flag else 0.0

    def getblocking(self):
        return self._timeout != 0.0

    # Files.

    def makefile(self, mode="r", buffering=None, *, encoding=None, errors=None, newline=None):
        """A file object on the socket, as CPython's makefile() makes it."""
        if not set(mode) <= {"r", "w", "b"}:
            raise ValueError(f"invalid mode {mode!r} (only r, w, b allowed)")
        reading, writing = "r" in mode, "w" in mode
        if not (reading or writing):
            raise ValueError("mode must include 'r' or 'w'")
        raw = SocketIO(self, ("r" if reading else "") + ("w" if writing else ""))
        self._io_refs += 1
        if buffering is None:
            buffering = -1
        if buffering < 0:
            buffering = io.DEFAULT_BUFFER_SIZE
        if buffering == 0:
            if "b" not in mode:
                raise ValueError("unbuffered streams must be binary")
            return raw
        if reading and writing:
            buffer = io.BufferedRWPair(raw, raw, buffering)
        elif reading:
            buffer = io.BufferedReader(raw, buffering)
        else:
            buffer = io.BufferedWriter(raw, buffering)
        if "b" in mode:
            return buffer
        text = io.TextIOWrapper(buffer, encoding, errors, newline)
        text.mode = mode
        return text


SocketType = socket


class SocketIO(io.RawIOBase):
    """The raw file under makefile(): reads are recv_into(), writes send()."""

    def __init__(self, sock, mode):
        super().__init__()
        self._sock = sock
        self.mode = mode + "b"
        self._reading, self._writing = "r" in mode, "w" in mode
        self._timed_out = False

    def readinto(self, buffer):
        self._checkClosed()
        if self._timed_out:
            raise OSError("cannot read from timed out object")
        try:
            return self._sock.recv_into(buffer)
        except TimeoutError:
            self._timed_out = True  # bytes may be lost: the file cannot go on
            raise
        except BlockingIOError:
            return None

    def write(self, data):
        self._checkClosed()
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return None

    def readable(self):
        return self._reading and not self.closed

    def writable(self):
        return self._writing and not self.closed

    def seekable(self):
        return False

    def fileno(self):
        self._checkClosed()
        return self._sock.fileno()

    @property
    def name(self):
        return self.fileno() if not self.closed else -1

    def close(self):
        if self.closed:
            return
        super().close()
        self._sock._decref_socketios()
        self._sock = None


def _into_size(buffer, nbytes):
    size = memoryview(buffer).nbytes
    if nbytes < 0:
        raise ValueError("negative buffersize in recv_into")
    if nbytes > size:
        raise ValueError("buffer too small for requested bytes")
    return nbytes or size


# The options sockplay's server sets and reads, by level (PROTOCOL.md, Options).
_OPTIONS = {
    "SOL_SOCKET": ("SO_REUSEADDR", "SO_REUSEPORT", "SO_BROADCAST", "SO_KEEPALIVE", "SO_RCVBUF",
                   "SO_SNDBUF", "SO_TYPE", "SO_ERROR"),
    "IPPROTO_TCP": ("TCP_NODELAY", "TCP_CORK", "TCP_QUICKACK", "TCP_MAXSEG", "TCP_INFO"),
    "IPPROTO_IPV6": ("IPV6_V6ONLY",),
    "IPPROTO_IP": ("IP_ADD_MEMBERSHIP", "IP_DROP_MEMBERSHIP", "IP_MULTICAST_TTL", "IP_MULTICAST_LOOP", "IP_TTL"),
}


def _option_names(level, optname):
    """(level, option) as the protocol names them: ('SOL_SOCKET', 'SO_REUSEADDR')."""
    if level not in _LEVELS:
        raise OSError(92, "Protocol not available")
    level_name = _LEVELS[level]
    for name in _OPTIONS[level_name]:
        if getattr(_socket, name, None) == optname:
            return level_name, name
    raise OSError(92, "Protocol not available")


# Names and addresses.

_LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def _resolve(host, family=AF_INET):
    """A host name as an address the server takes; other names are gaierror."""
    if host in ("", "<broadcast>"):
        return host
    for fam in (AF_INET, AF_INET6):
        try:
            inet_pton(fam, host)
            return host
        except OSError:
            pass
    if host in _LOCAL_NAMES or host == gethostname():
        return "::1" if family == AF_INET6 else "127.0.0.1"
    raise gaierror(EAI_NONAME, "Name or service not known")


def _addr_in(address, family, op):
    """A Python address tuple as the protocol's list, its name resolved."""
    name = _FAMILIES.get(family, "AF_INET")
    if not isinstance(address, tuple):
        raise TypeError(f"{op}(): {name} address must be tuple, not {type(address).__name__}")
    if family == AF_INET and len(address) != 2:
        raise TypeError("AF_INET address must be a pair (host, port)")
    if not 2 <= len(address) <= 4:
        raise TypeError("AF_INET6 address must be a tuple (host, port[, flowinfo[, scopeid]])")
    host, *rest = address
    if isinstance(host, (bytes, bytearray)):
        host = host.decode("idna")
    if isinstance(host, str):
        host = _resolve(host, family)
    return [host, *rest]


def gethostbyname(hostname):
    """The IPv4 address of a name the policy allows."""
    return _resolve(hostname, AF_INET) or "0.0.0.0"


def gethostbyname_ex(hostname):
    address = gethostbyname(hostname)
    return hostname, [], [address]


def getfqdn(name=""):
    return name or "localhost"


def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
    """Addresses for (host, port), as CPython's getaddrinfo gives them, for names the policy allows."""
    if isinstance(host, (bytes, bytearray)):
        host = host.decode("idna")
    results = []
    for fam in [family] if family else [AF_INET, AF_INET6]:
        numeric = None if host is None else _resolve(host, fam)
        try:
            found = _socket.getaddrinfo(numeric, port, fam, type, proto, flags | AI_NUMERICHOST)
        except gaierror:
            continue  # an address of the other family
        results += [(AddressFamily(f), SocketKind(t), p, name, addr) for f, t, p, name, addr in found]
    if not results:
        raise gaierror(EAI_NONAME, "Name or service not known")
    return results


def socketpair(family=None, type=SOCK_STREAM, proto=0):
    """A connected pair of this process's own AF_UNIX sockets (not the session's)."""
    return _socket.socketpair(AF_UNIX if family is None else family, type, proto)


# The shortcuts.

_GLOBAL_DEFAULT_TIMEOUT = object()


def create_connection(address, timeout=_GLOBAL_DEFAULT_TIMEOUT, source_address=None, *, all_errors=False):
    """Connect to (host, port), trying each of its addresses in turn; return the socket."""
    host, port = address
    errors = []
    for family, kind, proto, _, sockaddr in getaddrinfo(host, port, 0, SOCK_STREAM):
        sock = None
        try:
            sock = socket(family, kind, proto)
            if timeout is not _GLOBAL_DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if source_address:
                sock.bind(source_address)
            sock.connect(sockaddr)
            return sock
        except OSError as e:
            errors.append(e)
            if sock is not None:
                sock.close()
    if all_errors:
        raise ExceptionGroup("create_connection failed", errors)
    raise errors[-1]


def has_dualstack_ipv6():
    return False


def create_server(address, *, family=AF_INET, backlog=None, reuse_port=False, dualstack_ipv6=False):
    """A listening TCP socket bound to address (SO_REUSEADDR set, as CPython does)."""
    if dualstack_ipv6:
        raise ValueError("dualstack_ipv6 not supported on this platform")
    sock = socket(family, SOCK_STREAM)
    try:
        sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(SOL_SOCKET, SO_REUSEPORT, 1)
        try:
            sock.bind(address)
        except OSError as e:
            raise OSError(e.errno, f"{e.strerror} (while attempting to bind on address {address!r})") from None
        sock.listen(backlog)
        return sock
    except BaseException:
        sock.close()
        raise
