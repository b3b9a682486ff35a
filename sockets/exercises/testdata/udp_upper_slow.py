# udp-upper, correct but slow: each reply takes a moment, as when a learner
# answers by hand from the workbench.
import socket
import time

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', 0))
print(s.getsockname()[1], flush=True)
while True:
    data, addr = s.recvfrom(2048)
    time.sleep(0.3)
    s.sendto(data.upper(), addr)
