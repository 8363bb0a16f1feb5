/**
 * The node: the tables every process of this server shares (route, session, hook and IQ
 * tables, the storage handle), created once and handed to the tree. They outlive the actors
 * that keep them, like ETS tables whose heir is the supervisor.
 */
import type { Config } from '../src/config/schema.js';
import { createSecureContext, type SecureContext } from 'node:tls';
import { tlsServerOptions, type TlsMaterial } from '../src/tls/certificate.js';
import { HookTable } from './hooks.js';
import { RouteTable } from './router.js';
import { IqTable } from './iq_handler.js';
import { SessionTable, type SessionListener } from './session_table.js';
import { ClusterSessionTable } from './cluster_sessions.js';
import { undeliveredCast } from './cluster.js';
import { RedisSessions } from '../src/cluster/redis_sessions.js';
import { RedisRooms } from '../src/cluster/redis_rooms.js';
import { defaultNodeName } from '../src/cluster/node_name.js';
import { StorageHolder } from './storage.js';
import type { LocalContext } from './local.js';
import { Accounts } from '../src/auth/accounts.js';
import { storesFor, type Stores } from './stores.js';

export interface Node extends LocalContext {
  readonly config: Config;
  readonly tls: TlsMaterial;
  /** One context for STARTTLS and direct TLS alike. */
  readonly secureContext: SecureContext;
  readonly storage: StorageHolder;
  /** Every module's store, on the configured backend (`storage: leveldb | postgres`). */
  readonly stores: Stores;
  readonly accounts: Accounts;
  readonly startedAt: number;
  /** The config file the node was started with (`troupectl reload` reads it again); none: the defaults. */
  readonly configPath: string | undefined;
  /** Set when `cluster:` is configured (issue #9): the same object as `sessions`. */
  readonly cluster: ClusterSessionTable | null;
  /** With `cluster:`, the MUC rooms' claims and saved occupants (on the same Redis connection). */
  readonly clusterRooms: RedisRooms | null;
}

export function createNode(config: Config, tls: TlsMaterial, configPath?: string): Node {
  const hooks = new HookTable();
  // ejabberd runs sm_remove_connection for every closed session, orderly or not.
  const onClose: SessionListener = (session, reason) => void hooks.run('sm_remove_connection', session.jid.domain, session, reason);
  const cluster = config.cluster
    ? new ClusterSessionTable(onClose, new RedisSessions(config.cluster.redis_url, config.cluster.node_name ?? defaultNodeName(config.data_dir)), undeliveredCast)
    : null;
  const sessions = cluster ?? new SessionTable(onClose);
  const storage = new StorageHolder();
  const stores = storesFor(config.storage, storage);
  const accounts = new Accounts(() => stores.passwd(), {
    passwordFormat: config.auth.password_format,
    scramIterations: config.auth.scram_iterations,
    cache: !stores.shared,
  });
  return {
    config,
    tls,
    secureContext: createSecureContext(tlsServerOptions(tls)),
    hooks,
    accounts,
    sessions,
    routes: new RouteTable(),
    localIq: new IqTable(),
    hosts: config.hosts,
    storage,
    stores,
    startedAt: Date.now(),
    configPath,
    cluster,
    clusterRooms: cluster && new RedisRooms(cluster.redis.redis, cluster.redis.node),
  };
}
