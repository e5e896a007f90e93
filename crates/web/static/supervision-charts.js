// The supervision dashboard's and evaluation report's charts (/supervision):
// each agency's figures as grouped bars. Draws with Apache ECharts (served
// from the binary); the figures come from the page's JSON data element —
// the same figures as its table.
(function () {
  const el = document.getElementById('supervision-data');
  const box = document.getElementById('chart-supervision');
  if (!el || !box || typeof echarts === 'undefined') return;
  const data = JSON.parse(el.textContent);
  const chart = echarts.init(box, null, { renderer: 'canvas' });
  chart.setOption({
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 8, right: 16, top: 40, bottom: 8, containLabel: true },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', inverse: true, data: data.agencies,
             axisLabel: { width: 160, overflow: 'truncate' } },
    series: data.series.map((s) => ({ name: s.name, type: 'bar', data: s.data })),
  });
  window.addEventListener('resize', () => chart.resize());
  box.dataset.drawn = 'true';
})();
