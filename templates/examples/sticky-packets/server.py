# Example: Sticky packets
# Example-zh: 粘包
# Title: Sticky packets: the receiver
# Title-zh: 粘包：接收方
# Seed: 004 (粘包, "sticky packets": two sends come out of one recv)
# Seed-zh: 004（粘包：两次 send 发出的数据被一次 recv 收到）
# Order: 1
# Together: start server.py, then client.py; once the client has finished, press Enter
#   in the server (type an empty line) so it reads
# Together-zh: 先启动 server.py，再启动 client.py；等客户端结束后，在服务器里按回车
#   （输入一个空行），让它开始读
# Args: [port] [first] (defaults 9107 and 1024: the bufsize of the first recv)
# Args-zh: [port] [first]（默认 9107 和 1024：第一次 recv 的 bufsize）
# Expect: "listening on port 9107", "connected: ...", "press Enter to read"; after Enter:
#   "recv 1: b'helloworldSB'" — the client's two messages in one piece, because TCP is
#   a stream of bytes without message boundaries — then "recv 2: b''" (the client closed).
#   With first 1: "recv 1: b'h'", and the rest waits for the next recv: "recv 2: b'elloworldSB'".
# Expect-zh: "listening on port 9107"、"connected: ..."、"press Enter to read"；按回车后：
#   "recv 1: b'helloworldSB'"——客户端的两条消息成了一块，因为 TCP 是没有消息边界的
#   字节流——然后是 "recv 2: b''"（客户端已关闭）。first 为 1 时："recv 1: b'h'"，
#   其余的留给下一次 recv："recv 2: b'elloworldSB'"。
import socket
import sys

port = int(sys.argv[1]) if len(sys.argv) > 1 else 9107
first = int(sys.argv[2]) if len(sys.argv) > 2 else 1024

with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(1)
    print(f"listening on port {port}")
    conn, addr = server.accept()
    with conn:
        print(f"connected: {addr}")
        # Waiting lets both messages arrive before the first recv: what the
        # seed's receiver does by reading late.
        print("press Enter to read")
        input()
        print("recv 1:", conn.recv(first))
        print("recv 2:", conn.recv(1024))
