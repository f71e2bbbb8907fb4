#!/usr/bin/env python3
"""Where the processes of make bench's memory cgroups wait.

usage: bench/kstacks.py [SECONDS]   (root; default 120)

Every 5 ms it reads the state and the kernel stack (/proc/TID/stack)
of every task in the -memlimit targets' cgroups (webhook-bench-*,
cgroup v1) and at the end prints the most frequent (command, state,
top frames).  Run it beside `BENCH_ONLY=github-durable-ledger1m-memlimit
make bench`: it waits for the cgroup to appear.  A task in state R is
running; S and D are waiting, and the frames say on what (flock,
fcntl locks, fdatasync, a page read, reclaim).
"""
import collections
import glob
import sys
import time

CGROUPS = '/sys/fs/cgroup/memory/webhook-bench-*/tasks'


def sample(tid):
    with open(f'/proc/{tid}/stat') as f:
        st = f.read()
    comm = st[st.index('(') + 1:st.rindex(')')]
    state = st[st.rindex(')') + 2]
    if state == 'R':
        return comm, state, ''
    with open(f'/proc/{tid}/stack') as f:
        frames = [line.split()[1].split('+')[0] for line in f]
    frames = [x for x in frames
              if not x.startswith('entry_') and x != 'do_syscall_64']
    return comm, state, ' < '.join(frames[:6])


def main():
    end = time.time() + (float(sys.argv[1]) if len(sys.argv) > 1 else 120)
    counts = collections.Counter()
    samples = 0
    while time.time() < end:
        tids = []
        for path in glob.glob(CGROUPS):
            try:
                with open(path) as f:
                    tids += f.read().split()
            except OSError:
                pass
        if not tids:
            time.sleep(0.05)
            continue
        samples += 1
        for tid in tids:
            try:
                counts[sample(tid)] += 1
            except (OSError, ValueError):
                pass    # the task ended between the listing and now
        time.sleep(0.005)
    print('samples', samples)
    for (comm, state, frames), n in counts.most_common(40):
        print(f'{n:6d} {comm:12s} {state} {frames}')


if __name__ == '__main__':
    main()
