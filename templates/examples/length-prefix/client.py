# Example: Length prefix (struct)
# Title: Length-prefixed messages: the sender
# Seed: 004 (struct.pack puts the length in front of each message)
# Order: 2
# Together: start server.py, then client.py; then press Enter in the server
# Args: [port] (default 9108)
# Expect: "sent b'\x00\x00\x00\nhelloworld'" and "sent b'\x00\x00\x00\x02SB'":
#   each message now carries its length, so the receiver can cut the stream apart.
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
