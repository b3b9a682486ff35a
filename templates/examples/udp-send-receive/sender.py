# Example: UDP sender and receiver
# Title: UDP sender
# Seed: 003 (UDP send: one line from the keyboard, one sendto, close)
# Order: 2
# Together: start receiver.py first, then sender.py
# Args: [port] (default 9100); type one line on its input
# Expect: "type one line to send", then after a line: "sent N bytes to ('127.0.0.1', 9100)".
#   No connection and no answer: if nothing listens, the datagram is simply lost.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9100
dest = ("127.0.0.1", port)  # a tuple: host as a string, port as a number

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    print("type one line to send")
    line = input()
    # No bind needed: the kernel gives the socket a free port on first send.
    n = udp.sendto(line.encode("utf-8"), dest)
    print(f"sent {n} bytes to {dest}")
