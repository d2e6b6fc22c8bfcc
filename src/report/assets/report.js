// faultline run report: sortable tables and instant tooltips. Plain script,
// no dependencies. Cell text is compared as set; nothing is parsed as HTML.
(() => {
  // Click a heading of a sortable table: sort by that column (numbers by data-v), again to reverse.
  for (const table of document.querySelectorAll('table.sortable')) {
    const heads = [...table.querySelectorAll('thead th')];
    heads.forEach((th, col) => {
      th.addEventListener('click', () => {
        const dir = th.getAttribute('data-dir') === 'asc' ? 'desc' : 'asc';
        for (const other of heads) other.removeAttribute('data-dir');
        th.setAttribute('data-dir', dir);
        const body = table.tBodies[0];
        const rows = [...body.rows];
        const keyOf = (row) => {
          const cell = row.cells[col];
          const v = cell.getAttribute('data-v');
          if (v !== null && v !== '' && !Number.isNaN(Number(v))) return Number(v);
          return cell.textContent;
        };
        rows.sort((a, b) => {
          const x = keyOf(a);
          const y = keyOf(b);
          const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return dir === 'asc' ? c : -c;
        });
        body.append(...rows);
      });
    });
  }
})();
