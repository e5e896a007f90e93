// The open data portal's charts (/open/stats): what each agency has opened
// and how it is used. Draws with Apache ECharts (served from the binary);
// the figures come from the page's JSON data element — the same figures as
// its table.
(function () {
  const el = document.getElementById('stats-data');
  if (!el || typeof echarts === 'undefined') return;
  const data = JSON.parse(el.textContent);
  const draw = (id, name, values, color) => {
    const box = document.getElementById(id);
    if (!box) return;
    const chart = echarts.init(box, null, { renderer: 'canvas' });
    chart.setOption({
      color: [color],
      tooltip: { trigger: 'axis' },
      grid: { left: 8, right: 16, top: 24, bottom: 8, containLabel: true },
      xAxis: { type: 'value', minInterval: 1 },
      yAxis: { type: 'category', inverse: true, data: data.agencies,
               axisLabel: { width: 140, overflow: 'truncate' } },
      series: [{ name, type: 'bar', data: values, label: { show: true, position: 'right' } }],
    });
    window.addEventListener('resize', () => chart.resize());
    box.dataset.drawn = 'true';
  };
  draw('chart-datasets', data.labels.datasets, data.datasets, '#1f6feb');
  draw('chart-reads', data.labels.reads, data.reads, '#2da44e');
})();
