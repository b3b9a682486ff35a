# Example: UDP echo server
# Example-zh: UDP 回显服务器
# Title: UDP echo client
# Title-zh: UDP 回显客户端
# Seed: 000 (the client: input, sendto, recvfrom, print)
# Seed-zh: 000（客户端：input、sendto、recvfrom、print）
# Order: 2
# Together: start server.py first, then client.py
# Together-zh: 先启动 server.py，再启动 client.py
# Args: [port] (default 9101); type lines on its input, an empty line ends
# Args-zh: [port]（默认 9101）；在它的输入里键入文字，输入空行结束
# Expect: for each line typed, "echoed: <the same line>"; after an empty line, "bye".
#   If the server is not running, "no answer within 2 s" (UDP does not know).
# Expect-zh: 每键入一行就显示 "echoed: <原样的那一行>"；输入空行后显示 "bye"。
#   如果服务器没有运行，显示 "no answer within 2 s"（UDP 本身并不知道）。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9101
server = ("127.0.0.1", port)

with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
    udp.settimeout(2)  # a lost datagram must not hang the client forever
    print("type lines to send; an empty line ends")
    while True:
        try:
            line = input()
        except EOFError:
            break
        if not line:
            break
        udp.sendto(line.encode("utf-8"), server)
        try:
            data, addr = udp.recvfrom(1024)
        except TimeoutError:
            print("no answer within 2 s: is the server running?")
            continue
        print("echoed:", data.decode("utf-8"))
    print("bye")
