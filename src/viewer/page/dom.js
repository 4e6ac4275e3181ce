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

/**
 * The "Show all" button of a value sent cut: it fetches the whole value into `target` (text
 * only), then drops the cut mark and the `note` it stands in; on failure the note says so.
 *
 * @param {HTMLElement} target Where the value's text is.
 * @param {HTMLElement} note The note under it.
 * @param {() => Promise<string>} whole Fetches the whole value.
 * @returns {HTMLButtonElement}
 */
export function showAllButton(target, note, whole) {
  const more = el("button", "showall", "Show all");
  more.type = "button";
  more.addEventListener("click", function () {
    more.disabled = true;
    more.textContent = "Loading…";
    whole().then(function (all) {
      target.textContent = all;
      target.classList.remove("is-cut");
      note.remove();
    }, function (error) {
      more.disabled = false;
      more.textContent = "Show all";
      note.textContent = "Could not load the rest: " + error.message;
    });
  });
  return more;
}
