#!/usr/bin/env python3
"""Runs a command on a pseudo-terminal and answers its prompts, for CLI flows that insist on a
TTY (npm login's username/password prompts).

usage: pty_run.py TIMEOUT PROMPT1 ANSWER1 [PROMPT2 ANSWER2 ...] -- COMMAND [ARGS...]
Each PROMPT is a regular expression waited for in the output before ANSWER is typed. An ANSWER
starting with "!" is a shell command run at that moment with everything printed so far on its
stdin; its output (stripped) is typed instead, for answers that depend on what the command just
printed (a one-time password computed from the secret `npm profile enable-2fa` shows). Prints
everything the command wrote and exits with its exit status (124 on timeout).
"""
import os
import pty
import re
import select
import subprocess
import sys
import time


def main():
    args = sys.argv[1:]
    sep = args.index("--")
    timeout = float(args[0])
    pairs = args[1:sep]
    cmd = args[sep + 1:]
    prompts = [(re.compile(pairs[i]), pairs[i + 1]) for i in range(0, len(pairs), 2)]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    out = b""
    deadline = time.time() + timeout
    seen = 0
    while True:
        if time.time() > deadline:
            os.kill(pid, 9)
            sys.stdout.write(out.decode("utf-8", "replace"))
            sys.exit(124)
        r, _, _ = select.select([fd], [], [], 0.1)
        if r:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            text = out.decode("utf-8", "replace")
            while prompts and prompts[0][0].search(text[seen:]):
                m = prompts[0][0].search(text[seen:])
                seen += m.end()
                answer = prompts[0][1]
                if answer.startswith("!"):
                    answer = subprocess.run(answer[1:], shell=True, input=text, text=True,
                                            capture_output=True).stdout.strip()
                os.write(fd, (answer + "\n").encode())
                prompts.pop(0)
    _, status = os.waitpid(pid, 0)
    sys.stdout.write(out.decode("utf-8", "replace"))
    sys.exit(os.waitstatus_to_exitcode(status))


if __name__ == "__main__":
    main()
