// A device's factor: the last 24 hours as stored, and the last 7 days' hourly means.
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  function draw(id, points, title) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption({
      title: {text: title, textStyle: {fontSize: 13}},
      tooltip: {trigger: "axis"},
      grid: {left: 48, right: 16, top: 36, bottom: 28},
      xAxis: {type: "time"},
      yAxis: {type: "value", name: data.unit, scale: true},
      series: [{type: "line", showSymbol: false, name: data.name, data: points}]
    });
    el.dataset.points = String(points.length);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  draw("chart-day", data.points, data.name + " · 24h");
  draw("chart-week", data.hours, data.name + " · 7d");
})();
