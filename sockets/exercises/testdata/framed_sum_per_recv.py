# framed-sum, wrong: takes each recv() for one frame.
import socket
import struct

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1', 0))
s.listen()
print(s.getsockname()[1], flush=True)
while True:
    conn, addr = s.accept()
    with conn:
        try:
            total = 0
            for _ in range(3):
                data = conn.recv(1024)
                n, = struct.unpack('!I', data[:4])
                total += int(data[4:4 + n])
            body = str(total).encode()
            conn.sendall(struct.pack('!I', len(body)) + body)
        except (OSError, ValueError, struct.error) as e:
            print('error:', e, flush=True)
