// The download page of a large data package (delivery/download.html): when the job preparing
// the file ends (the "job:done" event of job-progress.js), reload the page, which then shows
// the signed link or the reason the download was refused.
(function () {
  "use strict";
  document.querySelectorAll("[data-reload-when-done]").forEach(function (box) {
    box.addEventListener("job:done", function () {
      window.location.reload();
    });
  });
})();
