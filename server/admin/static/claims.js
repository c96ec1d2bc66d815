// 积分审核: 全选本页 ticks every claim checkbox of the page (no inline script under the CSP).
document.addEventListener("change", function (event) {
  "use strict";
  if (!event.target.matches("[data-select-all]")) return;
  document.querySelectorAll('#bulk input[name="ids"]').forEach(function (box) {
    box.checked = event.target.checked;
  });
});
