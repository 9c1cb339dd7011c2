// Building DOM from data, safely: every string becomes a text node, never markup.

/**
 * el("button", {class: "btn", type: "button", "aria-label": "Delete"}, "text", childNode, ...)
 * Attributes are set with setAttribute (or as properties for `on*` handlers); children that are
 * strings or numbers become text nodes, so data can never inject HTML.
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on") && typeof value === "function") {
      node.addEventListener(key.slice(2), value);
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else {
      node.setAttribute(key, value === true ? "" : String(value));
    }
  }
  append(node, children);
  return node;
}

function append(node, children) {
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace every child of `node` with `children` (strings become text nodes). */
export function setChildren(node, ...children) {
  node.replaceChildren();
  append(node, children);
}

export function $(selector, root = document) {
  const found = root.querySelector(selector);
  if (!found) throw new Error(`missing element ${selector}`);
  return found;
}

/** Show an inline error (text only) under a form; hides it when `message` is empty. The inputs
 *  that point at it with aria-describedby are marked invalid while it shows. */
export function showError(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
  if (!node.id) return;
  for (const input of document.querySelectorAll(`[aria-describedby~="${node.id}"]`)) {
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  }
}
