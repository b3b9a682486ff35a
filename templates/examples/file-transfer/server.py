# Example: File transfer
# Example-zh: 文件传输
# Title: File server (JSON header, put/get/size/ls)
# Title-zh: 文件服务器（JSON 报头，put/get/size/ls）
# Seed: 004 (FTP upload and download over the JSON-header protocol); the files live in
#   the server's memory, so no path a client sends can touch the disk
# Seed-zh: 004（基于 JSON 报头协议的 FTP 上传和下载）；文件放在服务器的内存里，
#   所以客户端发来的任何路径都碰不到磁盘
# Order: 1
# Together: start server.py, then client.py (the client also talks to the built-in
#   file-server peer)
# Together-zh: 先启动 server.py，再启动 client.py（客户端也会和内置的 file-server
#   对端程序通信）
# Args: [port] (default 9110)
# Args-zh: [port]（默认 9110）
# Expect: "file server on port 9110"; for each request a line such as
#   "put notes.bin at 0: 300000 bytes, now 300000" or "get notes.bin from 0: 300000 bytes".
# Expect-zh: "file server on port 9110"；每个请求打印一行，例如
#   "put notes.bin at 0: 300000 bytes, now 300000" 或 "get notes.bin from 0: 300000 bytes"。
import json
import re
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9110
PREFIX = struct.Struct("!I")  # 4 bytes, network byte order
NAME = re.compile(r"[A-Za-z0-9._-]{1,64}")
MAX_TOTAL = 8 * 1024 * 1024
files = {}  # name -> bytearray


def recv_exactly(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 65536))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def send_frame(conn, header, body=b""):
    header = dict(header, data_size=len(body))
    head = json.dumps(header, sort_keys=True).encode("utf-8")
    conn.sendall(PREFIX.pack(len(head)) + head)
    conn.sendall(body)


def handle(header, body):
    """Answer one request: returns (reply header, reply body)."""
    cmd, name = header.get("cmd"), header.get("filename")
    if cmd == "ls":
        listing = "".join(f"{n} {len(files[n])}\n" for n in sorted(files))
        return {"status": "ok"}, listing.encode("utf-8")
    if not isinstance(name, str) or not NAME.fullmatch(name) or name in (".", ".."):
        return {"status": "error", "error": f"bad filename {name!r}"}, b""
    offset = int(header.get("offset", 0))
    if cmd == "put":
        old = files.get(name, bytearray())
        if offset > len(old):
            return {"status": "error", "error": f"offset {offset} is past the end of {name}"}, b""
        if sum(map(len, files.values())) - len(old) + offset + len(body) > MAX_TOTAL:
            return {"status": "error", "error": "the server is full"}, b""
        files[name] = old[:offset] + body
        print(f"put {name} at {offset}: {len(body)} bytes, now {len(files[name])}")
        return {"status": "ok", "size": len(files[name])}, b""
    if name not in files:
        return {"status": "error", "error": "no such file"}, b""
    if cmd == "size":
        return {"status": "ok", "size": len(files[name])}, b""
    if cmd == "get":
        data = bytes(files[name][offset:])
        print(f"get {name} from {offset}: {len(data)} bytes")
        return {"status": "ok"}, data
    return {"status": "error", "error": f"unknown cmd {cmd!r}: use put, size, get or ls"}, b""


def serve(conn):
    while (prefix := recv_exactly(conn, PREFIX.size)) is not None:
        (size,) = PREFIX.unpack(prefix)
        header = json.loads(recv_exactly(conn, size) or b"{}")
        body = recv_exactly(conn, int(header.get("data_size", 0))) or b""
        send_frame(conn, *handle(header, body))


with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)
    print(f"file server on port {port}")
    while True:
        conn, addr = server.accept()
        with conn:
            serve(conn)
