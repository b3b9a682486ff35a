# Example: Sticky packets
# Title: Sticky packets: the sender
# Seed: 004 (two send() calls right after each other)
# Order: 2
# Together: start server.py, then client.py; then press Enter in the server
# Args: [port] (default 9107)
# Expect: "sent b'helloworld'", "sent b'SB'", "closed". The server then reads both
#   in one recv: the two sends were two calls, not two messages.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9107

with socket.create_connection(("127.0.0.1", port)) as tcp:
    for message in (b"helloworld", b"SB"):
        tcp.sendall(message)
        print("sent", message)
print("closed")
