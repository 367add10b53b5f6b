// ccd console: small inline-SVG charts drawn by plain JS (no library): bars and lines over
// labelled points, an optional dashed target line. Values null are gaps.
"use strict";
window.CcdCharts = (function () {
  const NS = "http://www.w3.org/2000/svg";
  const W = 520, H = 200, L = 40, B = 30, T = 10, R = 10;
  function el(name, attrs, text) {
    const e = document.createElementNS(NS, name);
    for (const k in attrs) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }
  // series: [{name, values, kind: "bar"|"line", cls}], labels: [..], opts: {title, max, target, pct}
  function chart(id, title, labels, series, opts) {
    opts = opts || {};
    const all = series.flatMap((s) => s.values).filter((v) => v != null);
    const max = opts.max || Math.max(1, ...all, opts.target || 0);
    const n = Math.max(1, labels.length), pw = (W - L - R) / n, ph = H - B - T;
    const y = (v) => T + ph - (v / max) * ph;
    const svg = el("svg", { width: W, height: H, viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": title, id });
    svg.appendChild(el("line", { x1: L, y1: T + ph, x2: W - R, y2: T + ph, stroke: "#999" }));
    for (const tick of [0, 0.5, 1]) {
      const v = max * tick;
      svg.appendChild(el("text", { x: 2, y: y(v) + 3 }, opts.pct ? Math.round(v * 100) + "%" : (Math.round(v * 10) / 10)));
    }
    const bars = series.filter((s) => s.kind === "bar");
    bars.forEach((s, si) => {
      const bw = (pw * 0.8) / bars.length;
      s.values.forEach((v, i) => {
        if (v == null) return;
        svg.appendChild(el("rect", { class: s.cls, x: L + i * pw + pw * 0.1 + si * bw, y: y(v), width: Math.max(1, bw),
          height: Math.max(0, T + ph - y(v)), "data-series": s.name, "data-value": v }, null));
      });
    });
    series.filter((s) => s.kind === "line").forEach((s) => {
      const pts = s.values.map((v, i) => (v == null ? null : `${L + i * pw + pw / 2},${y(v)}`)).filter(Boolean);
      if (pts.length) svg.appendChild(el("polyline", { class: s.cls, points: pts.join(" "), "data-series": s.name }));
      s.values.forEach((v, i) => { if (v != null) svg.appendChild(el("circle", { cx: L + i * pw + pw / 2, cy: y(v), r: 2, class: s.cls, "data-value": v })); });
    });
    if (opts.target != null) {
      svg.appendChild(el("line", { class: "line-t", x1: L, x2: W - R, y1: y(opts.target), y2: y(opts.target), "data-series": "target" }));
    }
    const step = Math.ceil(n / 7);  // labels ~70 px apart
    labels.forEach((lab, i) => {
      if (i % step === 0) svg.appendChild(el("text", { x: L + i * pw, y: H - 8 }, lab));
    });
    const fig = document.createElement("figure");
    const cap = document.createElement("figcaption");
    cap.textContent = title + " — " + series.map((s) => s.name).join(", ") + (opts.target != null ? ", " + opts.targetName : "");
    fig.appendChild(svg); fig.appendChild(cap);
    return fig;
  }
  return { chart };
})();
