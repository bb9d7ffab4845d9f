/* global window, document */
// The event page's map: Leaflet (served by the node at /static/leaflet/) with OpenStreetMap tiles,
// centred on the place given in the map box's data attributes. Without scripts the box stays empty
// and hidden (style.css), and the page's link to openstreetmap.org does the job.

const box = document.getElementById('event-map');
/** @type {any} */
const L = /** @type {any} */ (window).L;
if (box && L) {
  const lat = Number(box.dataset.lat);
  const lon = Number(box.dataset.lon);
  if (Number.isFinite(lat) && Number.isFinite(lon)) {
    box.classList.add('ready');
    // Leaflet finds its marker images beside its stylesheet: say where, as the files are served.
    L.Icon.Default.imagePath = '/static/leaflet/images/';
    const map = L.map(box, { scrollWheelZoom: false }).setView([lat, lon], 16);
    L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 19,
      attribution: box.dataset.attribution || '© OpenStreetMap',
    }).addTo(map);
    L.marker([lat, lon], { title: box.dataset.label || '', alt: box.dataset.label || '' }).addTo(map);
  }
}
