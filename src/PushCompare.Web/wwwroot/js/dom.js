// The page's DOM helpers: find an element by its data-testid, and build one with its children.

/** The element whose data-testid is `id`. */
export function byTestId(id, root = document) {
  return root.querySelector(`[data-testid="${id}"]`);
}

/** A tiny element builder: el('td', { className: 'x' }, 'text', child); '' and null children are left out. */
export function el(tag, props = {}, ...children) {
  const element = Object.assign(document.createElement(tag), props);
  element.append(...children.filter((c) => c !== '' && c != null));
  return element;
}
