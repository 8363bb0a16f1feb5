#!/usr/bin/env python3
"""MUC fan-out scenario for `npm run bench` (bench/run.ts), on top of the shared Tsung kit.

One room of --users occupants at --muc-service; --rate stamped groupchat messages/s offered in
all (each user sends one every users/rate s) for --seconds. Every occupant should receive every
message: the report gives deliveries against sent x occupants (fan-out) and the latency of each
delivery (sender's stamp to a receiver's parse, same Tsung VM), p50/p99.

The kit (../shared/bench, read only) is imported as a library: its Tsung runner with the
ts_jabber patch, server sampler and log parsers; its _head.xml and _login_strict.xml are used
with templates/muc.xml from here. Before Tsung starts, a holder client (the probe account)
creates the room, submits the instant-room form (XEP-0045 10.1.2: a new room is locked until
then on servers that lock) and stays in it, so the room lives for the whole run.
Prints one JSON line, like the kit's scenarios.
"""
import argparse, base64, json, os, re, shutil, socket, sys, tempfile, threading, time

HERE = os.path.dirname(os.path.abspath(__file__))


class Holder(threading.Thread):
    """A plain-socket XMPP client (SASL PLAIN without TLS, as the bench listeners allow) in the room."""

    def __init__(self, host, port, domain, user, password, room, archive=True):
        super().__init__(daemon=True)
        self.sock = socket.create_connection((host, port), timeout=30)
        self.domain, self.room, self.buf = domain, room, ""
        self.open_stream()
        self.expect("</stream:features>")
        auth = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
        self.send(f"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{auth}</auth>")
        if "<success" not in self.expect("<success|<failure", regex=True):
            raise RuntimeError(f"holder: SASL failed: {self.buf[-300:]}")
        self.open_stream()
        self.expect("</stream:features>")
        self.send("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>holder</resource></bind></iq>")
        self.expect("</jid>")
        self.send(f"<presence to='{room}/holder'><x xmlns='http://jabber.org/protocol/muc'/></presence>")
        self.expect("code=.110.", regex=True)
        # the instant room (an empty form), or one whose archive is off (XEP-0045 muc#roomconfig_enablearchiving)
        fields = "" if archive else ("<field var='FORM_TYPE'><value>http://jabber.org/protocol/muc#roomconfig</value></field>"
                                     "<field var='muc#roomconfig_enablearchiving'><value>0</value></field>")
        self.send(f"<iq type='set' id='cfg1' to='{room}'><query xmlns='http://jabber.org/protocol/muc#owner'>"
                  f"<x xmlns='jabber:x:data' type='submit'>{fields}</x></query></iq>")
        self.expect("id=.cfg1.", regex=True)
        answer = re.search(r"<iq\b[^>]*\bid=['\"]cfg1['\"][^>]*>", self.buf)
        if not answer or not re.search(r"type=['\"]result['\"]", answer.group(0)):
            raise RuntimeError(f"holder: the room configuration was refused: {self.buf[-300:]}")
        self.sock.settimeout(None)

    def open_stream(self):
        self.send(f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='{self.domain}' version='1.0'>")
        self.buf = ""

    def send(self, s):
        self.sock.sendall(s.encode())

    def expect(self, what, regex=False):
        found = (lambda: re.search(what, self.buf)) if regex else (lambda: what in self.buf)
        while not found():
            data = self.sock.recv(65536)
            if not data:
                raise RuntimeError(f"holder: connection closed waiting for {what}: {self.buf[-300:]}")
            self.buf += data.decode(errors="replace")
        return self.buf

    def run(self):
        # drain the room's traffic until closed
        try:
            while self.sock.recv(65536):
                pass
        except OSError:
            pass

    def close(self):
        try:
            self.send("</stream:stream>")
            self.sock.close()
        except OSError:
            pass


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kit", required=True)
    ap.add_argument("--host", default="127.0.0.1"); ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--pid", type=int); ap.add_argument("--domain", required=True)
    ap.add_argument("--muc-service", required=True); ap.add_argument("--room", default="benchroom")
    ap.add_argument("--holder-user", default="benchprobe"); ap.add_argument("--holder-pass", default="benchprobe")
    ap.add_argument("--users", type=int, default=200); ap.add_argument("--rate", type=float, default=50)
    ap.add_argument("--seconds", type=float, default=12); ap.add_argument("--msg-size", type=int, default=64)
    ap.add_argument("--arrival-rate", type=float, default=100)
    ap.add_argument("--no-archive", action="store_true", help="configure the room without its archive")
    ap.add_argument("--label", default="server"); ap.add_argument("--out", required=True); ap.add_argument("--tag", default="mu")
    a = ap.parse_args()
    sys.path.insert(0, a.kit)
    import bench  # the kit's driver, as a library

    # the kit renders from one template dir: its head and login parts, with our muc.xml
    tpl = tempfile.mkdtemp(prefix="muc-tpl-")
    for f in ("_head.xml", "_login_strict.xml", "_login.xml"):
        shutil.copy(os.path.join(bench.TPL, f), tpl)
    # Tsung takes the MUC service as a ts_jabber option, which the kit's head does not set
    head = os.path.join(tpl, "_head.xml")
    text = open(head).read()
    if "</options>" not in text:
        raise SystemExit("the kit's _head.xml has no </options>")
    open(head, "w").write(text.replace("</options>", '  <option type="ts_jabber" name="muc_service" value="@MUC_SERVICE@"/>\n  </options>'))
    shutil.copy(os.path.join(HERE, "templates", "muc.xml"), tpl)
    bench.TPL = tpl

    room = f"{a.room}@{a.muc_service}"
    holder = Holder(a.host, a.port, a.domain, a.holder_user, a.holder_pass, room, archive=not a.no_archive)
    holder.start()
    interval = a.users / a.rate
    per_user = max(1, int(round(a.seconds / interval)))
    wait = int(a.users / a.arrival_rate) + 8
    args = argparse.Namespace(host=a.host, port=a.port, domain=a.domain, user_prefix="bu", pass_prefix="bp",
                              acks="strict", pid=a.pid, tag=a.tag)
    out = os.path.join(a.out, f"{a.label}-{time.strftime('%H%M%S')}")
    os.makedirs(out, exist_ok=True)
    label = f"muc_{a.users}"
    try:
        r = bench.scenario(args, "muc", out, a.users, a.arrival_rate, label=label,
                           extra=dict(WAIT_S=wait, MSGS_PER_USER=per_user, MSG_INTERVAL_S=round(interval, 4),
                                      MSG_SIZE=a.msg_size, ROOM=a.room, MUC_SERVICE=a.muc_service, DRAIN_S=20,
                                      LOAD_DURATION=3600))
    finally:
        holder.close()
        shutil.rmtree(tpl, ignore_errors=True)
    joins = r["full"].get("tr_muc_join", [])
    lat = r["full"].get("xmpp_msg_latency", [])
    ser = r["stats"].get("xmpp_msg_latency", {}).get("series", [])
    per_s = [c for _, c, _ in ser if c > 0]
    steady = sorted(per_s[1:-1] if len(per_s) > 3 else per_s)
    joined = len(joins)
    sent = joined * per_user
    row = dict(scenario=label, users=a.users, offered_msgs_per_s=a.rate, joined=joined, sent=sent,
               expected_deliveries=sent * joined, delivered=len(lat),
               fanout_pct=round(100.0 * len(lat) / (sent * joined), 2) if sent and joined else None,
               deliveries_per_s_median=bench.pct(steady, 50),
               join_ms_p50=bench.ms(bench.pct(joins, 50)), join_ms_p99=bench.ms(bench.pct(joins, 99)),
               lat_ms_p50=bench.ms(bench.pct(lat, 50)), lat_ms_p90=bench.ms(bench.pct(lat, 90)),
               lat_ms_p99=bench.ms(bench.pct(lat, 99)), lat_ms_max=bench.ms(lat[-1] if lat else None),
               received_mb=round(r["stats"].get("size_rcv", {}).get("count", 0) / 1e6, 1),
               errors=r["errors"], server_cpu_pct=bench.cpu_pct(r["samples"]))
    print(json.dumps(row), flush=True)
    json.dump([row], open(os.path.join(out, "summary.json"), "w"), indent=1)
    print("results in", out, flush=True)


if __name__ == "__main__":
    main()
