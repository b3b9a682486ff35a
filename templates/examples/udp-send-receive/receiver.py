# Example: UDP sender and receiver
# Example-zh: UDP 发送方和接收方
# Title: UDP receiver
# Title-zh: UDP 接收方
# Seed: 003 (UDP receive: bind, one recvfrom, close)
# Seed-zh: 003（UDP 接收：bind、一次 recvfrom、close）
# Order: 1
# Together: start receiver.py first, then sender.py
# Together-zh: 先启动 receiver.py，再启动 sender.py
# Args: [port] (default 9100)
# Args-zh: [port]（默认 9100）
# Expect: "waiting for one datagram on port 9100", then, once the sender has sent,
#   "got b'...' from ('127.0.0.1', N)" and the text decoded; then it exits.
# Expect-zh: "waiting for one datagram on port 9100"，等发送方发出之后显示
#   "got b'...' from ('127.0.0.1', N)" 和解码后的文字；然后退出。
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
