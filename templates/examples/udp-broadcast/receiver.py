# Example: UDP broadcast
# Example-zh: UDP 广播
# Title: Broadcast receiver
# Title-zh: 广播接收方
# Seed: 000 (Num06: broadcast with SO_BROADCAST, as the Feiq messenger does)
# Seed-zh: 000（Num06：像飞秋那样，用 SO_BROADCAST 发广播）
# Order: 1
# Together: start receiver.py first (more than one may run), then sender.py
# Together-zh: 先启动 receiver.py（可以启动不止一个），再启动 sender.py
# Args: [port] (default 9104)
# Args-zh: [port]（默认 9104）
# Expect: "listening for broadcasts on port 9104", then one line per broadcast:
#   "broadcast from ('127.0.0.1', N): <text>". It serves until it is stopped.
# Expect-zh: "listening for broadcasts on port 9104"，然后每个广播一行：
#   "broadcast from ('127.0.0.1', N): <text>"。它会一直服务，直到被停止。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9104

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    # SO_REUSEADDR lets several receivers share the port; each gets a copy.
    udp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Broadcasts reach sockets bound to the wildcard address '', not to one address.
    udp.bind(("", port))
    print(f"listening for broadcasts on port {port}")
    while True:
        data, addr = udp.recvfrom(1024)
        print(f"broadcast from {addr}: {data.decode('utf-8', 'replace')}")
