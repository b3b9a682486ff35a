"""sockplay's supervisor: the first process (PID 1) of a program's sandbox.

Usage: python3 -I -S supervise.py LIMITS PROGRAM ARG...

It sets the resource limits in LIMITS (a JSON object: resource name to
[soft, hard]) on itself, so that they hold for every process it starts,
starts PROGRAM, reaps every process that ends in the sandbox, and writes how
the program ended to file descriptor 4 as one JSON line: {"code": N} or
{"signal": N}, with the CPU seconds it used. When it exits, the kernel ends
whatever is left in the sandbox. Being PID 1, it cannot be killed from
inside the sandbox.
"""
import json
import os
import resource
import sys

REPORT = 4


def report(fields):
    try:
        os.write(REPORT, (json.dumps(fields) + "\n").encode())
    except OSError:
        pass


def main():
    limits = json.loads(sys.argv[1])
    argv = sys.argv[2:]
    for name, (soft, hard) in limits.items():
        resource.setrlimit(getattr(resource, name), (soft, hard))
    pid = os.fork()
    if pid == 0:
        try:
            os.execv(argv[0], argv)
        except OSError as e:
            os.write(2, ("sockplay: cannot start %s: %s\n" % (argv[0], e.strerror)).encode())
        os._exit(127)
    while True:
        try:
            got, status, usage = os.wait4(-1, 0)
        except ChildProcessError:
            report({"error": "the program's process vanished"})
            return
        if got == pid:
            break
    cpu = usage.ru_utime + usage.ru_stime
    if os.WIFSIGNALED(status):
        report({"signal": os.WTERMSIG(status), "cpu": cpu})
    else:
        report({"code": os.WEXITSTATUS(status), "cpu": cpu})


main()
