// faultline runs index: filters by cluster, workload, nemesis, verdict and
// name. Rows carry their values in data- attributes; filtering only hides
// rows. The filter lives in the URL's hash so a filtered view can be shared.
(() => {
  const form = document.getElementById('filters');
  if (!form) return;
  const fields = [...form.querySelectorAll('select, input')];
  const rows = [...document.querySelectorAll('tr.test, tr.run')];
  const shown = document.getElementById('shown');

  const fromHash = () => {
    const params = new URLSearchParams(location.hash.slice(1));
    for (const f of fields) f.value = params.get(f.name) ?? '';
  };
  const toHash = () => {
    const params = new URLSearchParams();
    for (const f of fields) if (f.value) params.set(f.name, f.value);
    const text = params.toString();
    history.replaceState(null, '', text ? `#${text}` : location.pathname);
  };
  const apply = () => {
    const want = Object.fromEntries(fields.map((f) => [f.name, f.value.trim().toLowerCase()]));
    let tests = 0;
    let visible = 0;
    for (const row of rows) {
      const d = row.dataset;
      const verdictOk =
        !want.verdict || (want.verdict === 'regression' ? d.regression === 'true' : d.verdict === want.verdict);
      const ok =
        (!want.cluster || d.cluster === want.cluster) &&
        (!want.workload || d.workload === want.workload) &&
        (!want.nemesis || d.nemesis === want.nemesis) &&
        verdictOk &&
        (!want.q || (d.name ?? '').includes(want.q));
      row.classList.toggle('hidden', !ok);
      if (row.classList.contains('test')) {
        tests++;
        if (ok) visible++;
      }
    }
    if (shown) shown.textContent = `${visible} of ${tests} tests shown`;
  };
  fromHash();
  apply();
  for (const f of fields)
    f.addEventListener('input', () => {
      toHash();
      apply();
    });
  window.addEventListener('hashchange', () => {
    fromHash();
    apply();
  });
})();
