// `npm run bench`: Troupe and the ejabberd anchor under the same Tsung load (../shared/bench), in
// one run, servers alternating per scenario; prints "metric | troupe | ejabberd | ratio" and writes
// it to bench/results/<date>.md. Options: bench/options.ts; what the figures mean: bench/README.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kitDir, repoRoot, runKit, runMuc, type Summary } from './kit.js';
import { parseOptions, type Options, type Scenario, type ServerName } from './options.js';
import { failedStep, failedSteps, formatSteps, probeRegister, probeSession, type Step } from './probe.js';
import { buildLines, runNotes, renderMarkdown, renderText } from './report.js';
import { accepts, listenerPid, settle, sh, tail } from './process.js';
import { CORE_NOTE, DOMAIN, EPMD_PORT, Fleet, PORTS, ejabberdInstalled, stopFleet, type Server } from './servers.js';

const PROBE_USER = 'benchprobe';

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  const root = repoRoot();
  const kit = kitDir(root);
  if (!existsSync(path.join(kit, 'run.sh'))) throw new Error(`the load kit is missing: ${kit}/run.sh`);
  if (!which('tsung')) throw new Error('tsung is not installed: apt-get install -y tsung');
  const notes: string[] = [];
  const names = o.servers.filter((s) => s !== 'ejabberd' || ejabberdInstalled());
  if (names.length < o.servers.length) {
    if (o.serversGiven) throw new Error('ejabberd is not installed: apt-get install -y ejabberd');
    notes.push('ejabberd is not installed (apt-get install -y ejabberd): Troupe measured alone, no ratio.');
    console.log(`note: ${notes.at(-1)}`);
  }
  for (const name of names) {
    if (await accepts(PORTS[name])) {
      throw new Error(`port ${PORTS[name]} (${name}) is already in use by PID ${listenerPid(PORTS[name]) ?? '?'}: stop it first`);
    }
  }

  const started = new Date();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'troupe-bench-'));
  const runsDir = path.join(tmp, 'runs');
  const epmdWasRunning = listenerPid(EPMD_PORT) !== undefined;
  const load0 = os.loadavg()[0]!;
  const fleet = new Fleet(root, kit, tmp, o.ejabberdMam);
  if (o.ejabberdMam && names.includes('ejabberd')) notes.push('ejabberd ran with mod_mam (default: always, its default mnesia backend): it archives every chat message, as Troupe does.');
  const abort = new AbortController();
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= stopFleet(fleet, epmdWasRunning, o.keep ? undefined : tmp));
  const onSignal = (sig: NodeJS.Signals) => {
    console.error(`\n${sig}: stopping the servers`);
    abort.abort();
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);

  const reps = new Map<ServerName, Summary[][]>();
  const usable = new Map<ServerName, Set<Scenario>>();
  try {
    // start, probe, and make accounts, one server after the other
    for (const name of names) {
      console.log(`\n== ${name}`);
      let server: Server;
      try {
        server = await fleet.start(name);
      } catch (err) {
        notes.push(`${name} did not start: ${(err as Error).message}`);
        console.log(`${name} did not start: ${(err as Error).message}`);
        continue;
      }
      const ctl = name !== 'ejabberd' && o.accounts === 'ctl' ? troupectl(root, fleet.troupeYml(name)) : undefined;
      const can = await probe(server, o, ctl, notes);
      if (can.size === 0) continue;
      const method = ctl ? `${ctl} register {u} {d} {p}` : 'ibr';
      let accounts: Summary | undefined;
      try {
        [accounts] = await runKit(kit, server, 'accounts', method, o, path.join(runsDir, 'accounts'), abort.signal);
      } catch (err) {
        if (abort.signal.aborted) throw err;
        notes.push(`${name}: creating the accounts failed: ${(err as Error).message}`);
        continue;
      }
      reps.set(name, [accounts ? [accounts] : []]);
      const made = Math.min(Number(accounts?.registered ?? o.users), Number(accounts?.users_launched ?? o.users));
      if (made < o.users) notes.push(`${name}: only ${made} of ${o.users} accounts were registered: logins beyond bu${made} fail`);
      const check = await probeSession(server.port, DOMAIN, 'bu1', 'bp1', { loginOnly: true });
      if (fatal(check)) {
        notes.push(`${name}: after creating the accounts, bu1 cannot log in: ${describe(check)}`);
        console.log(`${name}: bu1 cannot log in after the accounts step; skipping its load\n${formatSteps(check)}`);
        continue;
      }
      usable.set(name, can);
    }

    // the load: per repetition, per scenario, the servers alternate (ABBA over repetitions)
    for (let rep = 1; rep <= o.reps; rep++) {
      const order = rep % 2 ? [...usable.keys()] : [...usable.keys()].reverse();
      for (const scenario of o.scenarios) {
        for (const name of order) {
          if (!usable.get(name)!.has(scenario)) continue;
          let server = fleet.running.get(name)!;
          if (!server.alive()) {
            notes.push(`${name} died before ${scenario} (rep ${rep}); ${server.logFile}:\n${tail(server.logFile)}`);
            usable.set(name, new Set());
            continue;
          }
          console.log(`\n== rep ${rep}/${o.reps}, ${scenario}, ${name}`);
          try {
            if (scenario.startsWith('login')) {
              // a fresh process, so that "RSS before the storm" is not inflated by earlier load
              console.log(`restarting ${name} for a clean memory baseline`);
              server = await fleet.start(name);
              const mb = await settle(server.pid);
              console.log(`${name}: settled at ${mb?.toFixed(1) ?? '?'} MB RSS`);
            }
            const out = path.join(runsDir, `r${rep}-${scenario}`);
            const rows = scenario === 'muc'
              ? await runMuc(kit, root, server, o, out, abort.signal)
              : await runKit(kit, server, scenario, 'none', o, out, abort.signal);
            (reps.get(name)![rep - 1] ??= []).push(...rows);
          } catch (err) {
            if (abort.signal.aborted) throw err;
            notes.push(`${name}, ${scenario} (rep ${rep}): ${(err as Error).message}`);
            console.log(`${name}, ${scenario}: ${(err as Error).message}`);
            continue;
          }
          if (!server.alive()) notes.push(`${name} exited during ${scenario} (rep ${rep}): see ${server.logFile}`);
        }
      }
    }
  } finally {
    await cleanup();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }

  const lines = buildLines(reps, o);
  const shown = names.filter((n) => reps.has(n));
  notes.push(...runNotes(reps));
  if (load0 > 1) notes.push(`the machine was busy (load average ${load0.toFixed(1)} at the start): absolute figures suffer more than ratios`);
  console.log(shown.length ? `\n${renderText(lines, shown)}\n` : '\nnothing was measured\n');
  for (const n of notes) console.log(`note: ${n}`);
  if (!shown.length) {
    process.exitCode = 1;
    return;
  }
  const file = writeResults(root, o, started, renderMarkdown(lines, shown), notes, {
    runsDir, load0, load1: os.loadavg()[0]!, commit: gitDescribe(root),
  });
  console.log(`\nwritten: ${path.relative(process.cwd(), file)}; raw Tsung output: ${runsDir}`);
}

