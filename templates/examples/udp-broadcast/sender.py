# Example: UDP broadcast
# Example-zh: UDP 广播
# Title: Broadcast sender
# Title-zh: 广播发送方
# Seed: 000 (Num06: setsockopt(SOL_SOCKET, SO_BROADCAST, 1), then sendto a broadcast address)
# Seed-zh: 000（Num06：先 setsockopt(SOL_SOCKET, SO_BROADCAST, 1)，再 sendto 到广播地址）
# Order: 2
# Together: start receiver.py first, then sender.py
# Together-zh: 先启动 receiver.py，再启动 sender.py
# Args: [port] [address] (defaults 9104 and 127.255.255.255, the loopback network's
#   broadcast address; on a LAN it would be '<broadcast>' or e.g. 10.77.0.255)
# Args-zh: [port] [address]（默认 9104 和 127.255.255.255，即回环网络的广播地址；
#   在局域网上会是 '<broadcast>' 或者例如 10.77.0.255）
# Expect: first "without SO_BROADCAST: PermissionError: [Errno 13] Permission denied"
#   (the kernel refuses), then "with SO_BROADCAST: sent N bytes to ('127.255.255.255', 9104)";
#   every receiver prints the message.
# Expect-zh: 先是 "without SO_BROADCAST: PermissionError: [Errno 13] Permission denied"
#   （内核拒绝了），然后是 "with SO_BROADCAST: sent N bytes to ('127.255.255.255', 9104)"；
#   每个接收方都会打印这条消息。
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
