/* The model card's chart, its numbers: times and likes from GET /api/v1/model's "chart", the
   ticks of its log axis of likes and of its calendar axis. Pure functions, nothing drawn: the
   chart (chart.js, loaded after this classic script) draws with them. */
"use strict";

const LikelyChartScale = (() => {
  const DAY = 86400000;
  const FLOOR = 1;  // likes are drawn on a log scale: 0 is drawn as 1, and the axis says so
  const AXIS_LABEL = "Likes (log scale; 0 drawn as 1)";

  // ------------------------------------------------------------------ pure helpers
  /* Milliseconds since the epoch of an ISO-8601 string (microseconds cut to milliseconds). */
  function time(iso) {
    return Date.parse(String(iso).replace(/(\.\d{3})\d+/, "$1"));
  }

  function linear(d0, d1, r0, r1) {
    const span = d1 - d0 || 1;
    return (v) => r0 + ((v - d0) / span) * (r1 - r0);
  }

  const log = (v) => Math.log10(Math.max(FLOOR, Number(v) || 0));

  /* Tick values for a log axis over [lo, hi] (likes, both >= 1): powers of ten, with 2 and 5
     (or 3) between them when the range is short, thinned when it is long; the two ends,
     rounded, when no such value falls inside. */
  function logTicks(lo, hi, maxTicks = 6) {
    lo = Math.max(FLOOR, lo); hi = Math.max(lo, hi);
    const k0 = Math.floor(Math.log10(lo)), k1 = Math.ceil(Math.log10(hi));
    const gen = (mults) => {
      const out = [];
      for (let k = k0; k <= k1; k++) for (const m of mults) {
        const v = m * 10 ** k;
        if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
      }
      return out;
    };
    let out = gen([1, 2, 5]);
    if (out.length < 2) {
      const sig2 = (v, f) => { const u = 10 ** (Math.floor(Math.log10(v)) - 1); return Number((f(v / u) * u).toPrecision(2)); };
      return [...new Set([sig2(lo, Math.ceil), sig2(hi, Math.floor)])];
    }
    for (const mults of [[1, 3], [1]]) {
      if (out.length <= maxTicks) break;
      const fewer = gen(mults);
      if (fewer.length >= 2) out = fewer;
    }
    if (out.length > maxTicks) {
      const every = Math.ceil(out.length / maxTicks);
      out = out.filter((v, i) => i % every === 0);
    }
    return out;
  }

  const MONTHS = [1, 2, 3, 6, 12, 24, 36, 60, 120];
  const DAYS = [1, 2, 7, 14];

  /* Calendar-aligned ticks (UTC) over [t0, t1] ms, at most maxTicks: [{t, label}]. */
  function timeTicks(t0, t1, maxTicks = 5) {
    maxTicks = Math.max(2, maxTicks);
    const span = Math.max(t1 - t0, DAY);
    const fmt = (opts) => new Intl.DateTimeFormat(undefined, { timeZone: "UTC", ...opts });
    const days = DAYS.find((d) => span / (d * DAY) <= maxTicks);
    if (days) {
      const f = fmt({ day: "numeric", month: "short" });
      const out = [];
      for (let t = Math.ceil(t0 / DAY) * DAY; t <= t1; t += days * DAY) out.push({ t, label: f.format(t) });
      return out;
    }
    const months = MONTHS.find((m) => span / (m * 30.44 * DAY) <= maxTicks) || 12 * Math.ceil(span / (365.25 * DAY * maxTicks));
    const f = months >= 12 ? fmt({ year: "numeric" }) : fmt({ month: "short", year: "numeric" });
    const start = new Date(t0);
    let y = start.getUTCFullYear(), m = start.getUTCMonth() + 1;  // the first month boundary after t0
    const out = [];
    for (let i = 0; i < 1000; i++, m++) {
      if (m > 11) { y += Math.floor(m / 12); m %= 12; }
      const t = Date.UTC(y, m, 1);
      if (t > t1) break;
      if (t < t0) continue;
      const index = y * 12 + m;
      if (index % months === 0) out.push({ t, label: f.format(t) });
    }
    return out;
  }

  /* The chart's numbers, ready to draw: times in ms, likes as given. */
  function prepare(chart) {
    const posts = (chart.posts || []).map((p) => ({ t: time(p.t), likes: Number(p.likes) }))
      .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.likes));
    const level = (chart.level || []).map((p) => ({ t: time(p.t), likes: Number(p.likes) }))
      .filter((p) => Number.isFinite(p.t) && Number.isFinite(p.likes));
    const ho = chart.holdout || null;
    const held = ho ? (ho.points || []).map((p) => ({
      t: time(p.t), actual: Number(p.actual), predicted: Number(p.predicted),
      low: p.low === null || p.low === undefined ? null : Number(p.low),
      high: p.high === null || p.high === undefined ? null : Number(p.high),
    })).filter((p) => Number.isFinite(p.t)) : [];
    const ts = [...posts, ...level, ...held].map((p) => p.t);
    const ys = [...posts.map((p) => p.likes), ...level.map((p) => p.likes),
      ...held.flatMap((p) => [p.actual, p.predicted, p.low, p.high])].filter((v) => v !== null && Number.isFinite(v));
    return { posts, level, held, ranged: held.some((p) => p.low !== null && p.high !== null),
      t0: Math.min(...ts), t1: Math.max(...ts), y0: Math.max(FLOOR, Math.min(...ys)), y1: Math.max(FLOOR, Math.max(...ys)) };
  }

  return { time, linear, log, logTicks, timeTicks, prepare, DAY, FLOOR, AXIS_LABEL };
})();