/**
 * Checks the server with one scripted client before the load. Returns the scenarios it can serve:
 * a server without working login gets none (Tsung would wait up to 10 minutes per stuck step).
 */
async function probe(server: Server, o: Options, ctl: string | undefined, notes: string[]): Promise<Set<Scenario>> {
  const can = new Set<Scenario>(o.scenarios);
  const steps: Step[] = [];
  if (ctl) {
    try {
      execFileSync('sh', ['-c', `${ctl} register ${PROBE_USER} ${DOMAIN} ${PROBE_USER}`], { stdio: 'pipe' });
      steps.push({ step: 'troupectl register', ok: true, ms: 0, got: '', answered: true });
    } catch (err) {
      steps.push({ step: 'troupectl register', ok: false, ms: 0, got: String((err as { stderr?: Buffer }).stderr ?? err), answered: true });
    }
  } else {
    steps.push(...(await probeRegister(server.port, DOMAIN, PROBE_USER, PROBE_USER)));
  }
  if (!fatal(steps)) steps.push(...(await probeSession(server.port, DOMAIN, PROBE_USER, PROBE_USER)));
  if (!fatal(steps) && can.has('login_tls')) {
    const tls = await probeSession(server.port, DOMAIN, PROBE_USER, PROBE_USER, { starttls: true, loginOnly: true });
    steps.push(...tls.map((s) => ({ ...s, step: `[STARTTLS] ${s.step}` })));
  }
  console.log(`${server.name}: probe as ${PROBE_USER}\n${formatSteps(steps)}`);
  for (const f of failedSteps(steps)) {
    const blocked = blockedBy(f);
    for (const s of blocked === 'all' ? o.scenarios : blocked) can.delete(s);
    notes.push(`${server.name}: probe step "${f.step}" failed: ${f.got}`);
  }
  const skipped = o.scenarios.filter((s) => !can.has(s));
  if (skipped.length) notes.push(`${server.name}: not measured because of the probe: ${skipped.join(', ')}`);
  if (server.name === 'troupe-core') can.delete('muc'); // the core has no MUC service
  return can;
}

