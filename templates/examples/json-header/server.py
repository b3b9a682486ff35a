# Example: JSON header
# Example-zh: JSON 报头
# Title: Framed command server (JSON header)
# Title-zh: 分帧命令服务器（JSON 报头）
# Seed: 004 (the remote shell's reply: a struct length, a JSON header with data_size, the data);
#   the seed ran any shell command it was sent, this server knows four safe ones instead
# Seed-zh: 004（远程执行命令的回复：用 struct 打包的长度、带 data_size 的 JSON 报头、数据）；
#   原教程会执行发来的任何 shell 命令，这个服务器只认识四个安全的命令
# Order: 1
# Together: start server.py, then client.py
# Together-zh: 先启动 server.py，再启动 client.py
# Args: [port] (default 9109)
# Args-zh: [port]（默认 9109）
# Expect: "listening on port 9109"; for each request "request: <command>".
#   Commands: "echo <text>", "big <n>" (n bytes of the alphabet), "ls", "time".
# Expect-zh: "listening on port 9109"；每个请求打印 "request: <command>"。
#   命令有："echo <text>"、"big <n>"（字母表里的 n 个字节）、"ls"、"time"。
import datetime
import json
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9109
PREFIX = struct.Struct("i")  # as the seed: native 4-byte int (little-endian here)
MAX_HEADER = 65536
MAX_BIG = 16 * 1024 * 1024
FILES = "hello.txt\nnotes.md\nreport.pdf\n"


def recv_exactly(conn, n):
    """Read exactly n bytes; None if the peer closed first."""
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 65536))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def recv_frame(conn):
    """One frame: length of the header, the JSON header, data_size bytes of body."""
    prefix = recv_exactly(conn, PREFIX.size)
    if prefix is None:
        return None, None
    (size,) = PREFIX.unpack(prefix)
    if not 0 < size <= MAX_HEADER:
        raise ValueError(f"header length {size} is out of range")
    header = json.loads(recv_exactly(conn, size) or b"null")
    if not isinstance(header, dict):
        raise ValueError("the header is not a JSON object")
    body = recv_exactly(conn, int(header.get("data_size", 0))) or b""
    return header, body


def send_frame(conn, header, body=b""):
    header = dict(header, data_size=len(body))
    head = json.dumps(header, sort_keys=True, separators=(",", ":")).encode("utf-8")
    conn.sendall(PREFIX.pack(len(head)) + head + body)


def run(command):
    """Run one of the safe commands; returns (status, output bytes)."""
    word, _, arg = command.partition(" ")
    if word == "echo":
        return "ok", arg.encode("utf-8")
    if word == "big":
        if not arg.isdigit() or int(arg) > MAX_BIG:
            return "error", f"big needs a number of bytes from 0 to {MAX_BIG}, not {arg!r}".encode()
        n = int(arg)
        alphabet = b"abcdefghijklmnopqrstuvwxyz"
        return "ok", (alphabet * (n // 26 + 1))[:n]
    if word in ("ls", "time") and arg:
        return "error", f"{word} takes no arguments".encode()
    if word == "ls":
        return "ok", FILES.encode()
    if word == "time":
        now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
        return "ok", now.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return "error", f"unknown command {word!r}: the commands are echo <text>, big <n>, ls and time".encode()


def serve(conn):
    while True:
        try:
            header, body = recv_frame(conn)
        except ValueError as e:
            send_frame(conn, {"status": "error"}, str(e).encode())
            return  # the stream is out of step: end the connection
        if header is None:
            return
        command = body.decode("utf-8", "replace")
        print("request:", command)
        status, output = run(command)
        send_frame(conn, {"cmd": command.partition(" ")[0], "status": status}, output)


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)
    print(f"listening on port {port}")
    while True:
        conn, addr = server.accept()
        print(f"connected: {addr}")
        with conn:
            serve(conn)
        print(f"{addr} left")
