// 工作台's chart: reads the JSON the server embedded (the CSP allows no inline script).
(function () {
  "use strict";
  function draw() {
    var source = document.getElementById("points-chart-data");
    var canvas = document.getElementById("points-chart");
    if (!source || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(source.textContent);
    new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.months,
        datasets: [
          { label: "发放积分", data: data.issued, backgroundColor: "#c8102e" },
          { label: "兑换积分", data: data.redeemed, backgroundColor: "#e6a23c" }
        ]
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
      }
    });
    canvas.setAttribute("data-drawn", "true");
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
