# Example: Threaded TCP server
# Title: Line client
# Seed: 004 (a client of the socketserver server)
# Order: 2
# Together: start server.py, then client.py two times at once: both are served together
# Args: [port] (default 9106); type lines on its input, an empty line quits
# Expect: "connected as ('127.0.0.1', N)"; for each line typed the server's reply,
#   e.g. "1: HELLO" for "hello" from the first client.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9106

with socket.create_connection(("127.0.0.1", port)) as tcp:
    print(f"connected as {tcp.getsockname()}")
    replies = tcp.makefile("r", encoding="utf-8")  # read the stream line by line
    while True:
        try:
            line = input()
        except EOFError:
            break
        if not line:
            break
        tcp.sendall((line + "\n").encode("utf-8"))
        print(replies.readline().rstrip("\n"))
print("closed")
