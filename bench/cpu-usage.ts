/** CPU time readings (Linux /proc) to tell how busy the server, the load generator and everything else were. */

import { readdir, readFile } from 'node:fs/promises';

/** Clock ticks per second of /proc figures (USER_HZ, 100 on Linux). */
const HZ = 100;

/** User + system CPU seconds of a process; null where /proc is not available. */
export async function processCpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (stat === null) return null;
  // utime and stime are fields 14 and 15; count from after the parenthesised command name.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / HZ;
}

/** CPU seconds the whole machine spent busy (not idle, not waiting for I/O); null without /proc. */
export async function machineBusySeconds(): Promise<number | null> {
  const stat = await readFile('/proc/stat', 'utf8').catch(() => null);
  const line = stat?.split('\n')[0];
  if (line === undefined || !line.startsWith('cpu ')) return null;
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = line
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  return (user + nice + system + irq + softirq + steal) / HZ;
}

/** User + system CPU seconds of a process and its live children (e.g. a PostgreSQL server and its backends). */
export async function processTreeCpuSeconds(pid: number): Promise<number | null> {
  const own = await processCpuSeconds(pid);
  if (own === null) return null;
  let total = own;
  for (const child of await childPids(pid)) total += (await processCpuSeconds(child)) ?? 0;
  return total;
}

/** The pid of the first process whose command line has `args` in sequence (e.g. `['-p', '5432']`). */
export async function findProcess(args: readonly string[]): Promise<number | null> {
  for (const pid of await pids()) {
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0');
    if (argv.some((_, i) => args.every((arg, j) => argv[i + j] === arg))) return pid;
  }
  return null;
}

async function pids(): Promise<number[]> {
  const entries = await readdir('/proc').catch(() => [] as string[]);
  return entries.filter((name) => /^\d+$/.test(name)).map(Number);
}

async function childPids(parent: number): Promise<number[]> {
  const children: number[] = [];
  for (const pid of await pids()) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
    // ppid is the second field after the parenthesised command name.
    if (stat !== null && Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) {
      children.push(pid);
    }
  }
  return children;
}
