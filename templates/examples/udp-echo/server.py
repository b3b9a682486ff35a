# Example: UDP echo server
# Title: UDP echo server
# Seed: 000 (the echo server: what comes in goes back out) and 004 (UDP server)
# Order: 1
# Together: start server.py first, then client.py
# Args: [port] (default 9101)
# Expect: "echo server on port 9101"; for each datagram a line
#   "from ('127.0.0.1', N): <text>", and the same bytes go back to that address.
#   It serves until it is stopped.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9101

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    udp.bind(("127.0.0.1", port))
    print(f"echo server on port {port}")
    while True:
        # One socket serves every client: each datagram carries its sender's address.
        data, addr = udp.recvfrom(1024)
        print(f"from {addr}: {data.decode('utf-8', 'replace')}")
        udp.sendto(data, addr)
