# Example: UDP echo server
# Example-zh: UDP 回显服务器
# Title: UDP echo server
# Title-zh: UDP 回显服务器
# Seed: 000 (the echo server: what comes in goes back out) and 004 (UDP server)
# Seed-zh: 000（回显服务器：收到什么就发回什么）和 004（UDP 服务器）
# Order: 1
# Together: start server.py first, then client.py
# Together-zh: 先启动 server.py，再启动 client.py
# Args: [port] (default 9101)
# Args-zh: [port]（默认 9101）
# Expect: "echo server on port 9101"; for each datagram a line
#   "from ('127.0.0.1', N): <text>", and the same bytes go back to that address.
#   It serves until it is stopped.
# Expect-zh: "echo server on port 9101"；每个数据报打印一行
#   "from ('127.0.0.1', N): <text>"，同样的字节被发回那个地址。
#   它会一直服务，直到被停止。
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
