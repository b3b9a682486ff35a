# Example: File transfer
# Example-zh: 文件传输
# Title: File client: upload, list, download, compare
# Title-zh: 文件客户端：上传、列出、下载、比对
# Seed: 004 (upload and download with a JSON header, a progress display, the file checked whole)
# Seed-zh: 004（用 JSON 报头上传和下载，显示进度，最后校验整个文件）
# Order: 2
# Together: start server.py, then client.py
# Together-zh: 先启动 server.py，再启动 client.py
# Args: [port] [size] (defaults 9110 and 300000 bytes)
# Args-zh: [port] [size]（默认 9110 和 300000 字节）
# Expect: "uploading notes.bin (300000 bytes)", progress lines "25%" ... "100%",
#   the listing "notes.bin 300000", then "downloaded 300000 bytes, sha256 matches: True".
# Expect-zh: "uploading notes.bin (300000 bytes)"，进度行 "25%" …… "100%"，
#   列表 "notes.bin 300000"，然后是 "downloaded 300000 bytes, sha256 matches: True"。
import hashlib
import json
import os
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9110
size = int(sys.argv[2]) if len(sys.argv) > 2 else 300000
PREFIX = struct.Struct("!I")
CHUNK = 75000  # upload in pieces, resuming at each piece's offset


def recv_exactly(conn, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = conn.recv(min(n - len(buf), 65536))
        if not chunk:
            raise ConnectionError(f"the server closed after {len(buf)} of {n} bytes")
        buf += chunk
    return bytes(buf)


def request(conn, header, body=b""):
    """Send one request frame; return the reply's header and body."""
    head = json.dumps(dict(header, data_size=len(body))).encode("utf-8")
    conn.sendall(PREFIX.pack(len(head)) + head + body)
    (n,) = PREFIX.unpack(recv_exactly(conn, PREFIX.size))
    reply = json.loads(recv_exactly(conn, n))
    if reply["status"] != "ok":
        raise RuntimeError(reply.get("error", "the server refused"))
    return reply, recv_exactly(conn, reply["data_size"])


content = os.urandom(size)  # the "file": the sandbox has none of its own to send
with socket.create_connection(("127.0.0.1", port)) as tcp:
    print(f"uploading notes.bin ({size} bytes)")
    for offset in range(0, max(size, 1), CHUNK):
        piece = content[offset:offset + CHUNK]
        reply, _ = request(tcp, {"cmd": "put", "filename": "notes.bin", "offset": offset}, piece)
        print(f"{reply['size'] * 100 // max(size, 1)}%")
    _, listing = request(tcp, {"cmd": "ls"})
    print("on the server:", listing.decode("utf-8").strip())
    _, data = request(tcp, {"cmd": "get", "filename": "notes.bin"})
    same = hashlib.sha256(data).digest() == hashlib.sha256(content).digest()
    print(f"downloaded {len(data)} bytes, sha256 matches: {same}")
