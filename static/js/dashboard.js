// Dashboard charts (Chart.js, vendored). The numbers come from <script type="application/json">
// blocks rendered by the server; every chart has the same numbers in a table next to it.
(() => {
  if (typeof Chart === "undefined") return;
  const tones = ["#c0392b", "#e67e22", "#d4ac0d", "#58a55c", "#1e7e34"];
  const blue = "#0b4ea2";
  const read = (id) => JSON.parse(document.getElementById(id).textContent);
  const phone = window.matchMedia("(max-width: 576px)").matches;
  Chart.defaults.font.size = phone ? 11 : 12;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  const builders = {
    levels: (data) => ({
      type: "bar",
      data: {
        labels: data.labels,
        datasets: [{ data: data.values, backgroundColor: data.tones.map((t) => tones[t]) }],
      },
      options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
    }),
    domains: (data) => ({
      type: "radar",
      data: {
        labels: data.labels,
        datasets: [{ data: data.values, borderColor: blue, backgroundColor: "rgba(11, 78, 162, .2)", pointBackgroundColor: blue }],
      },
      options: {
        plugins: { legend: { display: false } },
        scales: { r: { min: 0, max: 100, ticks: { stepSize: 25, backdropColor: "transparent" }, pointLabels: { font: { size: phone ? 10 : 12 } } } },
      },
    }),
    trend: (data) => ({
      type: "line",
      data: {
        labels: data.labels,
        datasets: [
          { label: data.names[0], data: data.subtree, borderColor: blue, backgroundColor: blue, spanGaps: true },
          { label: data.names[1], data: data.own, borderColor: "#b35c00", backgroundColor: "#b35c00", borderDash: [6, 4], spanGaps: true },
        ],
      },
      options: { scales: { y: { min: 0, max: 100 } }, plugins: { legend: { position: "bottom" } } },
    }),
  };

  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const build = builders[canvas.dataset.chart];
    if (build) new Chart(canvas, build(read(canvas.dataset.source)));
  });
})();
