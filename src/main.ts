/**
 * `npm start`: load troupe.yml (or the embedded default), make sure there is a certificate,
 * boot the supervision tree; SIGINT/SIGTERM stop it in reverse order and exit 0.
 */
import { loadConfig, resolveConfigPath, ConfigError } from './config/load.js';
import { loadOrCreateCertificate } from './tls/certificate.js';
import { log, setLogLevel } from './log.js';
import { createNode } from '../actors/node.js';
import { troupeTree } from '../supervision/tree.js';
import { startSupervisor } from '../supervision/supervisor.js';
import { stopServer } from '../supervision/gen_server.js';

async function main(): Promise<void> {
  const configPath = resolveConfigPath(process.argv.slice(2), process.env);
  const config = loadConfig(configPath);
  if (!process.env.TROUPE_LOGLEVEL) setLogLevel(config.loglevel);
  const tls = await loadOrCreateCertificate(config.tls, config.data_dir, config.hosts);
  if (tls.generated) log.info({ dir: config.data_dir }, 'generated a self-signed certificate');
  const node = createNode(config, tls, configPath);
  const sup = await startSupervisor(troupeTree(node), { name: 'troupe_sup' });
  log.info({ hosts: config.hosts, data_dir: config.data_dir, pid: process.pid }, 'Troupe started');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) {
      // A second signal: the operator wants out now (as with ejabberd's double Ctrl-C).
      log.warn({ signal }, 'second signal: exiting without waiting for the shutdown');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'stopping');
    await stopServer(sup, 'shutdown');
    log.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));

  const reason = await sup.exited;
  if (!stopping) {
    log.fatal({ reason: String(reason) }, 'troupe_sup gave up (restart intensity reached): the node stops');
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) console.error(error.message);
  else log.fatal({ err: error }, 'Troupe failed to start');
  process.exit(1);
});
