// faultline run report: the staleness distribution and the t-visibility
// curve, drawn with uPlot (inlined), each with the claim's bound on it.
// Data: the JSON in #staleness-data (numbers and labels built by faultline).
(() => {
  const dataEl = document.getElementById('staleness-data');
  if (!dataEl || typeof uPlot === 'undefined') return;
  const d = JSON.parse(dataEl.textContent);
  const width = () =>
    Math.max(360, Math.min(460, (document.getElementById('staleness-charts')?.clientWidth || 920) / 2 - 20));
  const bound = { stroke: '#d64545', width: 2, dash: [6, 4], points: { show: false } };
  const make = (id, opts, data) => {
    const host = document.getElementById(id);
    if (!host) return;
    host.textContent = '';
    // eslint-disable-next-line no-new
    new uPlot({ width: width(), height: 240, legend: { live: true }, ...opts }, data, host);
  };

  // Staleness by quantile of every judged read: ms (and versions behind).
  const qx = d.distribution.map((p) => p.q * 100);
  const series = [
    { label: 'reads (%)' },
    { label: 'staleness (ms)', stroke: '#3a7bd5', width: 2, points: { show: true, size: 6 } },
  ];
  const data = [qx, d.distribution.map((p) => p.ms)];
  if (d.bound && d.bound.maxMs !== null) {
    series.push({ label: `bound: p${d.bound.quantileLabel} ≤ ${d.bound.maxMs} ms`, ...bound });
    data.push(qx.map(() => d.bound.maxMs));
  }
  make(
    'staleness-distribution',
    {
      title: 'Staleness of every read, by quantile',
      scales: { x: { time: false } },
      axes: [{ label: 'quantile of reads (%)' }, { label: 'ms behind' }],
      series,
    },
    data,
  );

  // t-visibility: of the reads t ms after an acknowledgement, the share that saw it. x: the points, evenly.
  const pts = d.curve.filter((p) => p.probability !== null);
  const xs = pts.map((_, i) => i);
  const vSeries = [
    { label: 't', value: (_u, v) => (v === null || pts[v] === undefined ? '' : `${pts[v].afterMs} ms`) },
    { label: 'P(sees it)', stroke: '#1e8e3e', width: 2, points: { show: true, size: 6 } },
  ];
  const vData = [xs, pts.map((p) => p.probability)];
  if (d.bound?.visibility) {
    const v = d.bound.visibility;
    vSeries.push({ label: `bound: ≥ ${v.atLeast} after ${v.afterMs} ms`, ...bound });
    vData.push(pts.map((p) => (p.afterMs >= v.afterMs ? v.atLeast : null)));
  }
  make(
    'staleness-visibility',
    {
      title: 't-visibility (PBS)',
      scales: { x: { time: false }, y: { range: [0, 1.02] } },
      axes: [
        {
          label: 'ms after the acknowledgement',
          values: (_u, splits) => splits.map((s) => (pts[s] ? String(pts[s].afterMs) : '')),
        },
        { label: 'share of reads that see it' },
      ],
      series: vSeries,
    },
    vData,
  );
})();
