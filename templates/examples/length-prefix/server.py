# Example: Length prefix (struct)
# Example-zh: 长度前缀（struct）
# Title: Length-prefixed messages: the receiver
# Title-zh: 带长度前缀的消息：接收方
# Seed: 004 (利用struct解决粘包: a fixed-size length before each message)
# Seed-zh: 004（利用 struct 解决粘包：每条消息前面有一个固定大小的长度字段）
# Order: 1
# Together: start server.py, then client.py; once the client has finished, press Enter
#   in the server so it reads (as in the sticky-packets example)
# Together-zh: 先启动 server.py，再启动 client.py；等客户端结束后，在服务器里按回车，
#   让它开始读（和粘包示例一样）
# Args: [port] (default 9108)
# Args-zh: [port]（默认 9108）
# Expect: after Enter, "message 1: b'helloworld'" and "message 2: b'SB'" — two messages
#   again, though they arrived as one piece of stream — then "the client closed".
# Expect-zh: 按回车后显示 "message 1: b'helloworld'" 和 "message 2: b'SB'"——尽管它们
#   是作为字节流里的一整块到达的，仍然还原成了两条消息——然后是 "the client closed"。
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
