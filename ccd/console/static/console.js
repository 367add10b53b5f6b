// ccd supervisor console: live floor over server-sent events (snapshot at N, deltas from N+1).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const S = { me: null, epoch: null, seq: 0, queues: {}, agents: {}, feed: [], thresholds: {},
    cooldown: 300, offset: 0, lastMsg: 0, es: null, connected: false, sessions: [], gaps: 0, snapshots: 0, acks: {} };
  window.ccdState = S;  // for tests and the curious: epoch, seq, gaps
  let lang = "en";

  // -- language and formatting ---------------------------------------------------------------
  function t(key) { return (CCD_I18N[lang] || CCD_I18N.en)[key] || CCD_I18N.en[key] || key; }
  function chooseLang() {
    const saved = localStorage.getItem("ccd.lang");
    const mine = S.me && S.me.language;
    lang = saved || mine || ((navigator.language || "en").toLowerCase().startsWith("ru") ? "ru" : "en");
    document.documentElement.lang = lang;
    $("lang").value = lang;
    document.querySelectorAll("[data-i18n]").forEach((el) => { el.textContent = t(el.dataset.i18n); });
    if (S.me) $("who").textContent = S.me.user + " (" + t(S.me.role) + ")";
  }
  const serverNow = () => Date.now() / 1000 + S.offset;
  function dur(s) {
    if (s == null || isNaN(s)) return "–";
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
  }
  const pct = (x) => (x == null ? "–" : Math.round(x * 100) + "%");
  const num = (x, d) => (x == null ? "–" : Number(x).toFixed(d || 0));
  function clock(ts) {
    const tz = (S.me && S.me.timezone) || undefined;
    return new Intl.DateTimeFormat(lang, { timeZone: tz, hour: "2-digit", minute: "2-digit", second: "2-digit" })
      .format(new Date(ts * 1000));
  }
  function esc(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";"); }

  // -- sign-in -------------------------------------------------------------------------------
  async function api(method, url, body) {
    const headers = { "Content-Type": "application/json" };
    if (S.me) headers["X-CSRF-Token"] = S.me.csrf;
    const r = await fetch(url, { method, headers, body: body ? JSON.stringify(body) : undefined, credentials: "same-origin" });
    const data = await r.json().catch(() => ({}));
    if (r.status === 401 && url !== "/console/api/login") showLogin();
    if (!r.ok) throw Object.assign(new Error(data.message || r.statusText), { status: r.status });
    return data;
  }
  function showLogin() {
    if (S.es) { S.es.close(); S.es = null; }
    S.me = null;
    $("floor-view").hidden = true; $("login-view").hidden = false;
    chooseLang(); $("login-name").focus();
  }
  async function start() {
    try { S.me = await api("GET", "/console/api/me"); } catch (e) { showLogin(); return; }
    $("login-view").hidden = true; $("floor-view").hidden = false;
    chooseLang(); connect(); refreshSessions();
  }
  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    $("login-error").textContent = "";
    try {
      await api("POST", "/console/api/login", { name: $("login-name").value, password: $("login-password").value });
      $("login-password").value = "";
      start();
    } catch (e) { $("login-error").textContent = t("wrong"); }
  });
  $("btn-logout").addEventListener("click", async () => { try { await api("POST", "/console/api/logout"); } finally { showLogin(); } });
  $("lang").addEventListener("change", () => {
    localStorage.setItem("ccd.lang", $("lang").value); chooseLang(); fillFilters(); renderAll();
  });
  function toggleMode(cls, btn) {
    const on = document.body.classList.toggle(cls);
    btn.setAttribute("aria-pressed", String(on));
  }
  $("btn-compact").addEventListener("click", () => toggleMode("compact", $("btn-compact")));
  $("btn-tv").addEventListener("click", () => toggleMode("tv", $("btn-tv")));
  const params = new URLSearchParams(location.search);
  if (params.get("mode") === "compact") toggleMode("compact", $("btn-compact"));
  if (params.get("mode") === "tv") toggleMode("tv", $("btn-tv"));

  // -- the stream ----------------------------------------------------------------------------
  function connect(fresh) {
    if (S.es) S.es.close();
    const url = "/console/api/stream" + (!fresh && S.epoch ? "?last=" + encodeURIComponent(S.epoch + ":" + S.seq) : "");
    const es = new EventSource(url);
    S.es = es;
    es.addEventListener("snapshot", (m) => {
      const d = JSON.parse(m.data);
      S.snapshots += 1; S.epoch = d.epoch; S.seq = d.seq; S.queues = d.queues; S.agents = d.agents; S.feed = d.feed;
      S.thresholds = d.thresholds; S.cooldown = d.cooldown_s; S.acks = d.acks || {}; seen(d.now);
      $("pause-reasons").innerHTML = (d.pause_reasons || []).map((r) => '<option value="' + esc(r) + '">').join(""); fillFilters(); renderAll();
    });
    es.addEventListener("delta", (m) => {
      const d = JSON.parse(m.data);
      if (d.seq <= S.seq) return;  // already applied (a replay overlapping the snapshot)
      if (d.seq !== S.seq + 1) { S.gaps += 1; connect(true); return; }  // a gap: take a new snapshot
      S.seq = d.seq;
      Object.assign(S.queues, d.queues); Object.assign(S.agents, d.agents); Object.assign(S.acks, d.acks || {});
      for (const f of d.feed) { S.feed.push(f); if (String(f.type).startsWith("supervision.")) refreshSessions(); }
      if (S.feed.length > 200) S.feed.splice(0, S.feed.length - 200);
      seen(null); scheduleRender();
    });
    es.addEventListener("refresh", (m) => {
      const d = JSON.parse(m.data);
      if (d.seq === S.seq) { Object.assign(S.queues, d.queues); Object.assign(S.agents, d.agents); }
      seen(d.now); renderAll();
    });
    es.onopen = () => { S.connected = true; banner(); };
    es.onerror = () => {
      S.connected = false; banner();
      // EventSource retries by itself (Last-Event-ID = the last epoch:seq applied) unless the
      // server refused the stream: then find out whether we are still signed in.
      if (es.readyState === EventSource.CLOSED) setTimeout(recover, 1000);
    };
  }
  async function recover() {
    if (!S.me) return;
    try {
      const r = await fetch("/console/api/me", { credentials: "same-origin" });
      if (r.status === 401) { showLogin(); return; }
      if (!r.ok) throw new Error(r.statusText);
      S.me = await r.json();
      connect();
    } catch (e) { setTimeout(recover, 1000); }  // ccd is down: keep the banner, keep trying
  }
  S.reconnect = () => connect();  // resume from the last sequence (tests; a network blip does the same)
  function seen(now) { S.lastMsg = Date.now(); S.connected = true; if (now) S.offset = now - Date.now() / 1000; banner(); }
  function banner() {
    const b = $("banner");
    const stale = Date.now() - S.lastMsg > 10000;
    if (!S.connected) { b.hidden = false; b.className = "down"; b.textContent = t("disconnected"); }
    else if (stale) { b.hidden = false; b.className = ""; b.textContent = t("stale"); }
    else { b.hidden = true; }
  }

  // -- rendering -----------------------------------------------------------------------------
  function fillFilters() {
    const teams = new Set(), queues = new Set(Object.keys(S.queues));
    for (const a of Object.values(S.agents)) a.teams.forEach((x) => teams.add(x));
    for (const [sel, vals] of [[$("filter-team"), teams], [$("filter-queue"), queues]]) {
      const keep = sel.value;
      sel.innerHTML = '<option value="">' + esc(t("all")) + "</option>" +
        [...vals].sort().map((v) => '<option value="' + esc(v) + '">' + esc(v) + "</option>").join("");
      sel.value = keep;
    }
  }
  $("filter-team").addEventListener("change", () => renderAll());
  $("filter-queue").addEventListener("change", () => renderAll());

  function queueLevel(q) {
    const th = S.thresholds[q.name] || {};
    const lv = [];
    const wait = q.longest_wait_s + (q.waiting ? serverNow() - q.at : 0);
    const check = (v, [w, c], key, below) => {
      if (v == null) return;
      if (below ? v < c : v >= c) lv.push(["critical", key]); else if (below ? v < w : v >= w) lv.push(["warning", key]);
    };
    if (th.waiting) check(q.waiting, th.waiting, "waiting");
    if (th.longest_wait_s) check(wait, th.longest_wait_s, "longest");
    if (th.service_level) check(q.sl, th.service_level, "sl", true);  // null until a wait ended
    if (th.no_agent && q.logged_in === 0) lv.push(["critical", "no_agent"]);
    const members = Object.values(S.agents).filter((a) => a.queues.includes(q.name)).map((a) => pauseLevel(a, [q.name])).filter((x) => x);
    if (members.length) lv.push([members.includes("critical") ? "critical" : "warning", "over_allowance"]);
    return lv;
  }
  function overrun(a) { return a.state === "paused" && a.allowance_s != null && a.since != null && serverNow() - a.since > a.allowance_s; }
  // How far past its allowance a pause is, against the levels of the given queues (the worst
  // wins; an agent of no queue has the defaults).
  function pauseLevel(a, queues) {
    if (!overrun(a)) return null;
    const over = serverNow() - a.since - a.allowance_s;
    const levels = queues.map((name) => (S.thresholds[name] || {}).pause_over_s || [0, 300]);
    if (levels.some(([, c]) => over >= c)) return "critical";
    return levels.some(([w]) => over >= w) ? "warning" : null;
  }

  function renderQueues() {
    const now = serverNow();
    $("queues").innerHTML = Object.values(S.queues).sort((a, b) => a.name.localeCompare(b.name)).map((q) => {
      const lv = queueLevel(q);
      const cls = lv.some((x) => x[0] === "critical") ? "critical" : lv.length ? "warning" : "ok";
      const wait = q.longest_wait_s + (q.waiting ? now - q.at : 0);
      const age = Math.max(0, now - q.at);  // when ccd computed this tile
      return '<article class="tile ' + cls + '" id="queue-' + esc(q.name) + '" aria-label="' + esc(q.name) + '">' +
        "<h3>" + esc(q.name) + "</h3><dl>" +
        "<dt>" + t("waiting") + '</dt><dd class="waiting">' + q.waiting + "</dd>" +
        "<dt>" + t("longest") + "</dt><dd>" + dur(q.waiting ? wait : 0) + "</dd>" +
        "<dt>" + t("callbacks") + '</dt><dd class="callbacks">' + (q.callbacks || 0) + "</dd>" +
        "<dt>" + t("sl") + "</dt><dd>" + pct(q.sl) + " / " + pct(q.sl_target) + "</dd>" +
        "<dt>" + t("offered") + '</dt><dd class="offered">' + q.offered + "</dd>" +
        "<dt>" + t("answered") + "</dt><dd>" + q.answered + "</dd>" +
        "<dt>" + t("abandoned") + "</dt><dd>" + q.abandoned + "</dd>" +
        "<dt>" + t("asa") + " / " + t("aht") + "</dt><dd>" + dur(q.asa_s) + " / " + dur(q.aht_s) + "</dd>" +
        "<dt>" + t("agents_abp") + "</dt><dd>" + q.available + " / " + q.busy + " / " + q.paused + "</dd>" +
        "<dt>" + t("required") + '</dt><dd class="required">' + (q.required == null ? "–" : q.required) + " / " + q.logged_in + "</dd>" +
        '</dl><div class="age" data-queue="' + esc(q.name) + '">' + t("updated") + ": " + num(age) + " " + t("sec") + "</div></article>";
    }).join("");
  }

  function actionsFor(a) {
    const b = (act, label) => '<button type="button" data-act="' + act + '" data-agent="' + esc(a.id) + '" aria-label="' +
      esc(t(label) + " " + a.name) + '">' + esc(t(label)) + "</button>";
    const out = [];
    if (a.state === "on_call" || a.state === "ringing") out.push(b("listen", "listen"), b("whisper", "whisper"), b("barge", "barge"));
    if (a.state === "logged_out") out.push(b("login", "login")); else out.push(b("logout", "logout"));
    if (a.state === "paused") out.push(b("unpause", "unpause")); else if (a.state !== "logged_out") out.push(b("pause", "pause"));
    return out.join("");
  }
  function renderAgents() {
    const team = $("filter-team").value, queue = $("filter-queue").value, now = serverNow();
    const rows = Object.values(S.agents).filter((a) => (!team || a.teams.includes(team)) && (!queue || a.queues.includes(queue)))
      .sort((a, b) => a.name.localeCompare(b.name));
    $("agents").tBodies[0].innerHTML = rows.map((a) => {
      const over = overrun(a);
      const inState = a.since == null ? "–" : dur(now - a.since);
      const reason = a.state === "paused" && a.reason ? " (" + esc(a.reason) + (a.allowance_s ? " ≤" + dur(a.allowance_s) : "") + ")" : "";
      return '<tr id="agent-' + esc(a.id) + '" data-state="' + esc(a.state) + '"><th scope="row">' + esc(a.name) + "</th>" +
        '<td class="state state-' + esc(a.state) + '">' + esc(t(a.state)) + reason + "</td>" +
        '<td class="timer' + (over ? " overrun" : "") + '">' + inState + "</td>" +
        '<td class="caller">' + (a.caller && S.me && S.me.role !== "viewer"  // one click to the caller's history
          ? '<a class="history" href="/console/records#history=' + encodeURIComponent(a.caller) + '">' + esc(a.caller) + "</a>"
          : esc(a.caller || "")) + (a.call_queue ? " · " + esc(a.call_queue) : "") + "</td>" +
        '<td class="num calls">' + a.calls + '</td><td class="num">' + dur(a.aht_s) + '</td><td class="num">' + a.missed +
        '</td><td class="num">' + num(a.rating, 1) + "</td><td>" + esc(a.teams.join(", ")) + '</td><td class="queues">' + esc(a.queues.join(", ")) + "</td>" +
        '<td class="actions">' + actionsFor(a) + "</td></tr>";
    }).join("");
  }

  function alertList() {
    const out = [];
    for (const q of Object.values(S.queues)) for (const [level, key] of queueLevel(q)) {
      if (key !== "over_allowance") out.push({ id: "q:" + q.name + ":" + key, level, text: q.name + ": " + t(key) });  // listed per agent
    }
    for (const a of Object.values(S.agents)) {
      const level = pauseLevel(a, a.queues.length ? a.queues : [""]);
      // a new id when it turns critical: acknowledging the warning does not silence the escalation
      if (level) out.push({ id: "a:" + a.id + ":pause:" + a.since + ":" + level, level, agent: a.id, text: a.name + ": " + t("over_allowance") });
    }
    const now = serverNow();
    return out.filter((x) => !(S.acks[x.id] && S.acks[x.id] > now));  // acknowledged: quiet until then
  }
  function renderAlerts() {
    $("alerts").innerHTML = alertList().map((x) => '<li class="' + x.level + '"' + (x.agent ? ' data-agent="' + esc(x.agent) + '"' : "") + ">" + esc(x.text) +
      ' <button type="button" data-ack="' + esc(x.id) + '">' + esc(t("ack")) + "</button></li>").join("");
  }
  function renderFeed() {
    $("feed").innerHTML = S.feed.slice(-60).reverse().map((f) => {
      const who = f.actor ? " " + t("by") + " " + esc(f.actor) : f.supervisor ? " " + t("by") + " " + esc(f.supervisor) : "";
      const what = f.type === "agent.control" ? t("agent.control") + " " + esc(t(f.action)) : esc(t(f.type));
      const extra = [f.reason, f.mode && t(f.mode), f.score, f.caller, f.alert && t(f.alert.split(":")[2])].filter((x) => x != null && x !== "").map(esc).join(" ");
      return '<li data-type="' + esc(f.type) + '"><time>' + clock(f.ts) + "</time> " + esc(f.agent || f.queue || "") + " " +
        what + (extra ? " (" + extra + ")" : "") + who + "</li>";
    }).join("");
  }
  function renderSessions() {
    $("sessions").innerHTML = S.sessions.map((s) => '<li id="session-' + esc(s.session_id || s.id) + '" data-mode="' + esc(s.mode) + '">' +
      esc(s.supervisor) + " → " + esc(s.agent_id) + ": " + esc(t(s.mode)) + " (" + esc(t(s.state)) + ") " +
      ["listen", "whisper", "barge"].map((m) => '<button type="button" data-mode="' + m + '" data-session="' + esc(s.session_id || s.id) + '">' + esc(t(m)) + "</button>").join("") +
      ' <button type="button" data-stop="' + esc(s.session_id || s.id) + '">' + esc(t("stop")) + "</button></li>").join("");
  }
  async function refreshSessions() {
    try { S.sessions = await api("GET", "/api/supervision"); } catch (e) { S.sessions = []; }
    renderSessions();
  }
  // Deltas that arrive together are drawn once, on the next frame (or within 100 ms if the
  // page is in the background and frames are throttled).
  let renderPending = false;
  function scheduleRender() {
    if (renderPending) return;
    renderPending = true;
    const draw = () => { if (renderPending) { renderPending = false; renderAll(); } };
    requestAnimationFrame(draw);
    setTimeout(draw, 100);
  }
  function renderAll() {
    const focused = document.activeElement && document.activeElement.dataset ? { ...document.activeElement.dataset } : null;
    renderQueues(); renderAgents(); renderAlerts(); renderFeed(); renderSessions();
    if (focused && focused.act) {  // keep keyboard focus across re-renders
      const el = document.querySelector('button[data-act="' + focused.act + '"][data-agent="' + focused.agent + '"]');
      if (el) el.focus();
    }
  }

  // -- actions -------------------------------------------------------------------------------
  document.addEventListener("click", async (ev) => {
    const el = ev.target.closest("button");
    if (!el) return;
    try {
      if (el.dataset.act) {
        const act = el.dataset.act, agent = el.dataset.agent;
        if (["listen", "whisper", "barge"].includes(act)) {
          const body = { agent_id: agent, mode: act };
          if (S.me.role === "admin" && S.me.supervisor) body.supervisor_id = S.me.supervisor;
          await api("POST", "/api/supervision", body); refreshSessions();
        } else {
          await api("POST", "/api/agents/" + encodeURIComponent(agent) + "/" + act, act === "pause" ? { reason: $("pause-reason").value || "break" } : {});
        }
      } else if (el.dataset.session) {
        await api("POST", "/api/supervision/" + el.dataset.session + "/mode", { mode: el.dataset.mode }); refreshSessions();
      } else if (el.dataset.stop) {
        await api("DELETE", "/api/supervision/" + el.dataset.stop); refreshSessions();
      } else if (el.dataset.ack) {
        await api("POST", "/console/api/alerts/ack", { alert: el.dataset.ack });
      }
    } catch (e) {
      if (el.dataset.act || el.dataset.session || el.dataset.stop || el.dataset.ack) alert(t("failed") + ": " + e.message);
    }
  });

  // Every second: timers and data age in place (no re-render: focus and clicks stay put).
  let lastAlerts = "";
  function tick() {
    if (!S.me) return;
    banner();
    const now = serverNow();
    document.querySelectorAll(".tile .age").forEach((el) => {
      const q = S.queues[el.dataset.queue];
      if (q) el.textContent = t("updated") + ": " + num(Math.max(0, now - q.at)) + " " + t("sec");
    });
    for (const a of Object.values(S.agents)) {
      const cell = document.querySelector("#agent-" + CSS.escape(a.id) + " td.timer");
      if (!cell) continue;
      cell.textContent = a.since == null ? "–" : dur(now - a.since);
      cell.classList.toggle("overrun", overrun(a));
    }
    const alerts = JSON.stringify(alertList());
    if (alerts !== lastAlerts) { lastAlerts = alerts; renderAlerts(); }
  }
  setInterval(tick, 1000);
  start();
})();
