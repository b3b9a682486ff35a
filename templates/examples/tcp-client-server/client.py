# Example: TCP client and server
# Title: TCP client
# Seed: 002 and 003 (the TCP client: socket, connect, send, recv, close; "exit" quits)
# Order: 2
# Together: start server.py first, then client.py
# Args: [port] (default 9105); type lines on its input, "exit" (or the end of input) quits
# Expect: "connected to ('127.0.0.1', 9105) from ('127.0.0.1', N)"; for each line typed the
#   server's answer "server: received N bytes"; "exit" closes the connection.
#   Without a server: "ConnectionRefusedError: [Errno 111] Connection refused".
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9105
server = ("127.0.0.1", port)

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
    try:
        tcp.connect(server)  # the three-way handshake happens here
    except ConnectionRefusedError as e:
        print(f"ConnectionRefusedError: {e}")
        sys.exit(1)
    print(f"connected to {server} from {tcp.getsockname()}")
    while True:
        try:
            line = input()
        except EOFError:
            break
        if line == "exit":
            break
        if not line:
            continue  # an empty send would send nothing at all on TCP
        tcp.sendall(line.encode("utf-8"))
        reply = tcp.recv(1024)
        if not reply:
            print("the server closed the connection")
            break
        print("server:", reply.decode("utf-8"))
print("closed")
