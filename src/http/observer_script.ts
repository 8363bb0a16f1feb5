/**
 * The observer page's script (plain ES2017, no build step): an EventSource on
 * `/observer/events`; `snapshot` redraws the tree in place (rows keyed by their stable path, so
 * a crash button is never replaced under the pointer), `event` adds to the restart timeline,
 * the crash button POSTs `/observer/crash`. Kept free of backticks and `${`: it lives in a
 * String.raw literal.
 */
export const OBSERVER_SCRIPT = String.raw`
(function () {
  'use strict';
  var token = new URLSearchParams(location.search).get('token');
  var query = token ? '?token=' + encodeURIComponent(token) : '';
  var auth = token ? { Authorization: 'Bearer ' + token } : {};
  var rows = new Map();
  var timeline = [];
  var $ = function (id) { return document.getElementById(id); };

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }
  function setText(e, text) { if (e.textContent !== text) e.textContent = text; }
  function bytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1048576).toFixed(1) + ' MiB';
  }
  function duration(s) {
    if (s < 60) return Math.round(s) + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + Math.round(s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function clock(ms) { return new Date(ms).toLocaleTimeString([], { hour12: false }) + '.' + String(ms % 1000).padStart(3, '0'); }
  function toast(text) {
    var t = $('toast');
    t.textContent = text;
    t.className = 'show';
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { t.className = ''; }, 2500);
  }

  // ---- the tree ----

  function flatten(actor, prefix, last, depth, out) {
    out.push({ actor: actor, branch: depth === 0 ? '' : prefix + (last ? '└─ ' : '├─ '), depth: depth });
    var kids = actor.children || [];
    var childPrefix = depth === 0 ? '' : prefix + (last ? '   ' : '│  ');
    kids.forEach(function (c, i) { flatten(c, childPrefix, i === kids.length - 1 && !actor.more, depth + 1, out); });
    if (actor.more) out.push({ more: actor.more, path: actor.path + '/…', branch: childPrefix + '└─ ' });
  }

  function createRow(item) {
    var tr = el('tr');
    if (item.more) {
      tr.className = 'more';
      var td = el('td');
      td.colSpan = 9;
      td.append(el('span', 'branch', item.branch), el('span', 'text'));
      tr.append(td);
      return tr;
    }
    var a = item.actor;
    tr.className = a.type;
    tr.dataset.path = a.path;
    var actor = el('div', 'actor');
    actor.append(el('span', 'branch'), el('span', 'name'), el('span', 'kind', a.type === 'supervisor' ? 'sup' : 'worker'), el('span', 'label'));
    var cells = [['actor', actor], ['pid mono'], ['status'], ['mailbox num'], ['rate num'], ['mem num'], ['restarts num'], ['exit']];
    cells.forEach(function (c) {
      var td = el('td', c[0]);
      if (c[1]) td.append(c[1]);
      tr.append(td);
    });
    var action = el('td');
    var button = el('button', 'crash', 'crash');
    button.type = 'button';
    action.append(button);
    tr.append(action);
    return tr;
  }

  function updateRow(tr, item) {
    if (item.more) {
      setText(tr.querySelector('.branch'), item.branch);
      setText(tr.querySelector('.text'), '… and ' + item.more + ' more');
      return;
    }
    var a = item.actor;
    var q = function (sel) { return tr.querySelector(sel); };
    tr.dataset.name = a.name || '';
    tr.dataset.target = a.name || a.pid || '';
    setText(q('.branch'), item.branch);
    setText(q('.name'), a.name || a.id);
    var label = a.label && a.label.indexOf(a.id + ' ') === 0 ? a.label.slice(a.id.length + 1) : a.label;
    setText(q('.label'), label && label !== a.name && label !== a.id ? label : '');
    var pid = a.pid || '—';
    if (tr.dataset.pid && tr.dataset.pid !== pid && a.pid) {
      tr.classList.remove('flash');
      void tr.offsetWidth; // restart the animation
      tr.classList.add('flash');
    }
    tr.dataset.pid = pid;
    setText(q('td.pid'), pid);
    var status = q('td.status');
    setText(status, a.status);
    status.className = 'status ' + a.status;
    setText(q('td.mailbox'), String(a.mailbox));
    setText(q('td.rate'), a.rate ? String(a.rate) : '0');
    setText(q('td.mem'), bytes(a.memory));
    var restarts = q('td.restarts');
    setText(restarts, String(a.restarts));
    restarts.className = 'restarts num' + (a.restarts > 0 ? ' hot' : '');
    var exit = q('td.exit');
    setText(exit, a.lastExit || '');
    exit.title = a.lastExit || '';
    q('button.crash').disabled = !a.pid;
  }

  function renderTree(tree) {
    var items = [];
    flatten(tree, '', true, 0, items);
    var body = $('tree');
    var seen = new Set();
    var previous = null;
    items.forEach(function (item) {
      var key = item.more ? item.path : item.actor.path;
      var tr = rows.get(key);
      if (!tr) rows.set(key, (tr = createRow(item)));
      updateRow(tr, item);
      var expected = previous ? previous.nextSibling : body.firstChild;
      if (tr !== expected) body.insertBefore(tr, expected);
      previous = tr;
      seen.add(key);
    });
    rows.forEach(function (tr, key) {
      if (!seen.has(key)) { tr.remove(); rows.delete(key); }
    });
  }

  // ---- sessions, timeline, header ----

  function renderList(ul, items, empty, render) {
    ul.replaceChildren();
    if (items.length === 0) ul.append(el('li', 'empty', empty));
    items.forEach(function (item) { ul.append(render(item)); });
  }

  function renderSessions(sessions, now) {
    setText($('session-count'), String(sessions.length));
    renderList($('sessions'), sessions, 'no sessions', function (s) {
      var li = el('li');
      li.append(el('div', 'mono', s.jid), el('div', 'sub', 'c2s ' + s.pid + ' · connected ' + duration((now - s.since) / 1000)));
      return li;
    });
  }

  function renderTimeline() {
    var newest = timeline.slice().reverse();
    renderList($('timeline'), newest, 'no restarts yet: press a crash button', function (e) {
      var li = el('li');
      var head = el('div');
      head.append(el('span', 'badge ' + e.type, e.type), el('span', 'mono', e.supervisor + ' › ' + e.child + ' ' + e.pid));
      var sub = clock(e.at) + (e.type === 'restart' ? ' · restart #' + e.restarts : '') + (e.reason ? ' · ' + e.reason : '');
      li.append(head, el('div', 'sub', sub));
      return li;
    });
  }

  function renderSnapshot(s) {
    setText($('s-pid'), String(s.node.pid));
    setText($('s-uptime'), duration(s.node.uptime_s));
    setText($('s-processes'), String(s.node.processes));
    setText($('s-sessions'), String(s.sessions.length));
    setText($('s-rss'), bytes(s.node.rss));
    setText($('s-heap'), bytes(s.node.heapUsed));
    setText($('updated'), 'updated ' + clock(s.at));
    renderTree(s.tree);
    renderSessions(s.sessions, s.at);
  }

  // ---- the feed ----

  function live(on, text) {
    $('live').className = on ? 'live on' : 'live';
    setText($('live-text'), text);
  }

  var source = new EventSource('/observer/events' + query);
  source.onopen = function () { live(true, 'live'); };
  source.onerror = function () { live(false, 'reconnecting…'); };
  source.addEventListener('hello', function (m) {
    timeline = JSON.parse(m.data).timeline;
    renderTimeline();
  });
  source.addEventListener('snapshot', function (m) { renderSnapshot(JSON.parse(m.data)); });
  source.addEventListener('event', function (m) {
    timeline.push(JSON.parse(m.data));
    if (timeline.length > 50) timeline.shift();
    renderTimeline();
  });

  // ---- the crash button ----

  $('tree').addEventListener('click', function (ev) {
    var button = ev.target.closest('button.crash');
    if (!button) return;
    var tr = button.closest('tr');
    var target = tr.dataset.target;
    if (tr.dataset.path === 'troupe_sup' && !confirm('Crash troupe_sup? The whole node stops.')) return;
    button.disabled = true;
    fetch('/observer/crash' + query, {
      method: 'POST',
      headers: Object.assign({ 'Content-Type': 'application/json' }, auth),
      body: JSON.stringify({ target: target }),
    }).then(function (r) { return r.json(); }).then(function (answer) {
      toast(answer.error ? answer.error : 'crashed ' + (answer.name || answer.pid) + ' ' + answer.pid);
    }, function (error) { toast('crash failed: ' + error.message); });
  });
})();
`;
