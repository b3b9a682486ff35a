# Example: UDP sender and receiver
# Title: UDP receiver
# Seed: 003 (UDP receive: bind, one recvfrom, close)
# Order: 1
# Together: start receiver.py first, then sender.py
# Args: [port] (default 9100)
# Expect: "waiting for one datagram on port 9100", then, once the sender has sent,
#   "got b'...' from ('127.0.0.1', N)" and the text decoded; then it exits.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9100

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    # A receiver must bind: the port is how senders find it.
    udp.bind(("127.0.0.1", port))
    print(f"waiting for one datagram on port {port}")
    # recvfrom blocks until a datagram arrives; 1024 is the most it keeps.
    data, addr = udp.recvfrom(1024)
    print(f"got {data!r} from {addr}")
    print("as text:", data.decode("utf-8"))
