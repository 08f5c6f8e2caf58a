/* The marketplace map: Leaflet over an offline base layer (Natural Earth country outlines
   from the npm package world-atlas), one circle per placed listing, and no request off
   this site unless the settings name a tile server (data-tiles), whose tiles then lie
   beneath the outlines. Everything it needs is in #map's data attributes; no inline script.
   A click on the map fills the filter form's latitude and longitude. */
(function () {
  "use strict";

  function popup(listing) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = "/market/" + encodeURIComponent(listing.id);
    link.textContent = listing.id;
    box.appendChild(link);
    var text = document.createElement("p");
    text.textContent = listing.side + " of " + listing.kind + ": " + listing.quantity +
      " at " + listing.price;
    box.appendChild(text);
    return box;
  }

  function start() {
    var box = document.getElementById("map");
    if (!box || !window.L || !window.topojson) {
      return;
    }
    var map = window.L.map(box, { worldCopyJump: true }).setView([30, 10], 2);
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("Outlines: Natural Earth, via world-atlas");
    var tiles = box.dataset.tiles;  // a tile server from the settings, if any
    if (tiles) {
      window.L.tileLayer(tiles, { attribution: box.dataset.tilesCredit || "", className: "tiles" })
        .addTo(map);
    }

    fetch(box.dataset.outlines).then(function (reply) { return reply.json(); })
      .then(function (world) {
        var countries = window.topojson.feature(world, world.objects.countries);
        window.L.geoJSON(countries, {
          interactive: false,
          style: { color: "#7b8a99", weight: 0.8, fillColor: "#eef2f5", fillOpacity: tiles ? 0 : 1,
                   className: "outline" }
        }).addTo(map).bringToBack();
        box.dataset.outlines_ready = "yes";
      });

    fetch(box.dataset.listings).then(function (reply) { return reply.json(); })
      .then(function (data) {
        var points = [];
        data.listings.forEach(function (listing) {
          var offer = listing.side === "offer";
          window.L.circleMarker([listing.lat, listing.lon], {
            radius: 7, weight: 2, fillOpacity: 0.85,
            color: offer ? "#115e2f" : "#7a3e00", fillColor: offer ? "#2e9e5b" : "#d9822b",
            className: "listing-marker listing-" + listing.side
          }).bindPopup(popup(listing)).addTo(map);
          points.push([listing.lat, listing.lon]);
        });
        if (points.length) {
          map.fitBounds(points, { maxZoom: 6, padding: [40, 40], animate: false });
        }
        box.dataset.markers = String(points.length);
      });

    map.on("click", function (event) {
      var lat = document.getElementById("f-lat");
      var lon = document.getElementById("f-lon");
      var radius = document.getElementById("f-radius");
      if (lat && lon) {
        lat.value = event.latlng.lat.toFixed(4);
        lon.value = window.L.Util.wrapNum(event.latlng.lng, [-180, 180], true).toFixed(4);
        if (radius && !radius.value) {
          radius.value = "50";
        }
        lat.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
}());
