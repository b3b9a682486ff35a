# Example: UDP broadcast
# Title: Broadcast sender
# Seed: 000 (Num06: setsockopt(SOL_SOCKET, SO_BROADCAST, 1), then sendto a broadcast address)
# Order: 2
# Together: start receiver.py first, then sender.py
# Args: [port] [address] (defaults 9104 and 127.255.255.255, the loopback network's
#   broadcast address; on a LAN it would be '<broadcast>' or e.g. 10.77.0.255)
# Expect: first "without SO_BROADCAST: PermissionError: [Errno 13] Permission denied"
#   (the kernel refuses), then "with SO_BROADCAST: sent N bytes to ('127.255.255.255', 9104)";
#   every receiver prints the message.
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9104
host = sys.argv[2] if len(sys.argv) > 2 else "127.255.255.255"
# An IPMsg-style line: version:packet number:user:host:command:text
message = b"1:100:learner:learner-pc:32:hello, everyone"

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    try:
        udp.sendto(message, (host, port))
        print("without SO_BROADCAST: sent (this address is not a broadcast address here)")
    except PermissionError as e:
        print(f"without SO_BROADCAST: {type(e).__name__}: {e}")
    # Broadcasting must be asked for, per socket.
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
    n = udp.sendto(message, (host, port))
    print(f"with SO_BROADCAST: sent {n} bytes to {(host, port)}")
