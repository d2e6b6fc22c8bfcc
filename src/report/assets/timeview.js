// faultline run report: the interactive time axis. Latency, throughput and
// the timeline of operations share one x-axis: drag across any of them to
// zoom, double-click (or "Reset zoom") to see the whole run, pick a fault
// window to zoom into it, hover an operation to see it whole, filter by
// worker, key, function and outcome. Drawn on canvases from typed columns
// (see src/report/timeview.ts), so a million operations stay interactive.
// Every value from the system under test is set with textContent, never as
// markup.
(() => {
  const root = document.getElementById('tv');
  if (!root) return;
  const api = { ready: null, firstDrawMs: null, draws: 0 };
  window.faultlineTimeView = api;

  const OUTCOMES = ['ok', 'fail', 'info'];
  const COLORS = ['#3a7bd5', '#d64545', '#e0a100'];
  const FAULT_COLORS = {
    kill: 'rgba(214,69,69,0.12)',
    partition: 'rgba(58,123,213,0.12)',
    pause: 'rgba(224,161,0,0.14)',
    clock: 'rgba(128,90,213,0.12)',
    shape: 'rgba(30,142,62,0.12)',
  };
  const M = { left: 64, right: 16, top: 22, bottom: 26 };

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };

  const inflate = async (id) => {
    const b64 = document.getElementById(id).textContent.trim();
    const bin = atob(b64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Response(stream).arrayBuffer();
  };

  const lowerBound = (a, x, n) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (a[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };

  const niceStep = (span, count) => {
    const raw = span / count;
    const mag = 10 ** Math.floor(Math.log10(raw));
    return [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  };

  const fmtMs = (ms) => (ms >= 100 ? `${Math.round(ms)}` : `${Number(ms.toPrecision(3))}`);
  const fmtS = (ms) => `${(ms / 1000).toFixed(3)} s`;

  const start = async () => {
    const t0Start = performance.now();
    const meta = JSON.parse(document.getElementById('tv-meta').textContent);
    const n = meta.count;
    const buf = await inflate('tv-columns');
    let off = 0;
    const col = (T, bytes) => {
      const a = new T(buf, off, n);
      off += bytes * n;
      return a;
    };
    // Differences on the wire (see timeview.ts); absolute values here.
    const t0u = col(Uint32Array, 4);
    const lat = col(Float32Array, 4);
    const ii = col(Uint32Array, 4);
    const ci = col(Uint32Array, 4);
    for (let i = 1; i < n; i++) {
      t0u[i] += t0u[i - 1];
      ii[i] += ii[i - 1];
    }
    for (let i = 0; i < n; i++) ci[i] = ci[i] === 0 ? 0xffffffff : ci[i] + ii[i];
    const proc = meta.procBytes === 4 ? col(Uint32Array, 4) : col(Uint16Array, 2);
    const key = col(Uint16Array, 2);
    const err = col(Uint16Array, 2);
    const mt = col(Uint8Array, 1);
    const node = col(Uint8Array, 1);
    const unit = meta.tUnitNs / 1e6;
    const t0 = new Float64Array(n);
    for (let i = 0; i < n; i++) t0[i] = t0u[i] * unit;
    const endMs = Math.max(meta.endMs, 1);
    const endOf = (i) => (Number.isNaN(lat[i]) ? endMs : t0[i] + lat[i]);
    let values = null;
    const valuesReady = inflate('tv-values').then((b) => {
      values = new TextDecoder().decode(b).split('\n');
    });

    // Rows: workers (process mod concurrency) when known, else processes.
    const conc = meta.concurrency;
    const rowKeyOf = (i) => (conc ? proc[i] % conc : proc[i]);
    const rowKeys = [...new Set(Array.from(proc, (p) => (conc ? p % conc : p)))].sort((a, b) => a - b);
    const MAX_ROWS = 200;
    const shownRows = rowKeys.slice(0, MAX_ROWS);
    const rowOf = new Map(shownRows.map((k, r) => [k, r]));

    let minLat = Infinity;
    let maxLat = 0;
    for (let i = 0; i < n; i++) {
      const l = lat[i];
      if (l > 0 && l < minLat) minLat = l;
      if (l > maxLat) maxLat = l;
    }
    const loExp = Number.isFinite(minLat) ? Math.floor(Math.log10(minLat)) : -1;
    const hiExp = Math.max(loExp + 1, maxLat > 0 ? Math.ceil(Math.log10(maxLat)) : loExp + 1);

    const state = {
      x0: 0,
      x1: endMs,
      proc: null,
      key: 0,
      f: -1,
      outcomes: [true, true, true],
      highlight: -1,
    };
    api.state = state;
    const filtering = () =>
      state.f >= 0 ||
      state.key > 0 ||
      state.proc !== null ||
      !state.outcomes[0] ||
      !state.outcomes[1] ||
      !state.outcomes[2];
    const passes = (i) => {
      const m = mt[i];
      if (!state.outcomes[m & 3]) return false;
      if (state.f >= 0 && m >> 2 !== state.f) return false;
      if (state.key > 0 && key[i] !== state.key) return false;
      if (state.proc !== null && rowKeyOf(i) !== state.proc) return false;
      return true;
    };

    // ---- controls (built here; option texts from the data are set as text)
    root.textContent = '';
    const controls = el('div', 'tv-controls');
    const reset = el('button', 'tv-reset', 'Reset zoom');
    reset.type = 'button';
    const zoomOut = el('button', 'tv-zoomout', 'Zoom out');
    zoomOut.type = 'button';
    const select = (label, name, options) => {
      const s = el('select');
      s.dataset.filter = name;
      for (const [value, text] of options) {
        const o = el('option', null, text);
        o.value = String(value);
        s.append(o);
      }
      const l = el('label', null, `${label} `);
      l.append(s);
      controls.append(l);
      return s;
    };
    controls.append(reset, zoomOut);
    const rowWord = conc ? 'worker' : 'process';
    const procSel = select(rowWord, 'proc', [['', 'all'], ...rowKeys.map((k) => [k, `${conc ? 'w' : 'p'}${k}`])]);
    const keySel = select('key', 'key', [['0', 'all'], ...meta.keys.map((k, i) => [i + 1, k])]);
    const fSel = select('f', 'f', [['-1', 'all'], ...meta.fs.map((f, i) => [i, f])]);
    const outcomeBoxes = OUTCOMES.map((o, idx) => {
      const box = el('input');
      box.type = 'checkbox';
      box.checked = true;
      box.dataset.outcome = o;
      const l = el('label', `tv-outcome tv-${o}`);
      l.append(box, document.createTextNode(` ${o}`));
      controls.append(l);
      box.addEventListener('change', () => {
        state.outcomes[idx] = box.checked;
        drawAll();
      });
      return box;
    });
    void outcomeBoxes;
    const rangeText = el('span', 'tv-range');
    controls.append(rangeText);
    root.append(controls);

    if (meta.windows.length > 0) {
      const faults = el('div', 'tv-faults', 'Zoom into a fault window: ');
      meta.windows.forEach((w, i) => {
        const b = el('button', 'tv-window', w.label);
        b.type = 'button';
        b.dataset.window = String(i);
        b.addEventListener('click', () => {
          const end = w.endMs ?? endMs;
          const pad = Math.max(50, (end - w.startMs) * 0.15);
          zoom(w.startMs - pad, end + pad);
        });
        faults.append(b);
      });
      root.append(faults);
    }

    const panels = {};
    const makePanel = (name, title, height) => {
      const wrap = el('div', `tv-panel tv-${name}`);
      wrap.append(el('div', 'tv-title', title));
      const box = el('div', 'tv-box');
      const canvas = el('canvas');
      canvas.dataset.panel = name;
      const sel = el('div', 'tv-select');
      sel.hidden = true;
      box.append(canvas, sel);
      wrap.append(box);
      root.append(wrap);
      panels[name] = { canvas, sel, height, box };
      return panels[name];
    };
    makePanel('latency', 'Latency of each operation (ms, log scale), at its invocation', 260);
    makePanel('throughput', 'Completions per second, stacked ok / fail / info', 200);
    const rowH = shownRows.length <= 40 ? 12 : shownRows.length <= 100 ? 6 : 3;
    makePanel(
      'timeline',
      `Operations per ${rowWord}, from invocation to completion`,
      M.top + M.bottom + Math.max(1, shownRows.length) * rowH,
    );
    const caption = el('p', 'caption');
    caption.textContent =
      `${n} operations; ${rowKeys.length} ${rowWord}s${rowKeys.length > MAX_ROWS ? ` (the first ${MAX_ROWS} drawn)` : ''}; ` +
      'drag across a plot to zoom, double-click to reset; shaded bands are fault windows; dense regions show the worst outcome per pixel (info > fail > ok).';
    root.append(caption);
    const tip = el('div', 'tv-tip');
    tip.hidden = true;
    document.body.append(tip);
    const pinned = el('div', 'tv-pinned');
    pinned.hidden = true;
    root.append(pinned);

    const width = () => Math.max(400, Math.min(root.clientWidth || 960, 1400));
    const dpr = Math.min(2, window.devicePixelRatio || 1);
    const setup = (p) => {
      const w = width();
      p.w = w;
      p.canvas.style.width = `${w}px`;
      p.canvas.style.height = `${p.height}px`;
      p.canvas.width = Math.round(w * dpr);
      p.canvas.height = Math.round(p.height * dpr);
      const ctx = p.canvas.getContext('2d');
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      p.ctx = ctx;
      p.pw = w - M.left - M.right;
      p.ph = p.height - M.top - M.bottom;
    };
    const xOf = (p, ms) => M.left + ((ms - state.x0) / (state.x1 - state.x0)) * p.pw;
    const msOf = (p, x) => state.x0 + ((x - M.left) / p.pw) * (state.x1 - state.x0);

    const frame = (p) => {
      const c = p.ctx;
      c.clearRect(0, 0, p.w, p.height);
      c.fillStyle = '#fff';
      c.fillRect(0, 0, p.w, p.height);
      // Fault windows.
      meta.windows.forEach((w, i) => {
        const a = Math.max(M.left, xOf(p, w.startMs));
        const b = Math.min(M.left + p.pw, xOf(p, w.endMs ?? endMs));
        if (b < M.left || a > M.left + p.pw) return;
        c.fillStyle = FAULT_COLORS[w.f] ?? 'rgba(100,100,100,0.12)';
        c.fillRect(a, M.top, Math.max(1, b - a), p.ph);
        if (p === panels.latency) {
          c.fillStyle = '#555';
          c.font = '11px system-ui, sans-serif';
          c.fillText(w.label, a + 2, M.top - 4 - (i % 2) * 10, Math.max(40, b - a + 120));
        }
      });
      // x axis.
      c.strokeStyle = '#999';
      c.fillStyle = '#444';
      c.font = '11px system-ui, sans-serif';
      c.beginPath();
      c.moveTo(M.left, M.top + p.ph + 0.5);
      c.lineTo(M.left + p.pw, M.top + p.ph + 0.5);
      c.stroke();
      const step = niceStep(state.x1 - state.x0, 8);
      for (let v = Math.ceil(state.x0 / step) * step; v <= state.x1; v += step) {
        const x = Math.round(xOf(p, v)) + 0.5;
        c.beginPath();
        c.moveTo(x, M.top + p.ph);
        c.lineTo(x, M.top + p.ph + 4);
        c.stroke();
        c.textAlign = 'center';
        c.fillText(`${Number((v / 1000).toPrecision(6))}`, x, M.top + p.ph + 15);
      }
      c.textAlign = 'right';
      c.fillText('s', M.left + p.pw, p.height - 1);
      c.textAlign = 'left';
    };

    const drawLatency = () => {
      const p = panels.latency;
      frame(p);
      const c = p.ctx;
      const yOf = (ms) => {
        const e = Math.log10(Math.max(ms, 10 ** loExp));
        return M.top + p.ph * (1 - (e - loExp) / (hiExp - loExp));
      };
      c.strokeStyle = '#eee';
      c.fillStyle = '#444';
      c.textAlign = 'right';
      for (let e = loExp; e <= hiExp; e++) {
        const y = Math.round(yOf(10 ** e)) + 0.5;
        c.beginPath();
        c.moveTo(M.left, y);
        c.lineTo(M.left + p.pw, y);
        c.stroke();
        c.fillText(fmtMs(10 ** e), M.left - 6, y + 4);
      }
      c.textAlign = 'left';
      const lo = lowerBound(t0, state.x0, n);
      const hi = lowerBound(t0, state.x1 + 1e-9, n);
      const W = Math.ceil(p.pw) + 1;
      const H = Math.ceil(p.ph) + 1;
      // One pass over the operations marks pixels per outcome; then one fillRect per marked pixel:
      // a million points cost a million array writes, not a million draws.
      const seen = new Uint8Array(W * H); // bit per outcome
      const cells = [[], [], []];
      const scale = p.pw / (state.x1 - state.x0);
      const span = hiExp - loExp;
      const floorLat = 10 ** loExp;
      const filter = filtering();
      for (let i = lo; i < hi; i++) {
        const l = lat[i];
        if (Number.isNaN(l) || (filter && !passes(i))) continue;
        const o = mt[i] & 3;
        const px = Math.floor((t0[i] - state.x0) * scale);
        const py = Math.floor(p.ph * (1 - (Math.log10(Math.max(l, floorLat)) - loExp) / span));
        if (px < 0 || px >= W || py < 0 || py >= H) continue;
        const cell = py * W + px;
        const bit = 1 << o;
        if (seen[cell] & bit) continue;
        seen[cell] |= bit;
        cells[o].push(cell);
      }
      // ok first, then fail and info on top.
      for (let o = 0; o < 3; o++) {
        c.fillStyle = COLORS[o];
        for (const cell of cells[o]) c.fillRect(M.left + (cell % W) - 1, M.top + Math.floor(cell / W) - 1, 2.5, 2.5);
      }
      p.yOf = yOf;
      drawHighlight(p);
    };

    const drawThroughput = () => {
      const p = panels.throughput;
      frame(p);
      const c = p.ctx;
      const buckets = Math.max(10, Math.floor(p.pw / 4));
      const width = (state.x1 - state.x0) / buckets;
      const counts = [new Float64Array(buckets), new Float64Array(buckets), new Float64Array(buckets)];
      // Completions: any op invoked up to the longest latency before the range may complete inside it.
      const lo = lowerBound(t0, state.x0 - maxLat, n);
      const hi = lowerBound(t0, state.x1 + 1e-9, n);
      const filter = filtering();
      for (let i = lo; i < hi; i++) {
        if (Number.isNaN(lat[i]) || (filter && !passes(i))) continue;
        const t = t0[i] + lat[i];
        if (t < state.x0 || t >= state.x1) continue;
        counts[mt[i] & 3][Math.floor((t - state.x0) / width)]++;
      }
      let max = 1;
      for (let b = 0; b < buckets; b++) max = Math.max(max, counts[0][b] + counts[1][b] + counts[2][b]);
      const perSecond = 1000 / width;
      const top = max * perSecond;
      const step = niceStep(top, 4);
      const yMax = Math.ceil(top / step) * step;
      const yOf = (rate) => M.top + p.ph * (1 - rate / yMax);
      c.strokeStyle = '#eee';
      c.fillStyle = '#444';
      c.textAlign = 'right';
      for (let v = 0; v <= yMax + 1e-9; v += step) {
        const y = Math.round(yOf(v)) + 0.5;
        c.beginPath();
        c.moveTo(M.left, y);
        c.lineTo(M.left + p.pw, y);
        c.stroke();
        c.fillText(fmtMs(v), M.left - 6, y + 4);
      }
      c.textAlign = 'left';
      const bw = p.pw / buckets;
      for (let b = 0; b < buckets; b++) {
        let base = 0;
        for (let o = 0; o < 3; o++) {
          const k = counts[o][b];
          if (k === 0) continue;
          const y1 = yOf(base * perSecond);
          const y0 = yOf((base + k) * perSecond);
          c.fillStyle = COLORS[o];
          c.fillRect(M.left + b * bw, y0, Math.max(1, bw - 0.5), y1 - y0);
          base += k;
        }
      }
      p.buckets = { counts, width, buckets, perSecond };
    };

    const drawTimeline = () => {
      const p = panels.timeline;
      frame(p);
      const c = p.ctx;
      c.fillStyle = '#444';
      c.textAlign = 'right';
      shownRows.forEach((k, r) => {
        if (rowH >= 10 || r % 10 === 0) c.fillText(`${conc ? 'w' : 'p'}${k}`, M.left - 6, M.top + r * rowH + rowH - 2);
      });
      c.textAlign = 'left';
      const W = Math.ceil(p.pw) + 1;
      const sev = new Uint8Array(shownRows.length * W);
      const hi = lowerBound(t0, state.x1 + 1e-9, n);
      const scale = p.pw / (state.x1 - state.x0);
      const rank = [1, 2, 3]; // ok < fail < info
      const filter = filtering();
      for (let i = 0; i < hi; i++) {
        const e = endOf(i);
        if (e < state.x0 || (filter && !passes(i))) continue;
        const r = rowOf.get(rowKeyOf(i));
        if (r === undefined) continue;
        const a = Math.max(0, Math.floor((t0[i] - state.x0) * scale));
        const b = Math.min(W - 1, Math.floor((e - state.x0) * scale));
        const s = rank[mt[i] & 3];
        const base = r * W;
        for (let x = a; x <= b; x++) if (sev[base + x] < s) sev[base + x] = s;
      }
      for (let r = 0; r < shownRows.length; r++) {
        const base = r * W;
        let x = 0;
        while (x < W) {
          const s = sev[base + x];
          let e = x + 1;
          while (e < W && sev[base + e] === s) e++;
          if (s > 0) {
            c.fillStyle = COLORS[s - 1];
            c.fillRect(M.left + x, M.top + r * rowH + 1, e - x, Math.max(1, rowH - 2));
          }
          x = e;
        }
      }
      drawHighlight(p);
    };

    const drawHighlight = (p) => {
      const i = state.highlight;
      if (i < 0) return;
      const c = p.ctx;
      c.strokeStyle = '#111';
      c.lineWidth = 2;
      if (p === panels.latency && !Number.isNaN(lat[i])) {
        c.beginPath();
        c.arc(xOf(p, t0[i]), p.yOf(lat[i]), 6, 0, 2 * Math.PI);
        c.stroke();
      } else if (p === panels.timeline) {
        const r = rowOf.get(rowKeyOf(i));
        if (r !== undefined) {
          const a = xOf(p, t0[i]);
          c.strokeRect(a - 1, M.top + r * rowH, Math.max(3, xOf(p, endOf(i)) - a + 2), rowH);
        }
      }
      c.lineWidth = 1;
    };

    const drawAll = () => {
      for (const p of Object.values(panels)) if (!p.ctx || p.w !== width()) setup(p);
      drawLatency();
      drawThroughput();
      drawTimeline();
      rangeText.textContent = `showing ${fmtS(state.x0)} – ${fmtS(state.x1)}`;
      api.draws++;
    };

    const zoom = (a, b) => {
      const lo = Math.max(0, Math.min(a, b));
      const hi = Math.min(endMs, Math.max(a, b));
      if (hi - lo < 0.001) return;
      state.x0 = lo;
      state.x1 = hi;
      drawAll();
    };
    api.zoom = zoom;
    reset.addEventListener('click', () => zoom(0, endMs));
    zoomOut.addEventListener('click', () => {
      const span = state.x1 - state.x0;
      zoom(state.x0 - span / 2, state.x1 + span / 2);
    });
    procSel.addEventListener('change', () => {
      state.proc = procSel.value === '' ? null : Number(procSel.value);
      drawAll();
    });
    keySel.addEventListener('change', () => {
      state.key = Number(keySel.value);
      drawAll();
    });
    fSel.addEventListener('change', () => {
      state.f = Number(fSel.value);
      drawAll();
    });

    // ---- describing one operation, as text lines
    const describe = (i) => {
      const o = mt[i] & 3;
      const lines = [];
      const f = meta.fs[mt[i] >> 2] ?? '?';
      lines.push(`${f} ${OUTCOMES[o]}${key[i] ? ` key ${meta.keys[key[i] - 1]}` : ''}`);
      lines.push(
        `process ${proc[i]}${conc ? ` (worker ${proc[i] % conc})` : ''}${node[i] ? ` · node ${meta.nodes[node[i] - 1]}` : ''}`,
      );
      lines.push(
        `invoked ${fmtS(t0[i])} · ${Number.isNaN(lat[i]) ? 'never completed' : `completed ${fmtS(t0[i] + lat[i])} · ${fmtMs(lat[i])} ms`}`,
      );
      lines.push(`value ${values ? (values[i] ?? '') : '(loading)'}`);
      if (err[i]) lines.push(`error ${meta.errors[err[i] - 1]}`);
      lines.push(`history index ${ii[i]}${ci[i] !== 0xffffffff ? ` → ${ci[i]}` : ''}`);
      return lines;
    };
    const showTip = (lines, ev) => {
      tip.textContent = '';
      for (const line of lines) tip.append(el('div', null, line));
      tip.hidden = false;
      const pad = 14;
      const w = tip.offsetWidth;
      const h = tip.offsetHeight;
      const left = ev.clientX + pad + w > window.innerWidth ? ev.clientX - pad - w : ev.clientX + pad;
      const top = ev.clientY + pad + h > window.innerHeight ? ev.clientY - pad - h : ev.clientY + pad;
      tip.style.left = `${Math.max(0, left)}px`;
      tip.style.top = `${Math.max(0, top)}px`;
    };

    /** The operation under (x, y) of a panel, or -1 (throughput: a bucket, as lines). */
    const pick = (p, x, y) => {
      if (x < M.left || x > M.left + p.pw || y < M.top || y > M.top + p.ph) return -1;
      const perPx = (state.x1 - state.x0) / p.pw;
      if (p === panels.latency) {
        const lo = lowerBound(t0, msOf(p, x) - 5 * perPx, n);
        const hi = lowerBound(t0, msOf(p, x) + 5 * perPx, n);
        let best = -1;
        let bestD = 36;
        for (let i = lo; i < hi && i < lo + 50_000; i++) {
          if (Number.isNaN(lat[i]) || !passes(i)) continue;
          const dx = xOf(p, t0[i]) - x;
          const dy = p.yOf(lat[i]) - y;
          const d = dx * dx + dy * dy;
          // Ties: the worst outcome, as drawn on top.
          if (d < bestD || (d === bestD && best >= 0 && (mt[i] & 3) > (mt[best] & 3))) {
            bestD = d;
            best = i;
          }
        }
        return best;
      }
      if (p === panels.timeline) {
        const r = Math.floor((y - M.top) / rowH);
        const k = shownRows[r];
        if (k === undefined) return -1;
        const t = msOf(p, x);
        const slack = 2 * perPx;
        let best = -1;
        const hi = lowerBound(t0, t + slack, n);
        for (let i = hi - 1, scanned = 0; i >= 0 && scanned < 200_000; i--, scanned++) {
          if (rowKeyOf(i) !== k || !passes(i)) continue;
          if (endOf(i) + slack >= t) {
            if (best < 0 || (mt[i] & 3) > (mt[best] & 3)) best = i;
          }
          if (t0[i] < t - maxLat - slack) break;
        }
        return best;
      }
      return -1;
    };

    const bucketLines = (p, x) => {
      const b = Math.floor(((x - M.left) / p.pw) * p.buckets.buckets);
      if (b < 0 || b >= p.buckets.buckets) return null;
      const from = state.x0 + b * p.buckets.width;
      const [ok, fail, info] = p.buckets.counts.map((c) => c[b]);
      return [`${fmtS(from)} – ${fmtS(from + p.buckets.width)}`, `${ok} ok, ${fail} fail, ${info} info completed`];
    };

    // ---- drag to zoom, hover to see
    let drag = null;
    for (const p of Object.values(panels)) {
      const local = (ev) => {
        const r = p.canvas.getBoundingClientRect();
        return { x: ev.clientX - r.left, y: ev.clientY - r.top };
      };
      p.canvas.addEventListener('mousedown', (ev) => {
        const { x } = local(ev);
        if (x < M.left || x > M.left + p.pw) return;
        drag = { p, x0: x, x1: x };
        ev.preventDefault();
      });
      p.canvas.addEventListener('mousemove', (ev) => {
        const { x, y } = local(ev);
        if (drag && drag.p === p) {
          drag.x1 = Math.max(M.left, Math.min(M.left + p.pw, x));
          const a = Math.min(drag.x0, drag.x1);
          p.sel.hidden = false;
          p.sel.style.left = `${a}px`;
          p.sel.style.width = `${Math.abs(drag.x1 - drag.x0)}px`;
          p.sel.style.top = `${M.top}px`;
          p.sel.style.height = `${p.ph}px`;
          tip.hidden = true;
          return;
        }
        if (p === panels.throughput) {
          const lines = bucketLines(p, x);
          if (lines) showTip(lines, ev);
          else tip.hidden = true;
          return;
        }
        const i = pick(p, x, y);
        if (i < 0) tip.hidden = true;
        else showTip(describe(i), ev);
      });
      p.canvas.addEventListener('mouseleave', () => {
        tip.hidden = true;
      });
      p.canvas.addEventListener('dblclick', () => zoom(0, endMs));
    }
    window.addEventListener('mouseup', () => {
      if (!drag) return;
      const { p, x0, x1 } = drag;
      drag = null;
      p.sel.hidden = true;
      if (Math.abs(x1 - x0) >= 4) zoom(msOf(p, x0), msOf(p, x1));
    });

    // ---- links from the attribution tables: #op-<history index>
    let byIndex = null;
    const findOp = (index) => {
      if (!byIndex) {
        byIndex = new Map();
        for (let i = 0; i < n; i++) {
          byIndex.set(ii[i], i);
          if (ci[i] !== 0xffffffff) byIndex.set(ci[i], i);
        }
      }
      return byIndex.get(index) ?? -1;
    };
    const focusOp = (index) => {
      const i = findOp(index);
      if (i < 0) return false;
      const end = endOf(i);
      const pad = Math.max(50, (end - t0[i]) * 2);
      state.highlight = i;
      zoom(t0[i] - pad, end + pad);
      pinned.textContent = '';
      pinned.append(el('b', null, `operation ${index}`));
      for (const line of describe(i)) pinned.append(el('div', null, line));
      pinned.hidden = false;
      root.scrollIntoView({ block: 'start' });
      return true;
    };
    api.focusOp = focusOp;
    // For tests and tools: where an operation's latency point is drawn (client coordinates), and how many
    // operations the current range and filters show.
    api.pointOf = (index) => {
      const i = findOp(index);
      const p = panels.latency;
      if (i < 0 || Number.isNaN(lat[i])) return null;
      const x = xOf(p, t0[i]);
      if (x < M.left || x > M.left + p.pw) return null;
      const r = p.canvas.getBoundingClientRect();
      return { x: r.left + x, y: r.top + p.yOf(lat[i]) };
    };
    api.visible = () => {
      let k = 0;
      const hi = lowerBound(t0, state.x1 + 1e-9, n);
      for (let i = lowerBound(t0, state.x0, n); i < hi; i++) if (passes(i)) k++;
      return k;
    };
    document.addEventListener('click', (ev) => {
      const a = ev.target instanceof Element ? ev.target.closest('a[data-op]') : null;
      if (!a) return;
      ev.preventDefault();
      focusOp(Number(a.getAttribute('data-op')));
    });
    window.addEventListener('resize', () => drawAll());

    drawAll();
    api.firstDrawMs = performance.now() - t0Start;
    api.sinceNavigationMs = performance.now();
    await valuesReady;
  };

  api.ready = start().catch((e) => {
    root.textContent = '';
    root.append(el('p', 'tv-error', `The time view could not be drawn: ${e?.message ? e.message : e}`));
    throw e;
  });
})();
