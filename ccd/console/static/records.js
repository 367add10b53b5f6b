// ccd console, part 2: customer history, recordings, ratings and reports. Every figure comes
// from the API's own routes (the same computations as `ccd report` / `ccd ratings`).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const R = { me: null, setup: null, playing: null };
  window.ccdRecords = R;  // for tests and the curious
  let lang = "en";
  const t = (key) => (CCD_I18N[lang] || CCD_I18N.en)[key] || CCD_I18N.en[key] || key;
  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
  function dur(s) {
    if (s == null || isNaN(s)) return "–";
    s = Math.max(0, Math.round(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
  }
  function when(iso) {
    if (!iso) return "–";
    return new Intl.DateTimeFormat(lang, { timeZone: R.me.timezone, dateStyle: "short", timeStyle: "medium" })
      .format(new Date(iso));
  }
  function cell(v) {
    if (v == null) return "";
    if (typeof v === "number" && !Number.isInteger(v)) return String(Math.round(v * 1000) / 1000);
    return String(v);
  }
  function chooseLang() {
    lang = localStorage.getItem("ccd.lang") || R.me.language ||
      ((navigator.language || "en").toLowerCase().startsWith("ru") ? "ru" : "en");
    document.documentElement.lang = lang;
    $("lang").value = lang;
    document.querySelectorAll("[data-i18n]").forEach((e) => { e.textContent = t(e.dataset.i18n); });
    $("who").textContent = R.me.user + " (" + t(R.me.role) + ")";
  }
  async function get(url) {
    const r = await fetch(url, { credentials: "same-origin" });
    const body = (r.headers.get("Content-Type") || "").includes("json") ? await r.json() : await r.text();
    if (!r.ok) throw new Error((body && body.message) || r.statusText);
    return body;
  }
  const show = (e) => { $("error").textContent = e ? (e.message || String(e)) : ""; };

  // -- periods: dates are local days in the configured zone; "to" is inclusive on the page --
  function nextDay(d) { const x = new Date(d + "T00:00:00Z"); x.setUTCDate(x.getUTCDate() + 1); return x.toISOString().slice(0, 10); }
  function period(prefix) { return "from=" + $(prefix + "-from").value + "&to=" + nextDay($(prefix + "-to").value); }
  function defaultDates() {
    const today = new Date().toISOString().slice(0, 10);
    const first = today.slice(0, 8) + "01";
    for (const p of ["rec", "rat", "rep"]) { $(p + "-from").value = first; $(p + "-to").value = today; }
  }

  // -- tabs (the hash names the tab, and for history the number: #history=+7...) ------------
  function route() {
    const h = decodeURIComponent(location.hash.slice(1));
    const home = R.me.role === "viewer" ? "reports" : "history";
    const [tab, arg] = h.includes("=") ? [h.slice(0, h.indexOf("=")), h.slice(h.indexOf("=") + 1)] : [h || home, ""];
    document.querySelectorAll(".tab").forEach((s) => { s.hidden = s.id !== "tab-" + tab; });
    document.querySelectorAll("nav a[data-tab]").forEach((a) => {
      if (a.dataset.tab === tab) a.setAttribute("aria-current", "page"); else a.removeAttribute("aria-current");
    });
    if (tab === "history" && arg) { $("history-caller").value = arg; searchHistory(); }
  }

  // -- customer history ----------------------------------------------------------------------
  async function searchHistory() {
    show(null);
    try {
      const data = await get("/console/api/history?caller=" + encodeURIComponent($("history-caller").value));
      R.history = data;
      $("history-number").textContent = t("r_number") + ": " + data.caller;
      $("history-empty").hidden = data.calls.length > 0;
      $("history").querySelector("tbody").innerHTML = data.calls.map((c) =>
        `<tr data-call="${esc(c.call_id)}" data-agent="${esc(c.agent_id || "")}" data-outcome="${esc(c.outcome)}" data-rating="${esc(c.rating == null ? "" : c.rating)}">` +
        `<td>${esc(when(c.enqueued_at))}</td><td>${esc(c.queue)}</td><td class="agent">${esc(c.agent_id || "–")}</td>` +
        `<td>${dur(c.wait_s)}</td><td>${dur(c.talk_s)}</td><td class="outcome">${esc(t(c.outcome))}</td>` +
        `<td class="rating">${esc(c.rating == null ? "–" : c.rating)}</td>` +
        `<td>${c.recorded ? `<button type="button" data-play="${esc(c.call_id)}">${esc(t("r_play"))}</button>` : t("no_recording")}</td></tr>`).join("");
    } catch (e) { show(e); }
  }
  $("history-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const v = $("history-caller").value;
    if (location.hash !== "#history=" + encodeURIComponent(v)) location.hash = "history=" + encodeURIComponent(v);
    else searchHistory();
  });

  // -- recordings ----------------------------------------------------------------------------
  function recQuery() {
    const q = [period("rec")];
    const add = (k, id) => { if ($(id).value) q.push(k + "=" + encodeURIComponent($(id).value)); };
    add("queue", "rec-queue"); add("agent", "rec-agent"); add("caller", "rec-caller");
    add("rating_min", "rec-rmin"); add("rating_max", "rec-rmax"); add("duration_min", "rec-dmin"); add("duration_max", "rec-dmax");
    return q.join("&");
  }
  function recRows(rows, withActions) {
    return rows.map((r) =>
      `<tr data-call="${esc(r.call_id)}"><td>${esc(when(r.started_at))}</td><td>${esc(r.queue)}</td><td>${esc(r.agent_id || "–")}</td>` +
      (withActions ? `<td>${esc(r.caller || "")}</td><td>${dur(r.duration_s)}</td>` : "") +
      `<td>${esc(r.rating == null ? "–" : r.rating)}</td><td>` +
      (r.available ? `<button type="button" data-play="${esc(r.call_id)}">${esc(t("r_play"))}</button>` +
        (R.setup.download ? ` <a class="download" href="/api/recordings/${encodeURIComponent(r.call_id)}/audio?download=1">${esc(t("r_download"))}</a>` : "")
        : esc(r.status)) + "</td></tr>").join("");
  }
  async function searchRecordings() {
    show(null);
    try {
      const rows = await get("/api/recordings?" + recQuery());
      R.recordings = rows;
      $("recordings-empty").hidden = rows.length > 0;
      $("recordings").querySelector("tbody").innerHTML = recRows(rows, true);
    } catch (e) { show(e); }
  }
  $("rec-form").addEventListener("submit", (ev) => { ev.preventDefault(); searchRecordings(); });
  function play(callId) {  // the browser fetches with Range requests and seeks by itself; any tab
    $("player-box").hidden = false;
    $("player-call").textContent = callId;
    const audio = $("player");
    audio.src = "/api/recordings/" + encodeURIComponent(callId) + "/audio";
    R.playing = callId;
    audio.play().catch(() => {});
    document.querySelectorAll("tr.playing").forEach((tr) => tr.classList.remove("playing"));
    document.querySelectorAll(`tr[data-call="${CSS.escape(callId)}"]`).forEach((tr) => tr.classList.add("playing"));
  }
  document.addEventListener("click", (ev) => {
    const b = ev.target.closest("button[data-play]");
    if (b) play(b.dataset.play);
  });

  // -- ratings -------------------------------------------------------------------------------
  async function showRatings() {
    show(null);
    const by = $("rat-by").value, q = period("rat") + "&by=" + by;
    $("rat-csv").href = "/api/ratings?" + q + "&format=csv";
    try {
      const doc = await get("/api/ratings?" + q + "&format=json");
      R.ratings = doc;
      const scale = R.setup.rating_scale, dist = Array.from({ length: scale }, (_, i) => String(i + 1));
      $("ratings").querySelector("thead").innerHTML = "<tr>" + [t(by === "agent" ? "agent" : by), t("offered"), t("rated"),
        t("response_rate"), t("average"), ...dist].map((h) => `<th>${esc(h)}</th>`).join("") + "</tr>";
      $("ratings").querySelector("tbody").innerHTML = doc.groups.map((g) =>
        `<tr data-group="${esc(g[by])}"><td>${esc(g[by])}</td><td>${g.offered}</td><td>${g.rated}</td>` +
        `<td>${g.response_rate == null ? "–" : Math.round(g.response_rate * 1000) / 10 + "%"}</td>` +
        `<td>${g.average == null ? "–" : g.average.toFixed(2)}</td>` +
        dist.map((d) => `<td>${(g.distribution || {})[d] || 0}</td>`).join("") + "</tr>").join("");
      $("ranking").innerHTML = (doc.ranking || []).map((r) =>
        `<li data-agent="${esc(r.agent)}">${esc(r.agent)} — ${r.average.toFixed(2)} (${r.rated})</li>`).join("");
      const low = await get("/api/recordings?" + period("rat") + "&rating_max=2&limit=200");
      low.sort((a, b) => (a.rating - b.rating) || String(a.started_at).localeCompare(b.started_at));
      $("lowest").querySelector("tbody").innerHTML = recRows(low.slice(0, 20), false);
    } catch (e) { show(e); }
  }
  $("rat-form").addEventListener("submit", (ev) => { ev.preventDefault(); showRatings(); });

  // -- reports -------------------------------------------------------------------------------
  const colName = (c) => (t("col." + c) !== "col." + c ? t("col." + c) : t(c));  // column words differ from outcomes
  function table(id, rows) {
    const cols = rows.length ? Object.keys(rows[0]) : [];
    $(id).querySelector("thead").innerHTML = "<tr>" + cols.map((c) => `<th title="${esc(c)}">${esc(colName(c))}</th>`).join("") + "</tr>";
    $(id).querySelector("tbody").innerHTML = rows.map((r) =>
      "<tr>" + cols.map((c) => `<td data-col="${esc(c)}">${esc(cell(r[c]))}</td>`).join("") + "</tr>").join("");
  }
  const INTERVALS = ["15m", "30m", "1h", "day", "week", "month", "quarter"];
  function label(row, by) {  // short axis labels: the time of day for sub-day intervals, else the date
    if (!row.interval) return String(row.queue || row.agent || row.team || "");
    return ["15m", "30m", "1h"].includes(by) ? String(row.interval).slice(11, 16) : String(row.interval).slice(0, 10);
  }
  function drawReport(rows, by) {
    table("report", rows);
    const box = $("rep-charts"); box.innerHTML = "";
    const labels = rows.map((r) => label(r, by));
    if (INTERVALS.includes(by)) {
      const targets = R.setup.queues.map((x) => x.sl_target);
      box.appendChild(CcdCharts.chart("chart-sl", t("r_sl_chart"), labels,
        [{ name: t("service_level"), values: rows.map((r) => r.service_level), kind: "line", cls: "line-a" }],
        { max: 1, pct: true, target: targets.length ? Math.max(...targets) : 0.8, targetName: t("r_target") }));
    }
    box.appendChild(CcdCharts.chart("chart-calls", t("r_calls_chart"), labels,
      [{ name: t("r_calls"), values: rows.map((r) => r.offered), kind: "bar", cls: "bar-a" },
        { name: t("r_abandons"), values: rows.map((r) => r.abandoned), kind: "bar", cls: "bar-b" }]));
    if (rows.some((r) => r.occupancy != null)) {
      box.appendChild(CcdCharts.chart("chart-occupancy", t("r_occ_chart"), labels,
        [{ name: t("occupancy"), values: rows.map((r) => r.occupancy), kind: "bar", cls: "bar-a" }], { max: 1, pct: true }));
    }
  }
  async function showReport() {
    show(null);
    const by = $("rep-by").value, q = period("rep") + "&by=" + by;
    $("rep-csv").href = "/api/reports?" + q + "&format=csv";
    try {
      const rows = await get("/api/reports?" + q + "&format=json");
      R.report = rows; R.reportBy = by;
      drawReport(rows, by);
    } catch (e) { show(e); }
  }
  $("rep-form").addEventListener("submit", (ev) => { ev.preventDefault(); showReport(); });
  function csvOf(rows) {
    const q = (v) => { const c = cell(v); return /[",\n]/.test(c) ? '"' + c.replace(/"/g, '""') + '"' : c; };
    return rows.length ? [Object.keys(rows[0]).join(",")].concat(rows.map((r) => Object.values(r).map(q).join(","))).join("\n") + "\n" : "";
  }
  function drawStaffing(kind, rows) {
    table("staffing", rows);
    $("staff-csv").href = "data:text/csv;charset=utf-8," + encodeURIComponent(csvOf(rows));
    const box = $("staff-chart"); box.innerHTML = "";
    if (kind === "compare") {
      box.appendChild(CcdCharts.chart("chart-staffing", t("r_staff_chart"), rows.map((r) => String(r.start).slice(11, 16)),
        [{ name: t("r_required"), values: rows.map((r) => r.agents_needed), kind: "bar", cls: "bar-b" },
          { name: t("r_available"), values: rows.map((r) => r.productive), kind: "line", cls: "line-a" }]));
    } else {
      box.appendChild(CcdCharts.chart("chart-forecast", t("r_forecast_chart"), rows.map((r) => r.day + " " + r.time),
        [{ name: t("r_required"), values: rows.map((r) => r.agents), kind: "bar", cls: "bar-b" }]));
    }
    R.staffView = [kind, rows];
  }
  async function showStaffing() {  // required (Erlang C on the calls that came) vs available, past days
    show(null);
    const queue = $("staff-queue").value;
    try {
      const rows = await get("/console/api/records/staffing?queue=" + encodeURIComponent(queue) + "&" + period("rep"));
      R.staffing = rows;
      drawStaffing("compare", rows);
    } catch (e) { show(e); }
  }
  $("staff-form").addEventListener("submit", (ev) => { ev.preventDefault(); showStaffing(); });
  async function showForecast() {  // the coming week from the last weeks (as /api/staffing and `ccd staffing`)
    show(null);
    const queue = $("staff-queue").value;
    try {
      const rows = await get("/api/staffing?queue=" + encodeURIComponent(queue) + "&weeks=" + ($("staff-weeks").value || 4));
      R.forecast = rows;
      drawStaffing("forecast", rows);
    } catch (e) { show(e); }
  }
  $("staff-forecast").addEventListener("click", showForecast);
  function redraw() {  // after a language change: the same data, new words
    if (R.report) drawReport(R.report, R.reportBy);
    if (R.staffView) drawStaffing(R.staffView[0], R.staffView[1]);
    if (R.history) searchHistory();
  }

  // -- start ---------------------------------------------------------------------------------
  function fillSelects() {
    const opts = (xs) => `<option value="">${esc(t("all"))}</option>` + xs.map((x) => `<option>${esc(x)}</option>`).join("");
    document.querySelectorAll("select.queues").forEach((s) => { s.innerHTML = opts(R.setup.queues.map((q) => q.name)); });
    $("staff-queue").innerHTML = R.setup.queues.map((q) => `<option>${esc(q.name)}</option>`).join("");
    document.querySelectorAll("select.agents").forEach((s) => { s.innerHTML = opts(R.setup.agents); });
  }
  $("lang").addEventListener("change", () => { localStorage.setItem("ccd.lang", $("lang").value); chooseLang(); fillSelects(); redraw(); });
  window.addEventListener("hashchange", route);
  async function start() {
    try { R.me = await get("/console/api/me"); } catch (e) {
      $("signin-needed").hidden = false;
      document.querySelectorAll("[data-i18n]").forEach((x) => { x.textContent = t(x.dataset.i18n); });
      return;
    }
    R.setup = await get("/console/api/records/setup");
    if (R.me.role === "viewer") {  // wallboards: queue and interval figures only, no caller data
      document.querySelectorAll('#rat-by option[value="agent"], #rat-by option[value="team"], #rep-by option[value="agent"], '
        + '#rep-by option[value="team"]').forEach((o) => o.remove());
      for (const tab of ["history", "recordings"]) document.querySelector(`nav a[data-tab="${tab}"]`).remove();
      $("rat-by").value = "queue";
    }
    $("records-view").hidden = false;
    chooseLang(); fillSelects(); defaultDates(); route();
    R.ready = true;
  }
  start();
})();
