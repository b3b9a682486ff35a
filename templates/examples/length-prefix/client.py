# Example: Length prefix (struct)
# Example-zh: 长度前缀（struct）
# Title: Length-prefixed messages: the sender
# Title-zh: 带长度前缀的消息：发送方
# Seed: 004 (struct.pack puts the length in front of each message)
# Seed-zh: 004（用 struct.pack 把长度放在每条消息前面）
# Order: 2
# Together: start server.py, then client.py; then press Enter in the server
# Together-zh: 先启动 server.py，再启动 client.py；然后在服务器里按回车
# Args: [port] (default 9108)
# Args-zh: [port]（默认 9108）
# Expect: "sent b'\x00\x00\x00\nhelloworld'" and "sent b'\x00\x00\x00\x02SB'":
#   each message now carries its length, so the receiver can cut the stream apart.
# Expect-zh: "sent b'\x00\x00\x00\nhelloworld'" 和 "sent b'\x00\x00\x00\x02SB'"：
#   现在每条消息都带着自己的长度，接收方就能把字节流切分开。
import socket
import struct
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9108

with socket.create_connection(("127.0.0.1", port)) as tcp:
    for message in (b"helloworld", b"SB"):
        framed = struct.pack("!I", len(message)) + message
        tcp.sendall(framed)
        print("sent", framed)
print("closed")