/**
 * The scenarios a failed probe step spoils. Tsung accepts an error reply to roster get (its
 * strict ack matches type=error), but waits 10 minutes for a reply that never comes.
 */
function blockedBy(f: Step): Scenario[] | 'all' {
  const step = f.step.replace(/^\[STARTTLS\] /, '');
  if (step === 'close stream') return [];
  if (step === 'chat message to self') return ['chat'];
  if (step === 'roster set' || step === 'roster remove') return ['roster'];
  if (step === 'roster get' && f.answered) return ['roster'];
  if (step === 'initial presence') return [];
  return f.step.startsWith('[STARTTLS]') ? ['login_tls'] : 'all';
}

/** A failed step that spoils every scenario (no login possible, or Tsung would hang). */
function fatal(steps: Step[]): boolean {
  return failedSteps(steps).some((f) => blockedBy(f) === 'all');
}

function describe(steps: Step[]): string {
  const f = failedStep(steps);
  return f ? `step "${f.step}" failed, got: ${f.got}` : 'ok';
}

function troupectl(root: string, config: string): string {
  return `node '${path.join(root, 'dist/src/cli/troupectl.js')}' --config '${config}'`;
}

function writeResults(root: string, o: Options, started: Date, table: string, notes: string[],
  m: { runsDir: string; load0: number; load1: number; commit: string }): string {
  const stamp = started.toISOString().slice(0, 16).replace('T', '-').replace(':', '');
  const dir = path.join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${stamp}${o.quick ? '-quick' : ''}.md`);
  const ej = sh('dpkg-query', ['-W', '-f', '${Version}', 'ejabberd']) || 'not installed';
  const text = `# Troupe vs ejabberd, ${started.toISOString().slice(0, 16).replace('T', ' ')} UTC

\`npm run bench -- ${process.argv.slice(2).join(' ')}\`: Troupe ${m.commit}, ejabberd ${ej}, Tsung 1.7.0 (kit
../shared/bench, strict acks), ${os.cpus().length} cores shared with other work: load average ${m.load0.toFixed(1)}
before, ${m.load1.toFixed(1)} after. Repetitions: ${o.reps}${o.reps > 1 ? ' (median, each run in brackets)' : ''}.
↑ higher is better, ↓ lower is better; ratios: the first server's figure over each other's.${o.servers.includes('troupe-core') ? `
troupe-core: Troupe with only the modules of the core and roster issues (${CORE_NOTE}).` : ''}

${table}
${notes.length ? `\nNotes:\n${notes.map((n) => `- ${n.replace(/\n/g, '\n  ')}`).join('\n')}\n` : ''}
Raw Tsung output (not kept in git): ${m.runsDir}
`;
  writeFileSync(file, text);
  return file;
}

function gitDescribe(root: string): string {
  return sh('git', ['-C', root, 'describe', '--always', '--dirty']) || 'unknown commit';
}

function which(cmd: string): boolean {
  return sh('sh', ['-c', `command -v ${cmd}`]) !== '';
}



main().catch((err: Error) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
