# Example: JSON header
# Example-zh: JSON 报头
# Title: Framed command client (JSON header)
# Title-zh: 分帧命令客户端（JSON 报头）
# Seed: 004 (the client: send a command, read 4 bytes, the header, then data_size bytes)
# Seed-zh: 004（客户端：发送一条命令，先读 4 字节，再读报头，然后读 data_size 字节）
# Order: 2
# Together: start server.py, then client.py (it also talks to the built-in framed-server peer)
# Together-zh: 先启动 server.py，再启动 client.py（它也会和内置的 framed-server 对端程序通信）
# Args: [port] (default 9109); type commands on its input: echo <text>, big <n>, ls, time;
#   an empty line quits
# Args-zh: [port]（默认 9109）；在它的输入里键入命令：echo <text>、big <n>、ls、time；
#   输入空行退出
# Expect: for each command the reply's header, e.g. {'cmd': 'echo', 'data_size': 5, 'status': 'ok'},
#   then its output; "big 100000" gives "100000 bytes: b'abcdefghij'...", all of them,
#   though recv returns them in pieces.
# Expect-zh: 每条命令先显示回复的报头，例如 {'cmd': 'echo', 'data_size': 5, 'status': 'ok'}，
#   再显示它的输出；"big 100000" 得到 "100000 bytes: b'abcdefghij'..."，一个字节都不少，
#   尽管 recv 是分好几块收到它们的。
import json
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9109
PREFIX = struct.Struct("i")


def recv_exactly(conn, n):
    """Read exactly n bytes, however recv splits them."""
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 65536))
        if not chunk:
            raise ConnectionError(f"the server closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def request(conn, command):
    """Send one command as a frame and return the reply's header and body."""
    body = command.encode("utf-8")
    head = json.dumps({"data_size": len(body)}).encode("utf-8")
    conn.sendall(PREFIX.pack(len(head)) + head + body)
    (size,) = PREFIX.unpack(recv_exactly(conn, PREFIX.size))
    header = json.loads(recv_exactly(conn, size))
    return header, recv_exactly(conn, header["data_size"])


with socket.create_connection(("127.0.0.1", port)) as tcp:
    print("type commands: echo <text>, big <n>, ls, time (an empty line quits)")
    while True:
        try:
            command = input()
        except EOFError:
            break
        if not command:
            break
        header, output = request(tcp, command)
        print(header)
        if len(output) > 1000:  # a big reply: show its size and how it starts
            print(f"{len(output)} bytes: {output[:10]!r}...")
        else:
            print(output.decode("utf-8", "replace").removesuffix("\n"))
print("closed")
