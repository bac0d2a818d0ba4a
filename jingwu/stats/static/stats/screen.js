/* 数据大屏: the command-centre wall. Draws /screen/data.json every 30 s without reloading (the last figures stay
   when a fetch fails, with a 'connection lost' mark), the grids from /map/data.json once, coloured by their load
   on every refresh. The page is one 1920×1080 stage scaled to the viewport, so a 4K wall shows the same picture
   sharper: the charts are SVG. window.JingwuScreen.refresh() refreshes at once (and returns a promise). */
(function () {
  "use strict";

  var W = 1920, H = 1080;
  var root = document.getElementById("screen");
  if (!root || !window.echarts) return;
  var T = document.getElementById("screen-text").dataset;
  var SOURCE = root.dataset.source, MAP = root.dataset.map;
  var INTERVAL = (parseInt(root.dataset.interval, 10) || 30) * 1000;
  // The API speaks the browser's Accept-Language unless told: ask for the page's language, so the wall is in one.
  // A poll, not a person: it does not count as activity for the idle sign-out (web/session.py).
  var HEADERS = {Accept: "application/json", "Accept-Language": document.documentElement.lang || "zh-Hans", "X-Jingwu-Poll": "1"};

  var C = {
    cyan: "#2de2ff", blue: "#3d8bff", green: "#36e39a", amber: "#ffb547", red: "#ff4d5e",
    text: "#d8ecff", muted: "#7fa3c8", line: "rgba(45, 160, 255, 0.16)", axis: "rgba(45, 160, 255, 0.4)"
  };
  var PALETTE = ["#2de2ff", "#36e39a", "#ffb547", "#3d8bff", "#b57bff", "#ff6b78", "#f5e663", "#5ad8a6", "#7fa3c8"];
  var FONT = "'PingFang SC', 'Microsoft YaHei', 'Noto Sans CJK SC', sans-serif";
  var TOOLTIP = {
    backgroundColor: "rgba(4, 20, 48, 0.94)", borderColor: "rgba(45, 226, 255, 0.6)", borderWidth: 1,
    textStyle: {color: C.text, fontSize: 16, fontFamily: FONT}, extraCssText: "box-shadow: 0 0 12px rgba(45,226,255,.35);"
  };

  // --- the stage, scaled to the viewport (letterboxed when the wall is not 16:9) --------------------------------
  function fit() {
    var s = Math.min(window.innerWidth / W, window.innerHeight / H);
    var x = Math.max(0, (window.innerWidth - W * s) / 2), y = Math.max(0, (window.innerHeight - H * s) / 2);
    root.style.transform = "translate(" + x + "px, " + y + "px) scale(" + s + ")";
    root.dataset.scale = String(s);
  }
  fit();
  window.addEventListener("resize", fit);
  // A double click on the header puts the wall in full screen (and back).
  document.querySelector(".head").addEventListener("dblclick", function () {
    if (document.fullscreenElement) document.exitFullscreen();
    else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen();
  });

  // --- clock ---------------------------------------------------------------------------------------------------
  // The wall shows the server's time (its calendar's time zone), as the figures are: the offset is learnt from
  // each answer's "at" and kept unless it moves by more than two seconds (a wall PC's clock drifts; the network
  // takes its time).
  var skew = 0, weekday = null;
  try { weekday = new Intl.DateTimeFormat(document.documentElement.lang || "zh-Hans", {weekday: "long"}); } catch (e) { weekday = null; }
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function learn(at) {
    var m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(at || "");
    if (!m) return;
    var server = new Date(+m[1], m[2] - 1, +m[3], +m[4], +m[5], +m[6]).getTime(), s = server - Date.now();
    if (Math.abs(s - skew) > 2000) { skew = s; tick(); }
  }
  function tick() {
    var d = new Date(Date.now() + skew);
    document.getElementById("clock").textContent = two(d.getHours()) + ":" + two(d.getMinutes()) + ":" + two(d.getSeconds());
    document.getElementById("clock-date").textContent =
      d.getFullYear() + "-" + two(d.getMonth() + 1) + "-" + two(d.getDate()) + " " + (weekday ? weekday.format(d) : "");
  }
  tick();
  setInterval(tick, 1000);

  // --- small helpers -------------------------------------------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function num(v) { return v === null || v === undefined ? "—" : String(v); }
  function flash(node) {
    node.classList.remove("changed");
    void node.offsetWidth; // restart the animation
    node.classList.add("changed");
  }
  // A figure: its text, its raw value (data-value, for the tests and for whoever reads the DOM), a flash if it moved.
  function setFigure(node, value, rate) {
    var raw = value === null || value === undefined ? "" : String(value);
    var changed = node.dataset.value !== undefined && node.dataset.value !== raw;
    node.dataset.value = raw;
    node.textContent = "";
    if (value === null || value === undefined) {
      node.textContent = "—";
    } else if (rate) {
      node.appendChild(document.createTextNode(Number(value).toFixed(1)));
      node.appendChild(el("span", "unit", "%"));
    } else {
      node.textContent = String(value);
    }
    if (changed) flash(node);
  }
  function pick(obj, path) {
    return path.split(".").reduce(function (o, k) { return o === null || o === undefined ? undefined : o[k]; }, obj);
  }

  var charts = {};
  function chart(id) {
    if (!charts[id]) {
      var c = echarts.init(document.getElementById(id), null, {renderer: "svg"});
      c.setOption({animationDuration: 600, animationDurationUpdate: 500});
      // A click on a point, a bar or a slice opens the list of exactly the cases it counts.
      c.on("click", function (p) {
        var url = p.data && p.data.link;
        if (url) window.location.href = url;
      });
      charts[id] = c;
    }
    return charts[id];
  }
  var axisLabel = {color: C.muted, fontSize: 15, fontFamily: FONT};

  // --- KPI tiles -----------------------------------------------------------------------------------------------
  function kpis(d) {
    ["today", "month"].forEach(function (p) {
      ["reported", "filed", "closed"].forEach(function (k) {
        setFigure(root.querySelector("[data-kpi='" + p + "-" + k + "']"), d[p][k]);
      });
      ["closure_rate", "on_time_rate"].forEach(function (k) {
        setFigure(root.querySelector("[data-kpi='" + p + "-" + k + "']"), d[p][k], true);
      });
    });
    setFigure(root.querySelector("[data-kpi='open']"), d.open);
    setFigure(root.querySelector("[data-kpi='overdue']"), d.overdue);
    root.querySelectorAll("[data-link]").forEach(function (a) {
      var parts = a.dataset.link.split("."), url = d[parts[0]] && d[parts[0]].links && d[parts[0]].links[parts[1]];
      if (url) a.href = url;
    });
  }

  // --- monitoring and safety -----------------------------------------------------------------------------------
  function summaries(d) {
    root.querySelectorAll("[data-stat]").forEach(function (node) {
      var v = pick(d, node.dataset.stat);
      setFigure(node, v === undefined ? null : v);
      var stat = node.closest(".stat");
      if (stat && node.classList.contains("stat-value")) stat.classList.toggle("zero", v === 0);
    });
    var town = d.monitoring && d.monitoring.town, value = document.getElementById("aqi-value");
    setFigure(value, town ? town.aqi : null);
    value.style.color = town && town.colour ? town.colour : "";
    document.getElementById("aqi-label").textContent = town ? town.label : T.noAqi;
    document.getElementById("aqi").title = town ? town.name + (town.primary_pollutants.length ? " · " + town.primary_pollutants.join(", ") : "") + (d.monitoring.hour ? " · " + d.monitoring.hour : "") : "";
  }

  // --- feeds ---------------------------------------------------------------------------------------------------
  var seen = null;
  function feeds(d) {
    var list = document.getElementById("feed-cases"), now = {};
    list.textContent = "";
    (d.latest || []).forEach(function (c) {
      now[c.number] = true;
      var li = el("li"), a = el("a");
      li.dataset.number = c.number;
      if (seen && !seen[c.number]) li.className = "fresh";
      a.href = c.link;
      a.title = [c.number, c.category, c.region, c.status].filter(Boolean).join(" · ");
      a.appendChild(el("span", "at", c.at));
      a.appendChild(el("span", "number", c.number));
      a.appendChild(el("span", "what", c.category || "—"));
      a.appendChild(el("span", "chip" + (c.overdue ? " alert" : ""), c.status));
      li.appendChild(a);
      list.appendChild(li);
    });
    if (!list.children.length) list.appendChild(el("li", "feed-empty", T.none));
    seen = now;

    var alarms = document.getElementById("feed-alarms");
    alarms.textContent = "";
    (d.alarms || []).forEach(function (x) {
      var li = el("li"), a = el("a");
      a.href = x.link;
      a.title = x.device + " · " + x.rule + " · " + x.status;
      a.appendChild(el("span", "at", x.at));
      var what = el("span", "what", x.device);
      what.appendChild(el("small", "", x.rule));
      a.appendChild(what);
      a.appendChild(el("span", "chip" + (x.open ? " alert" : ""), x.status));
      li.appendChild(a);
      alarms.appendChild(li);
    });
    if (!alarms.children.length) alarms.appendChild(el("li", "feed-empty", T.none));
    fitList(list);
    fitList(alarms);
  }

  // A list shows the rows that fit whole in its panel, the newest first; no row is cut at the bottom.
  function fitList(list, box) {
    box = box || list.parentNode;
    var room = box.clientHeight - 8, top = box.getBoundingClientRect().top, scale = parseFloat(root.dataset.scale) || 1;
    Array.prototype.forEach.call(list.children, function (row) { row.hidden = false; });
    Array.prototype.forEach.call(list.children, function (row) {
      if ((row.getBoundingClientRect().bottom - top) / scale > room) row.hidden = true;
    });
  }

  // --- league table --------------------------------------------------------------------------------------------
  function league(d) {
    var body = document.querySelector("#league tbody");
    body.textContent = "";
    (d.departments || []).forEach(function (u, i) {
      var tr = el("tr"), name = el("td", "name"), a = el("a");
      tr.dataset.code = u.code;
      name.appendChild(el("span", "rank", i + 1));
      a.href = u.links.due;
      a.textContent = u.name;
      a.title = u.name;
      name.appendChild(a);
      tr.appendChild(name);
      tr.appendChild(el("td", "", u.due));
      tr.appendChild(el("td", "", u.closed));
      var rate = el("td", u.on_time_rate === null ? "" : u.on_time_rate >= 90 ? "rate-high" : u.on_time_rate < 70 ? "rate-low" : "",
        u.on_time_rate === null ? "—" : Number(u.on_time_rate).toFixed(1) + "%");
      tr.appendChild(rate);
      var open = el("td"), link = el("a", "", u.open);
      link.href = u.links.open;
      open.appendChild(link);
      tr.appendChild(open);
      tr.appendChild(el("td", u.overdue ? "late" : "", u.overdue));
      body.appendChild(tr);
    });
    if (!body.children.length) {
      var tr = el("tr"), td = el("td", "feed-empty", T.none);
      td.colSpan = 6;
      tr.appendChild(td);
      body.appendChild(tr);
    }
    fitList(body, document.getElementById("league").parentNode);
  }

  // --- charts --------------------------------------------------------------------------------------------------
  function trend(d) {
    var days = d.days || [];
    function series(key, name, colour) {
      return {
        name: name, type: "line", smooth: 0.35, smoothMonotone: "x", symbol: "circle", symbolSize: 7, showSymbol: false, cursor: "pointer",
        lineStyle: {width: 3, color: colour, shadowColor: colour, shadowBlur: 8},
        itemStyle: {color: colour},
        areaStyle: {color: new echarts.graphic.LinearGradient(0, 0, 0, 1, [{offset: 0, color: colour + "55"}, {offset: 1, color: colour + "00"}])},
        data: days.map(function (x) { return {value: x[key], link: x.links[key]}; })
      };
    }
    chart("chart-trend").setOption({
      textStyle: {fontFamily: FONT},
      tooltip: Object.assign({trigger: "axis"}, TOOLTIP),
      legend: {right: 6, top: 0, itemWidth: 22, itemHeight: 10, textStyle: {color: C.text, fontSize: 16}},
      grid: {left: 6, right: 14, top: 34, bottom: 4, containLabel: true},
      xAxis: {type: "category", boundaryGap: false, data: days.map(function (x) { return x.day; }),
        axisLine: {lineStyle: {color: C.axis}}, axisTick: {show: false}, axisLabel: Object.assign({interval: function (i) { return (days.length - 1 - i) % 7 === 0; },
          alignMinLabel: "left", alignMaxLabel: "right"}, axisLabel)},
      yAxis: {type: "value", minInterval: 1, splitNumber: 4, axisLabel: axisLabel, splitLine: {lineStyle: {color: C.line, type: "dashed"}}},
      series: [series("reported", T.reported, C.cyan), series("closed", T.closed, C.green)]
    });
  }

  function categories(d) {
    var rows = d.categories || [];
    chart("chart-categories").setOption({
      textStyle: {fontFamily: FONT},
      tooltip: Object.assign({trigger: "axis", axisPointer: {type: "shadow"}}, TOOLTIP),
      grid: {left: 4, right: 46, top: 6, bottom: 2, containLabel: true},
      xAxis: {type: "value", show: false, minInterval: 1},
      yAxis: {type: "category", inverse: true, data: rows.map(function (x) { return x.name; }),
        axisLine: {show: false}, axisTick: {show: false},
        axisLabel: {color: C.text, fontSize: 16, width: 150, overflow: "truncate", fontFamily: FONT}},
      series: [{
        type: "bar", barWidth: 14, cursor: "pointer",
        showBackground: true, backgroundStyle: {color: "rgba(45, 160, 255, 0.08)"},
        itemStyle: {color: new echarts.graphic.LinearGradient(0, 0, 1, 0, [{offset: 0, color: "#1363c6"}, {offset: 1, color: C.cyan}])},
        label: {show: true, position: "right", color: C.text, fontSize: 17, fontWeight: "bold", fontFamily: FONT},
        data: rows.map(function (x) { return {value: x.reported, link: x.link}; })
      }]
    }, {replaceMerge: ["series"]});
  }

  function sources(d) {
    var rows = d.sources || [], total = rows.reduce(function (s, x) { return s + x.reported; }, 0);
    var values = {};
    rows.forEach(function (x) { values[x.name] = x.reported; });
    chart("chart-sources").setOption({
      color: PALETTE,
      textStyle: {fontFamily: FONT},
      tooltip: Object.assign({trigger: "item", formatter: "{b}: {c} ({d}%)"}, TOOLTIP),
      title: {text: String(total), subtext: T.reported, left: "26%", top: "36%", textAlign: "center",
        textStyle: {color: "#fff", fontSize: 30, fontWeight: "bold"}, subtextStyle: {color: C.muted, fontSize: 15}, itemGap: 2},
      legend: {orient: "vertical", left: "54%", top: "middle", itemWidth: 12, itemHeight: 12, itemGap: 9,
        textStyle: {color: C.text, fontSize: 16, rich: {v: {color: C.cyan, fontSize: 17, fontWeight: "bold", padding: [0, 0, 0, 8]}}},
        formatter: function (name) { return name + "{v|" + (values[name] || 0) + "}"; }},
      series: [{
        type: "pie", radius: ["52%", "78%"], center: ["27%", "52%"], cursor: "pointer", avoidLabelOverlap: true,
        itemStyle: {borderColor: "#041634", borderWidth: 3}, label: {show: false},
        data: rows.map(function (x) { return {name: x.name, value: x.reported, link: x.link}; })
      }]
    }, {replaceMerge: ["series"]});
  }

  // --- the map -------------------------------------------------------------------------------------------------
  var geo = null, names = {}, centres = {}, places = [], rivers = [], roads = [], aspect = 0.78;

  function ringCentre(ring) {
    // the area-weighted centroid of the outer ring (a grid is a simple polygon)
    var a = 0, x = 0, y = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var f = ring[j][0] * ring[i][1] - ring[i][0] * ring[j][1];
      a += f;
      x += (ring[j][0] + ring[i][0]) * f;
      y += (ring[j][1] + ring[i][1]) * f;
    }
    if (!a) return ring[0];
    return [x / (3 * a), y / (3 * a)];
  }
  function outer(g) {
    if (!g) return null;
    if (g.type === "Polygon") return g.coordinates[0];
    if (g.type === "MultiPolygon") {
      return g.coordinates.reduce(function (best, p) { return !best || p[0].length > best.length ? p[0] : best; }, null);
    }
    return null;
  }

  function loadMap() {
    return get(MAP)
      .then(function (r) { if (!r.ok) throw new Error(String(r.status)); return r.json(); })
      .then(function (data) {
        var fc = {type: "FeatureCollection", features: []}, minLat = 90, maxLat = -90;
        (data.grids.features || []).forEach(function (f) {
          if (!f.geometry) return;
          fc.features.push(f);
          names[f.properties.code] = f.properties.name;
          var ring = outer(f.geometry);
          if (ring) {
            centres[f.properties.code] = ringCentre(ring);
            ring.forEach(function (p) { minLat = Math.min(minLat, p[1]); maxLat = Math.max(maxLat, p[1]); });
          }
        });
        if (maxLat >= minLat) aspect = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
        echarts.registerMap("jingwu", fc);
        geo = fc;
        document.getElementById("map").dataset.grids = String(fc.features.length);
        return loadBase();
      });
  }

  // The town's own base map, when there is one: rivers, main roads and village names make the grids read as a place.
  function loadBase() {
    var s = {};
    try { s = JSON.parse(document.getElementById("tiles").textContent) || {}; } catch (e) { s = {}; }
    if (!s.local) return null;
    return get(s.local)
      .then(function (r) { return r.ok ? r.json() : {features: []}; })
      .then(function (fc) {
        (fc.features || []).forEach(function (f) {
          var p = f.properties || {}, g = f.geometry;
          if (!g) return;
          var lines = g.type === "LineString" ? [g.coordinates] : g.type === "MultiLineString" ? g.coordinates :
            g.type === "Polygon" ? [g.coordinates[0]] : [];
          if (p.kind === "river" || p.kind === "water") lines.forEach(function (c) { rivers.push({coords: c, name: p.name}); });
          else if (p.kind === "road" && p.rank <= 2) lines.forEach(function (c) { roads.push({coords: c, name: p.name}); });
          else if (p.kind === "place" && g.type === "Point") places.push({name: p.name, value: g.coordinates});
        });
      })
      .catch(function () { /* the grids alone are map enough */ });
  }

  function drawMap(d) {
    if (!geo) return;
    var load = {};
    (d.grids || []).forEach(function (g) { load[g.code] = g; });
    var max = 4, data = [], late = [], regions = [];
    geo.features.forEach(function (f) {
      var code = f.properties.code, g = load[code] || {open: 0, overdue: 0};
      max = Math.max(max, g.open);
      var link = g.overdue ? "/centre/?queue=overdue&grid=" + encodeURIComponent(code) : "/centre/?grid=" + encodeURIComponent(code);
      data.push({name: code, value: g.open, overdue: g.overdue, link: link});
      if (g.overdue) {
        regions.push({name: code, itemStyle: {borderColor: C.red, borderWidth: 2.5}});
        if (centres[code]) late.push({name: code, value: centres[code].concat([g.overdue]), link: link});
      }
    });
    var layout = {layoutCenter: ["50%", "50%"], layoutSize: "96%", aspectScale: aspect, roam: false, nameProperty: "code"};
    var grids = geo.features.length;
    chart("map").setOption({
      textStyle: {fontFamily: FONT},
      tooltip: Object.assign({
        trigger: "item",
        formatter: function (p) {
          var item = p.data || {};
          var name = names[p.name] || names[item.name] || p.name;
          if (p.seriesType === "scatter" && item.place) return item.name;
          var open = item.value && item.value.length ? null : item.value, overdue = item.overdue;
          if (p.seriesType === "effectScatter") { overdue = item.value[2]; open = (load[item.name] || {}).open; }
          return T.grid + " " + name + "<br>" + T.open + " <b>" + num(open) + "</b> " + T.cases +
            "<br>" + T.overdue + " <b style='color:#ff6b78'>" + num(overdue || 0) + "</b> " + T.cases;
        }
      }, TOOLTIP),
      visualMap: {
        type: "continuous", min: 0, max: max, seriesIndex: 0, calculable: false, realtime: false,
        left: 20, bottom: 18, itemWidth: 14, itemHeight: 130, text: [T.many, T.few],
        textStyle: {color: C.text, fontSize: 15},
        inRange: {color: ["#0b2c57", "#0f5a93", "#1596c4", "#2de2ff", "#ffd166"]}
      },
      // The lower geo, a little below and unlit, gives the town a raised, lit edge.
      geo: [
        Object.assign({map: "jingwu", silent: true, z: 1, itemStyle: {areaColor: "#021a3d", borderColor: "#0c4b8c", borderWidth: 1,
          shadowColor: "rgba(45, 226, 255, 0.55)", shadowBlur: 24}}, layout, {layoutCenter: ["50%", "51.6%"]}),
        Object.assign({map: "jingwu", z: 2, regions: regions,
          label: {show: grids <= 40, color: "rgba(216, 236, 255, 0.8)", fontSize: 14, offset: [0, 24],
            formatter: function (p) { return names[p.name] || p.name; }},
          itemStyle: {areaColor: "#0b2c57", borderColor: "rgba(125, 215, 255, 0.55)", borderWidth: 0.8},
          emphasis: {label: {show: true, color: "#fff", fontSize: 16, formatter: function (p) { return names[p.name] || p.name; }},
            itemStyle: {areaColor: "#39b8ff", borderColor: "#fff", borderWidth: 1.5}},
          select: {disabled: true}}, layout)
      ],
      series: [
        {type: "map", geoIndex: 1, name: "load", data: data, cursor: "pointer"},
        {type: "lines", coordinateSystem: "geo", geoIndex: 1, polyline: true, silent: true, z: 3,
          lineStyle: {color: "rgba(90, 180, 255, 0.7)", width: 2.5, opacity: 0.8}, data: rivers},
        {type: "lines", coordinateSystem: "geo", geoIndex: 1, polyline: true, silent: true, z: 3,
          lineStyle: {color: "rgba(255, 209, 102, 0.35)", width: 1.5}, data: roads},
        {type: "effectScatter", coordinateSystem: "geo", geoIndex: 1, z: 5, cursor: "pointer",
          rippleEffect: {scale: 3.2, brushType: "stroke", period: 3}, showEffectOn: "render",
          symbolSize: function (v) { return Math.min(26, 10 + 3 * v[2]); },
          itemStyle: {color: C.red, shadowBlur: 10, shadowColor: C.red},
          label: {show: true, formatter: function (p) { return p.value[2]; }, color: "#fff", fontSize: 13, fontWeight: "bold"},
          data: late},
        {type: "scatter", coordinateSystem: "geo", geoIndex: 1, z: 6, silent: true, symbolSize: 6,
          itemStyle: {color: "#ffffff", borderColor: C.cyan, borderWidth: 2},
          label: {show: true, position: "right", distance: 6, formatter: "{b}", color: "#ffffff", fontSize: 17, fontWeight: "bold",
            textBorderColor: "#021a3d", textBorderWidth: 3},
          labelLayout: {hideOverlap: true},
          data: places.map(function (p) { return {name: p.name, value: p.value, place: true}; })}
      ]
    });
  }

  // --- refresh -------------------------------------------------------------------------------------------------
  var last = null, mapLoading = null, count = 0;

  function render(d) {
    document.getElementById("asof").textContent = d.at;
    learn(d.at);
    kpis(d);
    summaries(d);
    feeds(d);
    league(d);
    trend(d);
    categories(d);
    sources(d);
    drawMap(d);
  }

  function lost(on) {
    document.getElementById("conn").hidden = !on;
    root.dataset.state = on ? "stale" : "ready";
  }

  // A fetch that hangs counts as lost after 20 s, so the mark shows rather than the wall silently aging.
  function get(url) {
    var ctl = window.AbortController ? new AbortController() : null, timer = ctl && setTimeout(function () { ctl.abort(); }, 20000);
    return fetch(url, {credentials: "same-origin", cache: "no-store", headers: HEADERS, signal: ctl ? ctl.signal : undefined})
      .finally(function () { if (timer) clearTimeout(timer); });
  }

  function refresh() {
    if (!geo && !mapLoading) {
      mapLoading = loadMap().catch(function () { return null; }).then(function () { mapLoading = null; });
    }
    var data = get(SOURCE)
      .then(function (r) {
        // A signed-out session answers with a login page or a 401/403: as lost as a dropped line.
        if (!r.ok || (r.headers.get("content-type") || "").indexOf("json") < 0) throw new Error(String(r.status));
        return r.json();
      });
    return Promise.all([data, mapLoading]).then(function (results) {
      last = results[0];
      render(last);
      lost(false);
      count += 1;
      root.dataset.refreshed = String(count);
      return last;
    }, function () {
      lost(true); // what is shown stays, marked
      return last;
    });
  }

  window.JingwuScreen = {
    refresh: refresh,
    data: function () { return last; },
    charts: charts
  };
  refresh();
  setInterval(refresh, INTERVAL);
})();
