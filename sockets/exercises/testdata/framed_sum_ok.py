# framed-sum, correct: read each frame by its length.
import socket
import struct


def recv_exact(conn, n):
    buf = b''
    while len(buf) < n:
        chunk = conn.recv(n - len(buf))
        if not chunk:
            raise ConnectionError('closed in the middle of a frame')
        buf += chunk
    return buf


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
                n, = struct.unpack('!I', recv_exact(conn, 4))
                total += int(recv_exact(conn, n))
            body = str(total).encode()
            conn.sendall(struct.pack('!I', len(body)) + body)
        except (OSError, ValueError) as e:
            print('error:', e, flush=True)
