// Progress bars of background jobs (templates/jobs/_progress.html): each [data-job-progress]
// element polls its job's JSON (GET /api/v1/jobs/<id>, same origin, the session cookie) and
// fills its <progress>, until the job succeeds or fails. Polls every second, slower while
// nothing changes, and stops on a page that is left.
(function () {
  "use strict";

  function follow(box) {
    if (box.dataset.bound) return;
    box.dataset.bound = "yes";
    var bar = box.querySelector("progress");
    var percent = box.querySelector(".job-progress-percent");
    var message = box.querySelector(".job-progress-message");
    var delay = 1000;
    var last = "";
    var failures = 0;

    function show(job) {
      bar.value = job.progress;
      bar.textContent = job.progress + "%";
      percent.textContent = job.progress + "%";
      var text = job.message;
      if (job.state === "queued" && !text) text = box.dataset.textQueued;
      if (job.state === "succeeded") text = job.message || box.dataset.textSucceeded;
      if (job.state === "failed") text = box.dataset.textFailed;
      message.textContent = text || "";
      box.dataset.state = job.state;
    }

    function poll() {
      fetch(box.dataset.jobUrl, {headers: {Accept: "application/json"}, credentials: "same-origin"})
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (job) {
          failures = 0;
          show(job);
          if (job.done) {
            box.classList.add(job.state === "succeeded" ? "job-succeeded" : "job-failed");
            box.dispatchEvent(new CustomEvent("job:done", {bubbles: true, detail: job}));
            return;
          }
          var seen = job.state + ":" + job.progress + ":" + job.message;
          delay = seen === last ? Math.min(delay * 1.5, 5000) : 1000;
          last = seen;
          window.setTimeout(poll, delay);
        })
        .catch(function () {
          failures += 1;
          if (failures >= 5) {
            message.textContent = box.dataset.textUnreachable;
            return;
          }
          window.setTimeout(poll, 2000 * failures);
        });
    }

    poll();
  }

  document.querySelectorAll("[data-job-progress]").forEach(follow);
})();
