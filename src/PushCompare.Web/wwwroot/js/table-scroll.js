// A wide table in a box of its own that scrolls sideways when the table does not fit: the box takes keyboard focus
// (arrow keys scroll it), has a name for screen readers, and a line under it says it scrolls only while it does.
import { el } from './dom.js';

/**
 * @param {HTMLTableElement} table
 * @param {string} label what the table is, for screen readers ("Live figures, a column per transport")
 * @returns {HTMLElement} the box and its hint, to put where the table goes
 */
export function scrollableTable(table, label) {
  const box = el('div', { className: 'table-scroll', tabIndex: 0 }, table);
  box.setAttribute('role', 'region');
  box.setAttribute('aria-label', label);
  const hint = el('p', { className: 'scroll-hint' }, 'Scroll the table sideways for every transport →');
  hint.setAttribute('aria-hidden', 'true'); // the region's table is read whole; the hint is for eyes only
  const check = () => { box.dataset.overflow = String(box.scrollWidth > box.clientWidth + 1); };
  new ResizeObserver(check).observe(box);
  new ResizeObserver(check).observe(table);
  return el('div', { className: 'table-wrap' }, box, hint);
}
