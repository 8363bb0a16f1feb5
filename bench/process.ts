// Child processes as process groups (start, wait for the port, stop the whole group) and
// /proc sampling of a server process.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import net from 'node:net';

/** The PID owning a listening TCP port (from `ss`), if any. */
export function listenerPid(port: number): number | undefined {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const m = /pid=(\d+)/.exec(out);
  return m ? Number(m[1]) : undefined;
}

/** The last lines of a log file, for error messages. */
export function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Spawns `cmd` as a new session and process group (so it misses our terminal's Ctrl-C), output to `logFile`. */
export function spawnGroup(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }, logFile: string) {
  const out = openSync(logFile, 'a');
  try {
    return spawn(cmd, args, { ...opts, detached: true, stdio: ['ignore', out, out] });
  } finally {
    closeSync(out); // the child has its own copy
  }
}

/** Resolves once `port` accepts; throws with the log's tail if the child exits or time runs out. */
export async function waitForPort(port: number, child: ChildProcess, timeoutMs: number, logFile: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`exited (${child.exitCode ?? child.signalCode}) before listening on ${port}; ${logFile}:\n${tail(logFile)}`);
    }
    if (await accepts(port)) return;
    await sleep(200);
  }
  await stopGroup(child.pid!, 2000);
  throw new Error(`not listening on ${port} after ${timeoutMs / 1000} s; ${logFile}:\n${tail(logFile)}`);
}

export function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** SIGTERM to the group, SIGKILL after `graceMs`; resolves when no process of the group is left. */
export async function stopGroup(pgid: number, graceMs: number): Promise<void> {
  for (const [signal, wait] of [['SIGTERM', graceMs], ['SIGKILL', 5000]] as const) {
    if (!groupAlive(pgid)) return;
    try {
      process.kill(-pgid, signal);
    } catch {
      return;
    }
    for (const end = Date.now() + wait; Date.now() < end && groupAlive(pgid); ) await sleep(100);
  }
  if (groupAlive(pgid)) throw new Error(`process group ${pgid} survived SIGKILL`);
}

export function groupAlive(pgid: number): boolean {
  return pidAlive(-pgid);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Waits until a freshly started server is quiet: RSS steady within 1 % and CPU under 5 % over
 * 2 s (ejabberd's RSS shrinks by tens of MB in the seconds after it starts listening), at most
 * `maxMs`. Returns the settled RSS in MB.
 */
export async function settle(pid: number, maxMs = 30_000): Promise<number | undefined> {
  const clk = 100; // USER_HZ on Linux
  let prev = procSample(pid);
  for (const end = Date.now() + maxMs; Date.now() < end; ) {
    await sleep(2000);
    const cur = procSample(pid);
    if (!prev || !cur) return undefined;
    const cpu = (cur.ticks - prev.ticks) / clk / 2;
    if (Math.abs(cur.rssKb - prev.rssKb) <= 0.01 * prev.rssKb && cpu < 0.05) return cur.rssKb / 1024;
    prev = cur;
  }
  return prev && prev.rssKb / 1024;
}

function procSample(pid: number): { rssKb: number; ticks: number } | undefined {
  try {
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(')').at(-1)!.trim().split(' ');
    return rss ? { rssKb: Number(rss[1]), ticks: Number(stat[11]) + Number(stat[12]) } : undefined;
  } catch {
    return undefined;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The trimmed stdout of a command, or '' if it fails. */
export function sh(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}
