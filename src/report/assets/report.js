// faultline run report: instant tooltips for the SVG plots. Plain script, no
// dependencies. Tooltip text is set with textContent, never parsed as HTML.
(() => {
  const tip = document.createElement('div');
  tip.className = 'tip';
  tip.hidden = true;
  document.body.appendChild(tip);

  // Each plot element carries its description in a <title> (the native,
  // no-script tooltip). Move it to data-tip so the two do not show at once.
  for (const title of document.querySelectorAll('svg.plot title')) {
    const owner = title.parentNode;
    owner.setAttribute('data-tip', title.textContent);
    owner.removeChild(title);
  }

  document.addEventListener('mousemove', (event) => {
    const el = event.target instanceof Element ? event.target.closest('[data-tip]') : null;
    if (!el) {
      tip.hidden = true;
      return;
    }
    tip.textContent = el.getAttribute('data-tip');
    tip.hidden = false;
    const pad = 14;
    const w = tip.offsetWidth;
    const h = tip.offsetHeight;
    const left = event.clientX + pad + w > window.innerWidth ? event.clientX - pad - w : event.clientX + pad;
    const top = event.clientY + pad + h > window.innerHeight ? event.clientY - pad - h : event.clientY + pad;
    tip.style.left = `${Math.max(0, left)}px`;
    tip.style.top = `${Math.max(0, top)}px`;
  });
})();
