/* Photos made for weak signal: shrunk to a long side and re-encoded as JPEG on the phone (which also drops
   EXIF), with when and where they were taken kept as data beside them. Used by the grid worker's and the
   citizen's pages. */
(function () {
  "use strict";
  // settings: {long_side, quality (0–100)}; here: [lon, lat] or null. Resolves {name, blob, meta}.
  function shrink(file, settings, here) {
    var meta = {taken_at: new Date(file.lastModified || Date.now()).toISOString()};
    if (here) { meta.lon = here[0]; meta.lat = here[1]; }
    if (!/^image\//.test(file.type) || !window.createImageBitmap) {
      return Promise.resolve({name: file.name, blob: file, meta: meta});
    }
    return createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, settings.long_side / Math.max(img.width, img.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(img.width * scale));
      canvas.height = Math.max(1, Math.round(img.height * scale));
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      if (img.close) img.close();
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
          // A photo that is already small stays as it is if re-encoding would not make it smaller.
          var better = blob && (blob.size < file.size || scale < 1);
          resolve(better ? {name: name, blob: blob, meta: meta} : {name: file.name, blob: file, meta: meta});
        }, "image/jpeg", settings.quality / 100);
      });
    }).catch(function () { return {name: file.name, blob: file, meta: meta}; });
  }
  window.JingwuPhoto = {shrink: shrink};
})();
