# Example: Length prefix (struct)
# Title: Length-prefixed messages: the receiver
# Seed: 004 (利用struct解决粘包: a fixed-size length before each message)
# Order: 1
# Together: start server.py, then client.py; once the client has finished, press Enter
#   in the server so it reads (as in the sticky-packets example)
# Args: [port] (default 9108)
# Expect: after Enter, "message 1: b'helloworld'" and "message 2: b'SB'" — two messages
#   again, though they arrived as one piece of stream — then "the client closed".
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9108
PREFIX = struct.Struct("!I")  # 4 bytes, network byte order, unsigned


def recv_exactly(conn, n):
    """Read exactly n bytes (recv may return fewer); None if the peer closed first."""
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def recv_message(conn):
    """One message: its 4-byte length, then that many bytes; None at the end."""
    prefix = recv_exactly(conn, PREFIX.size)
    if prefix is None:
        return None
    (length,) = PREFIX.unpack(prefix)
    return recv_exactly(conn, length)


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    print(f"listening on port {port}")
    conn, addr = server.accept()
    with conn:
        print(f"connected: {addr}")
        print("press Enter to read")
        input()
        count = 0
        while (message := recv_message(conn)) is not None:
            count += 1
            print(f"message {count}: {message!r}")
        print("the client closed")
