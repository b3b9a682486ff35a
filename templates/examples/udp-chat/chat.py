# Example: Two-way chat with threads
# Example-zh: 多线程双向聊天
# Title: UDP chat (one thread receives, one sends)
# Title-zh: UDP 聊天（一个线程接收，一个线程发送）
# Seed: 000 (Num05: the multithreaded chat: a receiving thread and a sending thread)
# Seed-zh: 000（Num05：多线程聊天：一个接收线程和一个发送线程）
# Order: 1
# Together: run chat.py twice: first "chat.py 9102" (it waits to be written to),
#   then "chat.py 9103 9102" (it knows its peer); type on either side
# Together-zh: 运行两次 chat.py：先运行 "chat.py 9102"（它等着别人给它发消息），
#   再运行 "chat.py 9103 9102"（它知道对端在哪）；在任意一边键入文字
# Args: PORT [PEER_PORT] (defaults 9102, no peer)
# Args-zh: PORT [PEER_PORT]（默认 9102，没有对端）
# Expect: the first prints "chat on port 9102, waiting for someone to write";
#   a line typed on one side appears on the other as "('127.0.0.1', N) says: <line>",
#   in either direction and at any time, because receiving runs in its own thread.
#   An empty line (or the end of input) ends that side.
# Expect-zh: 第一个打印 "chat on port 9102, waiting for someone to write"；
#   在一边键入的一行会以 "('127.0.0.1', N) says: <line>" 的形式出现在另一边，
#   哪个方向、什么时候都可以，因为接收在自己的线程里运行。
#   输入空行（或输入结束）就结束那一边。
import socket
import sys
import threading


def receive(udp):
    """Print every datagram that arrives, until the socket is closed."""
    while True:
        try:
            data, addr = udp.recvfrom(1024)
        except OSError:
            return  # closed by the main thread
        print(f"{addr} says: {data.decode('utf-8', 'replace')}")


def main():
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 9102
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", port))
    if len(sys.argv) > 2:
        peer = ("127.0.0.1", int(sys.argv[2]))
        print(f"chat on port {port} with {peer}; type lines, an empty line ends")
    else:
        # Like the seed: wait for the first message to learn who the peer is.
        print(f"chat on port {port}, waiting for someone to write")
        data, peer = udp.recvfrom(1024)
        print(f"{peer} says: {data.decode('utf-8', 'replace')}")
        print("type lines to answer; an empty line ends")
    # The receiving thread is a daemon: it must not keep the program alive.
    threading.Thread(target=receive, args=(udp,), daemon=True).start()
    while True:
        try:
            line = input()
        except EOFError:
            break
        if not line:
            break
        udp.sendto(line.encode("utf-8"), peer)
    udp.close()
    print("chat ended")


if __name__ == "__main__":
    main()
