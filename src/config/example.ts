// The documented default troupe.yml: every key with its default value. `troupectl` or the docs
// can print it as a starting point; a test checks that it parses to exactly the defaults.

/** An annotated troupe.yml equal to the embedded defaults. */
export const EXAMPLE_CONFIG = `\
# troupe.yml: every key is optional; these are the defaults.

# XMPP domains served (lowercased).
hosts: [localhost]

# Storage (LevelDB) and the generated certificate; relative to this file.
data_dir: ./data

# Module storage and accounts: leveldb (in data_dir) | postgres (shared by a cluster's nodes;
# then postgres_url: postgresql://USER:PASSWORD@HOST/DATABASE is required).
storage: leveldb
postgres_url: null

# trace | debug | info | warn | error | fatal
loglevel: info

# Each listener: an object, a bare port number (c2s: 5333), or false to disable it.
# port 0 picks an ephemeral port.
listen:
  c2s:
    port: 5222
    ip: "::"
    starttls: required                  # required | optional
    allow_plain_auth_without_tls: false
  c2s_tls:                              # direct TLS (XEP-0368)
    port: 5223
    ip: "::"
  http:                                 # /ws (XMPP over WebSocket), /metrics, /observer
    port: 5280
    ip: "::"
    consider_websocket_secure: false    # true behind a proxy that terminates TLS

# PEM files, both or neither; null: a self-signed certificate generated into data_dir/tls.
tls:
  cert: null
  key: null

auth:
  password_format: scram                # scram | plain
  scram_iterations: 4096                # at least 4096

# In-band registration (XEP-0077): open | closed
registration: closed

limits:
  max_stanza_size: 262144               # bytes
  max_xml_depth: 32
  max_auth_failures: 5                  # per address, before back-off
  auth_timeout_s: 30                    # cap on an unauthenticated connection
  c2s_shaper: fast                      # a shaper below, or none
  max_connections_per_ip: 1000          # 0 = unlimited
  max_user_sessions: 10                 # resources bound at once per account

# Traffic shapers (ejabberd's): bytes/s per connection, or {rate, burst_size}.
shaper:
  normal: { rate: 3000, burst_size: 20000 }
  fast: 100000

c2s:
  resource_conflict: replace            # the old session gets <conflict/>
  stream_management:                    # XEP-0198
    enabled: true
    resume_timeout: 300                 # seconds a dropped session waits for a resume
    max_ack_queue: 5000                 # unacknowledged stanzas before the stream is closed

# Several nodes sharing sessions through Redis (README "Cluster"); null: this node alone.
cluster: null
#  redis_url: redis://127.0.0.1:6379
#  node_name: node1                     # default: host name and data dir
#  liveness_ttl_s: 5                    # a node silent this long is dead, its sessions reaped

shutdown_timeout_ms: 5000

# Module name -> options ({} for the defaults), or false to disable it.
modules: {}
`;
