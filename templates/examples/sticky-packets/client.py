# Example: Sticky packets
# Example-zh: 粘包
# Title: Sticky packets: the sender
# Title-zh: 粘包：发送方
# Seed: 004 (two send() calls right after each other)
# Seed-zh: 004（紧挨着的两次 send() 调用）
# Order: 2
# Together: start server.py, then client.py; then press Enter in the server
# Together-zh: 先启动 server.py，再启动 client.py；然后在服务器里按回车
# Args: [port] (default 9107)
# Args-zh: [port]（默认 9107）
# Expect: "sent b'helloworld'", "sent b'SB'", "closed". The server then reads both
#   in one recv: the two sends were two calls, not two messages.
# Expect-zh: "sent b'helloworld'"、"sent b'SB'"、"closed"。之后服务器用一次 recv
#   就把两条都读到了：两次 send 只是两次调用，而不是两条消息。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9107

with socket.create_connection(("127.0.0.1", port)) as tcp:
    for message in (b"helloworld", b"SB"):
        tcp.sendall(message)
        print("sent", message)
print("closed")
