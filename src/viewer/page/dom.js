// @ts-check
/// <reference lib="dom" />
/**
 * The page's few DOM helpers. Text goes in with `textContent`, never as markup.
 *
 * @module
 */

/**
 * A new element with a class and text.
 *
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | null} [className]
 * @param {unknown} [text] Shown as text; absent or null: none.
 * @returns {HTMLElementTagNameMap[K]}
 */
export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

/**
 * Removes every child of `node`.
 *
 * @param {Node} node
 */
export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
}

/**
 * A status badge: ok, error or open.
 *
 * @param {string} status
 * @returns {HTMLSpanElement}
 */
export function badge(status) {
  return el("span", "badge " + status, status);
}
