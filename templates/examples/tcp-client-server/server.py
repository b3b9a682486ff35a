# Example: TCP client and server
# Title: TCP server (one client after another)
# Seed: 002 and 003 (the TCP server: socket, bind, listen, accept, recv, send, close)
#   and 004 (SO_REUSEADDR, a connection loop around a conversation loop)
# Order: 1
# Together: start server.py first, then client.py (run the client again: the server
#   takes the next one)
# Args: [port] (default 9105)
# Expect: "listening on ('127.0.0.1', 9105)"; when a client connects "connected: ('127.0.0.1', N)";
#   for each message "received: <text>" (and the client gets "received N bytes");
#   when the client closes, "client ('127.0.0.1', N) closed the connection".
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9105

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    # So that a restarted server can bind at once (see the TIME_WAIT state).
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(5)  # the listening socket only accepts; it never carries data
    print(f"listening on {server.getsockname()}")
    while True:  # the connection loop: one client after another
        conn, addr = server.accept()  # a new socket for this one client
        print(f"connected: {addr}")
        with conn:
            while True:  # the conversation loop
                data = conn.recv(1024)
                if not data:  # b'' means the client closed its side
                    print(f"client {addr} closed the connection")
                    break
                print("received:", data.decode("utf-8", "replace"))
                conn.sendall(f"received {len(data)} bytes".encode("utf-8"))
