// faultline: draws the linearizability failure visualization from the JSON
// next to it (see data.ts for its shape). Inlined into reports, so: no
// dependencies, no network, and every value from the data is set as text
// (textContent / setAttribute of numbers), never parsed as markup.
(() => {
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const ROW_H = 30;
  const BAR_H = 20;
  const PAD = 14;
  const TOP = 8;
  const CHAR_W = 6.7;

  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const svgEl = (tag, attrs, cls) => {
    const e = document.createElementNS(SVG_NS, tag);
    for (const k of Object.keys(attrs)) e.setAttribute(k, String(attrs[k]));
    if (cls) e.setAttribute('class', cls);
    return e;
  };
  const labelled = (text, control) => {
    const l = el('label', null, `${text} `);
    l.append(control);
    return l;
  };
  const truncate = (s, width) => {
    const n = Math.floor((width - 6) / CHAR_W);
    if (n < 4) return ''; // a lone ellipsis says nothing; hover tells
    return s.length <= n ? s : `${s.slice(0, Math.max(0, n - 1))}…`;
  };
  const partitionLabel = (p) => {
    const key = p.key === null ? '' : ` key ${JSON.stringify(p.key)}`;
    return `#${p.index}${key}: ${p.result}, ${p.opCount} ops`;
  };

  const init = (section) => {
    const dataEl = section.querySelector('script.fl-lin-data');
    const root = section.querySelector('.fl-lin-root');
    if (!dataEl || !root) return;
    const data = JSON.parse(dataEl.textContent);
    root.textContent = '';
    if (data.partitions.length === 0) {
      root.append(el('p', 'fl-lin-note', 'No partition kept its operations (the check ran without keepPartial).'));
      return;
    }

    const partSel = el('select', 'fl-lin-partition');
    partSel.setAttribute('aria-label', 'partition');
    data.partitions.forEach((p, i) => {
      const o = el('option', null, partitionLabel(p));
      o.value = String(i);
      partSel.append(o);
    });
    const linSel = el('select', 'fl-lin-linearization');
    linSel.setAttribute('aria-label', 'linearization');
    const note = el('span', 'fl-lin-note');
    const controls = el('div', 'fl-lin-controls');
    controls.append(labelled('Partition', partSel), labelled('Linearization', linSel), note);
    if (data.omitted > 0) {
      const text = `${data.omitted} other partition(s) not drawn (not checked after the first failure, no operations kept, or over the size limit)`;
      controls.append(el('span', 'fl-lin-note', text));
    }

    const legend = el('div', 'fl-lin-legend fl-lin-note');
    const swatch = (text, style) => {
      const s = el('span');
      const sw = el('span', 'fl-lin-swatch');
      sw.style.cssText = style;
      s.append(sw, document.createTextNode(text));
      return s;
    };
    legend.append(
      swatch('in the linearization shown', 'background:#d1f0dc;border-color:#3f9f63'),
      swatch('could not come next', 'background:#fde2e1;border:2px solid #d92d20'),
      swatch('not linearized', 'background:#e6e9ee'),
      swatch('never returned (info)', 'background:#fff;border-style:dashed'),
      swatch('linearization points, in order', 'background:#175cd3;border-radius:50%;width:9px;height:9px'),
      swatch('fault window', 'background:rgba(214,69,69,0.13);border:1px dashed #d64545'),
    );

    // Row labels stay put while the drawing scrolls sideways; both scroll together vertically.
    const frame = el('div', 'fl-lin-frame');
    const labels = el('div', 'fl-lin-labels');
    const scroll = el('div', 'fl-lin-scroll');
    frame.append(labels, scroll);
    const tip = el('div', 'fl-lin-tip');
    tip.hidden = true;
    root.append(controls, legend, frame, tip);

    const view = { part: 0, lin: 0 };
    partSel.addEventListener('change', () => {
      view.part = Number(partSel.value);
      view.lin = 0;
      draw();
    });
    linSel.addEventListener('change', () => {
      view.lin = Number(linSel.value);
      draw();
    });

    // Everything the tooltip needs about op i of the current view.
    let current = null;

    const showTip = (i, ev) => {
      const { p, lin, stepOf, stuck } = current;
      const o = p.ops[i];
      tip.textContent = '';
      tip.append(el('div', 'fl-lin-tip-head', o.desc));
      const ret = o.ret === null ? 'never returned (indeterminate)' : `returned ${o.ret}`;
      tip.append(el('div', null, `process ${o.client} · called ${o.call} · ${ret}`));
      const k = stepOf.get(i);
      if (k !== undefined) {
        const s = lin[k];
        tip.append(el('div', null, `linearized at step ${k + 1} of ${lin.length}`));
        tip.append(el('div', null, `state before: ${s.before}`));
        tip.append(el('div', null, `state after: ${s.after}`));
      } else if (stuck.has(i)) {
        const endState = lin.length > 0 ? lin[lin.length - 1].after : p.initialState;
        const why =
          stuck.get(i) === 'illegal'
            ? 'could not come next: the model rejects it in this state'
            : 'could come next, but then nothing else linearizes';
        tip.append(el('div', 'fl-lin-tip-bad', why));
        tip.append(el('div', null, `state: ${endState}`));
      } else {
        tip.append(el('div', null, 'not in this linearization'));
        const best = p.longestFor[i];
        if (best >= 0 && best !== view.lin)
          tip.append(el('div', null, 'click: show the longest linearization with it'));
      }
      tip.hidden = false;
      moveTip(ev);
    };
    const moveTip = (ev) => {
      const w = tip.offsetWidth;
      const h = tip.offsetHeight;
      const xPos = Math.min(ev.clientX + 14, window.innerWidth - w - 4);
      const yPos = ev.clientY + 16 + h > window.innerHeight ? ev.clientY - h - 10 : ev.clientY + 16;
      tip.style.left = `${Math.max(0, xPos)}px`;
      tip.style.top = `${Math.max(0, yPos)}px`;
    };
    const opIndexOf = (target) => {
      const t = target?.closest ? target.closest('[data-op]') : null;
      return t ? Number(t.getAttribute('data-op')) : -1;
    };

    const draw = () => {
      const p = data.partitions[view.part];
      linSel.textContent = '';
      p.linearizations.forEach((l, i) => {
        const text = i === 0 ? `longest: ${l.length} of ${p.opCount} ops` : `#${i + 1}: ${l.length} ops`;
        const o = el('option', null, text);
        o.value = String(i);
        linSel.append(o);
      });
      if (p.linearizations.length === 0) linSel.append(el('option', null, 'none kept'));
      linSel.value = String(view.lin);
      linSel.disabled = p.linearizations.length < 2;
      note.textContent = [
        p.truncated ? 'Only some partial linearizations were kept (memory cap).' : '',
        p.window
          ? `Showing operations ${p.window.first + 1}–${p.window.last} of ${p.window.of} (in call order), around where linearization stops; steps outside them are not drawn.`
          : '',
      ]
        .filter(Boolean)
        .join(' ');

      const lin = p.linearizations[view.lin] || [];
      const stepOf = new Map(lin.map((s, k) => [s.op, k]));
      // The ops that could not come next are known for the longest linearization only.
      const stuck = view.lin === 0 ? new Map(p.stuck.map((s) => [s.op, s.why])) : new Map();
      current = { p, lin, stepOf, stuck };

      const rowOf = new Map(p.clients.map((c, i) => [c, i]));
      // Fill the visible width when the history is short; scroll sideways when it is long.
      const avail = Math.max(600, (scroll.clientWidth || 1100) - 2 * PAD - 4);
      const slotW = Math.max(12, Math.min(64, avail / Math.max(1, p.slots + 1)));
      const x = (slot) => PAD + slot * slotW;
      const barX = (o) => {
        const x0 = x(o.start);
        const x1 = o.ret === null ? x(p.slots) + slotW * 0.9 : Math.max(x(o.end), x0 + 6);
        return [x0, x1];
      };
      const rowY = (client) => TOP + rowOf.get(client) * ROW_H;
      const width = x(p.slots + 1) + PAD;
      const height = TOP * 2 + p.clients.length * ROW_H;
      const svg = svgEl('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img' });
      svg.append(svgEl('title', {}));
      svg.firstChild.textContent = `partition ${p.index}: ${p.opCount} operations`;

      p.clients.forEach((_, i) => {
        const y = TOP + i * ROW_H;
        if (i % 2 === 0) svg.append(svgEl('rect', { x: 0, y, width, height: ROW_H }, 'fl-lin-row-bg'));
      });

      // Fault windows of the run, on the same warped time axis: shaded, with dashed edges and a label.
      for (const f of p.faults || []) {
        const fx0 = Math.max(0, x(f.from));
        const fx1 = Math.min(width, Math.max(x(f.to), fx0 + 2));
        const g = svgEl('g', { 'data-fault': f.f }, 'fl-lin-fault');
        g.append(svgEl('rect', { x: fx0, y: 0, width: fx1 - fx0, height }, 'fl-lin-fault-band'));
        if (!f.before) g.append(svgEl('line', { x1: fx0, y1: 0, x2: fx0, y2: height }, 'fl-lin-fault-edge'));
        if (!f.after) g.append(svgEl('line', { x1: fx1, y1: 0, x2: fx1, y2: height }, 'fl-lin-fault-edge'));
        const label = svgEl('text', { x: fx0 + 3, y: 10 }, 'fl-lin-fault-label');
        label.textContent = `${f.before ? '… ' : ''}${f.label}${f.after ? ' …' : ''}`;
        const title = svgEl('title', {});
        title.textContent = `fault: ${f.label}${f.before ? ' (began earlier)' : ''}${f.after ? ' (healed later)' : ''}`;
        g.append(label, title);
        svg.append(g);
      }

      p.ops.forEach((o, i) => {
        const [x0, x1] = barX(o);
        const y = rowY(o.client) + (ROW_H - BAR_H) / 2;
        const cls = ['fl-lin-op'];
        if (stepOf.has(i)) cls.push('fl-lin-in');
        if (stuck.has(i)) cls.push('fl-lin-stuck');
        if (o.ret === null) cls.push('fl-lin-open');
        const g = svgEl('g', { 'data-op': i });
        g.append(svgEl('rect', { x: x0, y, width: x1 - x0, height: BAR_H, rx: 3 }, cls.join(' ')));
        const text = truncate(o.desc, x1 - x0);
        if (text) {
          const t = svgEl('text', { x: x0 + 4, y: y + BAR_H / 2 + 4 }, 'fl-lin-op-label');
          t.textContent = text;
          g.append(t);
        }
        svg.append(g);
      });

      // Linearization points: in order, each inside its op's bar, left to right.
      const pts = [];
      let prev = Number.NEGATIVE_INFINITY;
      for (const s of lin) {
        const o = p.ops[s.op];
        const [x0, x1] = barX(o);
        let px = Math.max(prev + 5, x0 + 3);
        if (px > x1 - 2) px = Math.max(x0 + 2, Math.min(px, x1 - 2));
        prev = px;
        pts.push([px, rowY(o.client) + ROW_H / 2, s.op]);
      }
      if (pts.length > 1) {
        const d = pts.map(([px, py], k) => `${k === 0 ? 'M' : 'L'}${px.toFixed(1)} ${py}`).join(' ');
        svg.append(svgEl('path', { d }, 'fl-lin-path'));
      }
      pts.forEach(([px, py, op], k) => {
        const last = k === pts.length - 1 && p.result === 'illegal' && view.lin === 0;
        svg.append(
          svgEl(
            'circle',
            { cx: px.toFixed(1), cy: py, r: 4.5, 'data-op': op },
            last ? 'fl-lin-point fl-lin-last' : 'fl-lin-point',
          ),
        );
      });
      for (const [i] of stuck) {
        const o = p.ops[i];
        const [x0] = barX(o);
        const cx = Math.max(x0 + 8, prev + 8);
        const [, x1] = barX(o);
        const cxx = Math.min(cx, x1 - 4);
        const cy = rowY(o.client) + ROW_H / 2;
        svg.append(
          svgEl(
            'path',
            { d: `M${cxx - 4} ${cy - 4} L${cxx + 4} ${cy + 4} M${cxx - 4} ${cy + 4} L${cxx + 4} ${cy - 4}` },
            'fl-lin-cross',
          ),
        );
      }

      let hovered = -1;
      const setHover = (i) => {
        if (hovered === i) return;
        if (hovered >= 0) svg.querySelector(`g[data-op="${hovered}"] rect`)?.classList.remove('fl-lin-hover');
        hovered = i;
        if (i >= 0) svg.querySelector(`g[data-op="${i}"] rect`)?.classList.add('fl-lin-hover');
      };
      svg.addEventListener('mouseover', (ev) => {
        const i = opIndexOf(ev.target);
        setHover(i);
        if (i >= 0) showTip(i, ev);
        else tip.hidden = true;
      });
      svg.addEventListener('mousemove', (ev) => {
        if (!tip.hidden) moveTip(ev);
      });
      svg.addEventListener('mouseleave', () => {
        setHover(-1);
        tip.hidden = true;
      });
      svg.addEventListener('click', (ev) => {
        const i = opIndexOf(ev.target);
        if (i < 0) return;
        const best = p.longestFor[i];
        if (best >= 0 && best !== view.lin) {
          view.lin = best;
          tip.hidden = true;
          draw();
        }
      });

      labels.textContent = '';
      labels.style.paddingTop = `${TOP}px`;
      for (const c of p.clients) {
        const label = el('div', 'fl-lin-row-label', `process ${c}`);
        label.style.height = `${ROW_H}px`;
        label.style.lineHeight = `${ROW_H}px`;
        labels.append(label);
      }
      scroll.textContent = '';
      scroll.append(svg);
      // Bring where the linearization stops into view.
      const failed = p.result === 'illegal' && view.lin === 0 && pts.length > 0;
      scroll.scrollLeft = failed ? Math.max(0, pts[pts.length - 1][0] - scroll.clientWidth / 2) : 0;
    };

    draw();
  };

  for (const section of document.querySelectorAll('section.fl-lin:not([data-ready])')) {
    section.setAttribute('data-ready', '');
    init(section);
  }
})();
