// A device's factor: the last 24 hours (real-time values and hourly means), and the last 7 days' hourly means.
(function () {
  var data = JSON.parse(document.getElementById("chart-data").textContent);
  function draw(id, title, series) {
    var el = document.getElementById(id);
    if (!el) return;
    var chart = echarts.init(el, null, {renderer: "svg"});
    chart.setOption({
      title: {text: title, textStyle: {fontSize: 13}},
      tooltip: {trigger: "axis"},
      legend: {right: 0, top: 0},
      grid: {left: 56, right: 16, top: 48, bottom: 28},
      xAxis: {type: "time"},
      yAxis: {type: "value", name: data.unit, nameGap: 8, scale: true},
      series: series.map(function (s) {
        // A short series is drawn with its points: a single value would otherwise not show at all.
        return {type: "line", name: s.name, data: s.points, showSymbol: s.points.length < 30};
      })
    });
    el.dataset.points = String(series[0].points.length);
    window.addEventListener("resize", function () { chart.resize(); });
  }
  var day = [{name: data.labels.rtd, points: data.points}];
  if (data.day_hours.length) day.push({name: data.labels.hour, points: data.day_hours});
  draw("chart-day", data.name + " · 24h", day);
  draw("chart-week", data.name + " · 7d", [{name: data.labels.hour, points: data.hours}]);
})();
