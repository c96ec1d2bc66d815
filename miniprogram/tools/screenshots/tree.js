// The composed tree a page shows (custom components' insides included) as plain
// {tagName, attrs, children} objects. Like miniprogram-simulate's toJSON(), but keeping every
// attribute: toJSON() leaves out those that are component properties (a canvas's canvasId,
// a state-view's loading), which the picture needs.

function walk(node, out) {
  const dom = node.$$;
  if (dom && dom.nodeType === 3) {
    out.push(node.textContent);
    return out;
  }
  let children = out;
  const vt = node._vt;
  if (!node.__virtual && vt) {
    children = [];
    out.push({ tagName: vt.tagName, attrs: (vt.attrs || []).slice(), children });
  }
  (node.__wxSlotChildren || []).forEach((child) => walk(child, children));
  return out;
}

// page: what renderPage() returns (a j-component root).
function pageTree(page) {
  return walk(page._exparserNode, [])[0];
}

module.exports = { pageTree };
