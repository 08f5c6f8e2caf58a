/* The sensors' map: Leaflet over the offline base layer the marketplace map uses (Natural
   Earth outlines from world-atlas), one marker per sensor, nearby sensors gathered into one
   numbered marker until the map is zoomed in. Everything it needs is in #map's data
   attributes; no inline script. A click on the map fills the filter form's place. */
(function () {
  "use strict";

  function popup(sensor) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/streams/" + encodeURIComponent(sensor.id);
    link.textContent = sensor.name;
    box.appendChild(link);
    var text = document.createElement("p");
    text.textContent = sensor.types.map(function (t) { return t[0] + " (" + t[1] + ")"; })
      .join(", ") + ": " + sensor.hourly_price + " coins per hour";
    box.appendChild(text);
    return box;
  }

  function together(sensors) {
    var box = document.createElement("div");
    sensors.forEach(function (sensor) { box.appendChild(popup(sensor)); });
    return box;
  }

  /* Sensors closer than about 40 px at the current zoom share one marker. */
  function clusters(map, sensors) {
    var groups = [];
    sensors.forEach(function (sensor) {
      var point = map.latLngToLayerPoint([sensor.lat, sensor.lon]);
      var near = groups.find(function (group) { return group.point.distanceTo(point) < 40; });
      if (near) {
        near.sensors.push(sensor);
      } else {
        groups.push({ point: point, sensors: [sensor] });
      }
    });
    return groups;
  }

  function draw(map, layer, sensors) {
    layer.clearLayers();
    clusters(map, sensors).forEach(function (group) {
      var first = group.sensors[0];
      if (group.sensors.length === 1) {
        window.L.circleMarker([first.lat, first.lon], {
          radius: 8, weight: 2, color: "#1d4f91", fillColor: "#3b82c4", fillOpacity: 0.85,
          className: "sensor-marker"
        }).bindPopup(popup(first)).addTo(layer);
        return;
      }
      var icon = window.L.divIcon({
        className: "sensor-cluster", html: String(group.sensors.length), iconSize: [30, 30]
      });
      var bounds = window.L.latLngBounds(group.sensors.map(function (s) { return [s.lat, s.lon]; }));
      var marker = window.L.marker([first.lat, first.lon], { icon: icon, keyboard: true,
        title: group.sensors.length + " sensors" }).addTo(layer);
      if (bounds.getNorthEast().equals(bounds.getSouthWest())) {
        marker.bindPopup(together(group.sensors));  // one place: zooming cannot part them
      } else {
        marker.on("click", function () {
          map.fitBounds(bounds, { maxZoom: 18, padding: [60, 60], animate: false });
        });
      }
    });
  }

  function start() {
    var box = document.getElementById("map");
    if (!box || !window.L || !window.topojson) {
      return;
    }
    var map = window.L.map(box, { worldCopyJump: true }).setView([45, 8], 4);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Outlines: Natural Earth, via world-atlas");
    fetch(box.dataset.outlines).then(function (reply) { return reply.json(); })
      .then(function (world) {
        var countries = window.topojson.feature(world, world.objects.countries);
        window.L.geoJSON(countries, {
          interactive: false,
          style: { color: "#7b8a99", weight: 0.8, fillColor: "#eef2f5", fillOpacity: 1 }
        }).addTo(map).bringToBack();
      });
    var layer = window.L.layerGroup().addTo(map);
    fetch(box.dataset.sensors).then(function (reply) { return reply.json(); })
      .then(function (data) {
        var sensors = data.sensors || [];
        if (sensors.length) {
          map.fitBounds(sensors.map(function (s) { return [s.lat, s.lon]; }),
            { maxZoom: 14, padding: [40, 40], animate: false });
        }
        draw(map, layer, sensors);
        map.on("zoomend", function () { draw(map, layer, sensors); });
        box.dataset.markers = String(sensors.length);
      });
    map.on("click", function (event) {
      var lat = document.getElementById("f-lat");
      var lon = document.getElementById("f-lon");
      var radius = document.getElementById("f-radius");
      lat.value = event.latlng.lat.toFixed(4);
      lon.value = window.L.Util.wrapNum(event.latlng.lng, [-180, 180], true).toFixed(4);
      if (!radius.value) {
        radius.value = "5";
      }
      lat.focus();
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
